# syntax=docker/dockerfile:1
# One image for both apps: the gateway by default, the Interact simulator with
#   node dist/apps/interact-simulator/src/main.js
# as its command (docker-compose.yml does that).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# @nestjs/swagger pulls in @scarf/scarf, whose install script reports to its vendor over the network.
ENV SCARF_ANALYTICS=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
# The lockfile alone decides the dependency layer, so a source change reuses it.
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs ./scripts/
COPY libs ./libs
COPY apps ./apps
# Also copies the simulator's WSDL and XSD into dist/, which it serves at run time.
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    SCARF_ANALYTICS=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    PORT=3000 \
    HOST=0.0.0.0 \
    SIMULATOR_PORT=3001 \
    SIMULATOR_HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
# Owned by root and only readable by the app user: a compromised process cannot rewrite its own code.
COPY --from=build /app/dist ./dist
COPY config ./config
USER node
EXPOSE 3000 3001
# Exec form and Node's own fetch: the slim image has no curl or wget, and no shell is involved.
# It asks the gateway; the simulator's service overrides it (see docker-compose.yml).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 here and handles SIGTERM itself (readiness fails, in-flight requests drain for
# SHUTDOWN_GRACE_SECONDS); no shell wrapper, so the signal reaches it.
CMD ["node", "--import", "./dist/apps/gateway/src/tracing.js", "dist/apps/gateway/src/main.js"]
