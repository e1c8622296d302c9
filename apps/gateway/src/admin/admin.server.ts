import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { fastify, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { trackConnections, type ConnectionTracker } from '../health/connections.js';
import { HealthChecks, type ProbeAnswer } from '../health/health.checks.js';
import { RequestLogController, type GatewayLoggers } from '../logging/logger.js';
import { GATEWAY_LOGGERS } from '../logging/logging.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RequestMetricsHook } from '../metrics/request-metrics.hook.js';

async function answer(reply: FastifyReply, probe: Promise<ProbeAnswer>): Promise<FastifyReply> {
  const { status, body } = await probe;
  return reply.code(status).send(body);
}

/**
 * The admin listener (ADMIN_PORT): the probes and GET /metrics, for the kubelet and Prometheus,
 * answered by the same process from the same services as the API. A Fastify instance of its own
 * rather than Nest controllers: the API's router never holds these routes, so no configuration
 * or prefix of the API can put them on its port, where readiness would list every account and
 * its circuit to anyone. Its requests are logged at debug: a probe every few seconds would bury
 * the lines that matter.
 *
 * It closes after the API has drained (a shutdown hook runs after Nest closed the API's server), so
 * that probes see readiness fail and Prometheus scrapes the drain until the end.
 */
@Injectable()
export class AdminServer implements OnApplicationShutdown {
  private readonly server: FastifyInstance;
  private readonly logController: RequestLogController;
  readonly connections: ConnectionTracker;

  constructor(
    @Inject(GATEWAY_LOGGERS) loggers: GatewayLoggers,
    checks: HealthChecks,
    metrics: MetricsService,
    requestMetrics: RequestMetricsHook,
  ) {
    this.logController = new RequestLogController(loggers.access, { level: 'debug' });
    // The base logger type, as the API's instance has: its hooks are typed for it.
    this.server = fastify<Server, IncomingMessage, ServerResponse, FastifyBaseLogger>({
      loggerInstance: loggers.app,
      logController: this.logController,
    });
    this.server.get('/health/live', (_request, reply) => answer(reply, checks.live()));
    this.server.get('/health/ready', (_request, reply) => answer(reply, checks.ready()));
    this.server.get('/metrics', async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
    requestMetrics.observe(this.server);
    this.connections = trackConnections(this.server);
  }

  /** Listens; the URL it listens at. */
  async listen(port: number, host: string): Promise<string> {
    try {
      return await this.server.listen({ port, host });
    } catch (error) {
      // One JSON line, as Nest writes when the API's port is taken; main.ts then exits without a stack trace.
      this.server.log.error({ context: 'AdminServer' }, String(error));
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.close();
    this.logController.close();
  }
}
