import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminServer } from './admin/admin.server.js';
import { AllowedMethods } from './allowed-methods.js';
import { AppModule } from './app.module.js';
import type { GatewayConfig } from './config/gateway.config.js';
import { buildOpenApiDocument, isDocsUrl, serveDocs } from './docs/openapi.js';
import { answerHeaderOverflowAsProblem } from './header-overflow.js';
import { refuseUnacceptable } from './media-types.js';
import { securityHeaders } from './security-headers.js';
import { RequestLogController, createLoggers } from './logging/logger.js';
import { MetricsService } from './metrics/metrics.service.js';
import { noRouteDetail, problemBody, sendProblem } from './problems/problem.filter.js';
import { ACCEPTABLE_REQUEST_ID } from './request-id.js';

const REQUEST_ID_HEADER = 'x-request-id';
/** Above the longest valid request (two 128-character values), far below Node's 16 KiB header cap. */
const MAX_URL_LENGTH = 12_288;

/** An OPTIONS request that is no CORS preflight (one has both fields): no route of the API takes it. */
const isPlainOptions = (request: FastifyRequest) =>
  request.method === 'OPTIONS' &&
  (request.headers.origin === undefined || request.headers['access-control-request-method'] === undefined);

/** A caller's X-Request-Id is kept when it is a plain token; anything else is replaced. */
function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
}

export interface GatewayAppOptions {
  /** Replaces the pino-backed Nest logger (tests read what the application logs). */
  logger?: LoggerService;
  /** Where pino writes, stdout by default. */
  logDestination?: DestinationStream;
}

export async function createGatewayApp(
  config: GatewayConfig,
  options: GatewayAppOptions = {},
): Promise<NestFastifyApplication> {
  const loggers = createLoggers(config.logLevel, options.logDestination);
  const logger = loggers.app;
  const logController = new RequestLogController(loggers.access);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController,
    genReqId: requestIdOf,
    // Long values must reach validation and get a 400 there, not fall through to a 404.
    routerOptions: { maxParamLength: 16_384 },
    frameworkErrors: (_error: Error, request: FastifyRequest, reply: FastifyReply) => {
      // Malformed URLs never reach Nest: answer them in the same problem format.
      void sendProblem(
        reply.header(REQUEST_ID_HEADER, request.id),
        400,
        problemBody('bad-request', 'The request URL is not valid.', request, config.publicBaseUrl),
      );
    },
  });
  // The refusals it counted and has not summarized yet are written before the process exits.
  adapter.getInstance().addHook('onClose', (_instance, done) => {
    logController.close();
    done();
  });
  const allowedMethods = new AllowedMethods();
  // Before Nest and the docs register their routes, so that it sees every one.
  adapter.getInstance().addHook('onRoute', (route) => {
    allowedMethods.add(route);
    const produces = route.config?.produces;
    // On the routes that declare their types alone: the others pay nothing for it.
    if (produces !== undefined)
      route.preValidation = [refuseUnacceptable(produces, config.publicBaseUrl), ...[route.preValidation ?? []].flat()];
  });
  const security = securityHeaders();
  const docsSecurity = config.docsEnabled ? security.docs : security.api;
  // Callback hooks rather than async ones here and in the other per-request hooks: a promise per
  // request and hook is garbage that a cache hit pays for.
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    reply.headers(isDocsUrl(request.url) ? docsSecurity : security.api);
    reply.header(REQUEST_ID_HEADER, request.id);
    if (request.url.length > MAX_URL_LENGTH) {
      // Answered here: done() is not called, so nothing else runs for the request.
      void sendProblem(
        reply,
        414,
        problemBody(
          'uri-too-long',
          `The request URL is longer than ${MAX_URL_LENGTH} characters.`,
          { url: request.url.slice(0, 256), id: request.id },
          config.publicBaseUrl,
        ),
      );
      return;
    }
    // With CORS on, an OPTIONS that is no preflight matches @fastify/cors's route, not a 404.
    if (request.is404 || isPlainOptions(request)) {
      // Before authentication: the path exists whatever the key, as an unknown one is 404 whatever the key.
      const path = request.url.split('?', 1)[0];
      const allow = allowedMethods.allowedOn(path);
      if (allow !== undefined) {
        void sendProblem(
          reply.header('allow', allow),
          405,
          problemBody(
            'method-not-allowed',
            `${path} does not take ${request.method}; it takes ${allow}.`,
            request,
            config.publicBaseUrl,
          ),
        );
        return;
      }
      if (!request.is404) {
        void sendProblem(
          reply,
          404,
          problemBody('not-found', noRouteDetail(request.method, path), request, config.publicBaseUrl),
        );
        return;
      }
    }
    done();
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forConfig(config, loggers), adapter, {
    bufferLogs: true,
  });
  app.useLogger(options.logger ?? app.get(Logger));
  const metrics = app.get(MetricsService);
  answerHeaderOverflowAsProblem(adapter.getInstance().server, security.api, config.publicBaseUrl, (refused) => {
    logController.headerOverflow(refused);
    // Answered by Node's parser the moment the section overflowed: there is no handling time to measure.
    metrics.httpRequestDuration.observe({ route: 'unmatched', method: refused.method ?? '_OTHER', status: '431' }, 0);
  });

  if (config.corsOrigins.length > 0) {
    const cors = {
      origin: config.corsOrigins,
      methods: ['GET'],
      allowedHeaders: ['Authorization', 'Cache-Control', 'If-None-Match', 'X-Request-Id'],
      exposedHeaders: ['Cache-Status', 'ETag', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'X-Request-Id'],
    };
    app.enableCors({
      // @fastify/cors would answer an OPTIONS that is no preflight with a plain-text 400: it is
      // left to the gateway, which answers it as without CORS (405 with Allow, or 404). A
      // delegator, because Nest runs the CORS hook before any the gateway adds; it costs a hit an
      // options object while CORS is on.
      delegator: (request, callback) => callback(null, isPlainOptions(request) ? { origin: false } : cors),
    });
  }
  if (config.docsEnabled) serveDocs(app, buildOpenApiDocument(app, config), config.docs);
  return app;
}

export interface GatewayUrls {
  /** The API, Swagger UI and problem pages. */
  url: string;
  /** Probes and metrics. */
  adminUrl: string;
}

/**
 * The API's port first, then the admin port: readiness, served there, must not answer before the
 * API listens. The ports are given apart from the configuration so that tests can ask for any free one.
 */
export async function listenGateway(
  app: NestFastifyApplication,
  { port, adminPort, host }: Pick<GatewayConfig, 'port' | 'adminPort' | 'host'>,
): Promise<GatewayUrls> {
  await app.listen(port, host);
  const adminUrl = await app.get(AdminServer).listen(adminPort, host);
  return { url: await app.getUrl(), adminUrl };
}
