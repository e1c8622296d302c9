import { trace } from '@opentelemetry/api';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/gateway.config.js';
import type { HeaderOverflow } from '../header-overflow.js';
import { RefusalSummary } from './refusal-summary.js';

/**
 * Secrets must never reach a log line. Request headers are never logged whole; these paths catch
 * the places where a key could still appear in an object someone logs.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["application-key"]',
  'headers.authorization',
  'headers["application-key"]',
  'applicationKey',
  '*.applicationKey',
  'apiKey',
  '*.apiKey',
  'err.config',
  'err.request',
  'err.response',
];

export interface GatewayLoggers {
  /** Everything but access lines, secrets redacted. */
  app: Logger;
  /** Access lines only: fields the gateway picks itself, so nothing to redact (redaction tripled their cost). */
  access: Logger;
}

export function createLoggers(level: LogLevel, destination?: DestinationStream): GatewayLoggers {
  // A synchronous write per line cost a sixth of a cache hit's CPU. Asynchronous writes coalesce
  // the lines that pile up while one is in flight, yet a quiet gateway's lines go out at once;
  // pino flushes what is left when the process exits.
  const stream = destination ?? pino.destination({ dest: 1, sync: false });
  const options = {
    level,
    base: { service: 'interact-flow-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // "info" rather than 30: what log tools and readers look for. pino formats each level once, when
    // the logger is made, so a line costs no more.
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return {
    app: pino(
      {
        ...options,
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        serializers: { err: pino.stdSerializers.err },
      },
      stream,
    ),
    access: pino(options, stream),
  };
}

/** Statuses that a caller who keeps trying gets again and again: summarized rather than logged each. */
const REPEATED_REFUSALS = new Set([401, 429]);

export interface RequestLogOptions {
  /** Of every line but failures (error) and 5xx (warn): debug for probes and scrapes, which would drown the rest. */
  level?: 'info' | 'debug';
  /** How often repeated refusals are summarized (see RefusalSummary). */
  refusalIntervalMs?: number;
}

/**
 * One line per request, written when it completes, with what operators look for: route, account,
 * client, status, duration, how the cache answered and, when tracing is on, the trace and span of
 * the request. Fastify's own pair of lines (incoming, completed) would double the volume and miss
 * those fields. Both paths of a request (the cache-hit hook and Nest's controller) end here.
 */
export class RequestLogController extends LogController {
  private readonly level: 'info' | 'debug';
  private readonly refusals: RefusalSummary;

  constructor(
    private readonly access: Logger,
    { level = 'info', refusalIntervalMs }: RequestLogOptions = {},
  ) {
    super({ requestIdLogLabel: 'requestId' });
    this.level = level;
    this.refusals = new RefusalSummary((fields) => access.info(fields, 'requests refused'), refusalIntervalMs);
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const params = request.params as { accountId?: unknown } | undefined;
    const status = reply.statusCode;
    const client = request.client?.id;
    if (
      !error &&
      REPEATED_REFUSALS.has(status) &&
      !this.refusals.first(status, client ? { client } : { ip: request.ip })
    )
      return;
    // The http instrumentation runs the response's listeners in the request's context: its span
    // is the active one. Without tracing there is none, and the look-up costs some 50 ns.
    const span = trace.getActiveSpan()?.spanContext();
    // Fields left undefined are left out of the line.
    const fields = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      account: typeof params?.accountId === 'string' ? params.accountId.slice(0, 64) : undefined,
      client,
      cache: reply.getHeader('cache-status'),
      traceId: span?.traceId,
      spanId: span?.spanId,
    };
    // An error may quote anything: its line goes through the request's own, redacting, logger.
    if (error) return void reply.log.error({ ...fields, err: error }, 'request failed');
    const line = { requestId: request.id, ...fields };
    if (status >= 500) this.access.warn(line, 'request completed');
    else this.access[this.level](line, 'request completed');
  }

  /**
   * A request Node's parser refused for its header section (431): it never became a Fastify
   * request, and is logged as one would be, its repeats summarized per remote address.
   */
  headerOverflow({ requestId, method, ip }: HeaderOverflow): void {
    if (ip !== undefined && !this.refusals.first(431, { ip })) return;
    this.access.info({ requestId, method, route: 'unmatched', status: 431 }, 'request completed');
  }

  /** Writes the refusals counted and not yet summarized; the server is closing. */
  close(): void {
    this.refusals.close();
  }
}
