# syntax=docker/dockerfile:1
# One image for both apps: the gateway by default, the Interact simulator with
#   node dist/apps/interact-simulator/src/main.js
# as its command (docker-compose.yml does that). It holds no configuration: the gateway's file is
# mounted where GATEWAY_CONFIG_FILE points, so neither a demo client nor its key ships in it.
#
# A release build sets the labels' values:
#   docker build --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) .

# Node.js 24.21.0, the release the tests run on (the node devDependency), by the digest of its
# multi-platform index: the tag alone moves whenever the image is rebuilt.
ARG NODE_BASE=node:24.21.0-bookworm-slim
ARG NODE_BASE_DIGEST=sha256:d6aa754f16b3197301076f047b5def2f02ea1dbbc2ca920407d46d7ec7f87b20

FROM ${NODE_BASE}@${NODE_BASE_DIGEST} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
# The lockfile alone decides the dependency layer, so a source change reuses it. No install
# scripts: tsc needs none, @scarf/scarf's would report to its vendor, and the node
# devDependency's would download the Node.js this image already has.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs ./scripts/
COPY libs ./libs
COPY apps ./apps
# Also copies the simulator's WSDL and XSD into dist/, which it serves at run time.
RUN npm run build

FROM ${NODE_BASE}@${NODE_BASE_DIGEST} AS runtime
ARG NODE_BASE
ARG NODE_BASE_DIGEST
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="Interact Flow Gateway" \
      org.opencontainers.image.description="One JSON API over Uniphore Interact's Get Full Interaction Flow (REST and SOAP), and an Interact simulator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="docker.io/library/${NODE_BASE}" \
      org.opencontainers.image.base.digest="${NODE_BASE_DIGEST}"
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    PORT=3000 \
    ADMIN_PORT=9464 \
    HOST=0.0.0.0 \
    SIMULATOR_PORT=3001 \
    SIMULATOR_HOST=0.0.0.0
COPY package.json package-lock.json ./
# No production dependency needs its install script (protobufjs' only checks versions), and none
# may run one in the image that serves.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
# Owned by root and only readable by the app user: a compromised process cannot rewrite its own code.
COPY --from=build /app/dist ./dist
USER node
# The API, the gateway's probes and metrics, the simulator.
EXPOSE 3000 9464 3001
# Exec form and Node's own fetch: the slim image has no curl or wget, and no shell is involved.
# It asks the gateway; the simulator's service overrides it (see docker-compose.yml).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ADMIN_PORT || 9464) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 here and handles SIGTERM itself (readiness fails, in-flight requests drain for
# SHUTDOWN_GRACE_SECONDS); no shell wrapper, so the signal reaches it.
CMD ["node", "--import", "./dist/apps/gateway/src/tracing.js", "dist/apps/gateway/src/main.js"]
