import { Global, Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { GatewayLoggers } from './logger.js';

/** The gateway's pino loggers, for what logs outside Nest's logger: the admin listener's request lines. */
export const GATEWAY_LOGGERS = Symbol('GATEWAY_LOGGERS');

/**
 * Nest's own logs through the same pino instance as Fastify's request lines. No per-request
 * middleware: on Node 20 the async context it needs taxes every promise, and cost a third of a
 * cache hit's throughput; code that logs while serving names the requestId itself.
 */
@Global()
@Module({})
export class LoggingModule {
  static forLoggers(loggers: GatewayLoggers): DynamicModule {
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger: loggers.app }, forRoutes: [] })],
      providers: [{ provide: GATEWAY_LOGGERS, useValue: loggers }],
      exports: [GATEWAY_LOGGERS],
    };
  }
}
