import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

/**
 * Nest's own logs through the same pino instance as Fastify's request lines. pino-http binds a
 * child logger per request (no lines of its own), so what is logged while serving carries the
 * requestId that Fastify assigned.
 */
@Global()
@Module({})
export class LoggingModule {
  static forLogger(logger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            autoLogging: false,
            quietReqLogger: true,
            customAttributeKeys: { reqId: 'requestId' },
            genReqId: (request: IncomingMessage) => (request as IncomingMessage & { id: string }).id,
          },
          // On Fastify the default route pattern matches nothing; '*' reaches every route.
          forRoutes: ['*'],
        }),
      ],
    };
  }
}
