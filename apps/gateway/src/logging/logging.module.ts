import { Global, Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

/**
 * Nest's own logs through the same pino instance as Fastify's request lines. No per-request
 * middleware: on Node 20 the async context it needs taxes every promise, and cost a third of a
 * cache hit's throughput; code that logs while serving names the requestId itself.
 */
@Global()
@Module({})
export class LoggingModule {
  static forLogger(logger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] })],
    };
  }
}
