import { availableParallelism } from 'node:os';
import { Transform } from 'class-transformer';
import {
  EnvBoolean,
  EnvNumber,
  Forbidden,
  Fraction,
  HttpUrl,
  ListOf,
  Nested,
  NonEmptyTextList,
  OneOf,
  PositiveNumber,
  PositiveWholeNumber,
  Required,
  Text,
  allOf,
  jsonSchemaOf,
  rule,
  type JsonSchema,
} from '@app/config';
import type { PhotoDots, UpstreamTransportKind } from '@app/interact-client';

/*
 * Every setting of the gateway, with its rule and its default (a property's initial value), in one
 * place: the configuration file (GatewayFile) and the environment (GatewayEnvironment). What a
 * setting may be on its own is said here, and config/gateway.schema.json is generated from it; how
 * settings fit together, and the key files and variables they name, gateway.config.ts checks.
 */

export class ResilienceSettings {
  /** Attempts in all, the first included. */
  @PositiveWholeNumber() retryMaxAttempts = 3;
  @PositiveWholeNumber() retryInitialDelayMs = 100;
  @PositiveWholeNumber() retryMaxDelayMs = 1_000;
  /** Unset: twice the account's timeoutMs. */
  @PositiveWholeNumber() retryDeadlineMs?: number;
  /** Below 1, not at most 1: cockatiel's sampling breaker throws on 1 when the transport is built. */
  @Fraction() breakerFailureRatio = 0.5;
  @PositiveWholeNumber() breakerWindowMs = 10_000;
  @PositiveNumber() breakerMinimumRps = 1;
  @PositiveWholeNumber() breakerHalfOpenAfterMs = 10_000;
  @PositiveWholeNumber() bulkheadMaxConcurrent = 32;
  @PositiveWholeNumber() bulkheadMaxQueue = 64;
  /** Photos have a bulkhead of their own, so that a burst of them cannot starve flow lookups. */
  @PositiveWholeNumber() photoBulkheadMaxConcurrent = 16;
  @PositiveWholeNumber() photoBulkheadMaxQueue = 32;
}

export class AccountSettings {
  @Required()
  @Text({ pattern: /^[A-Za-z0-9_-]{1,64}$/, message: "must be 1 to 64 letters, digits, '_' or '-'" })
  id!: string;
  @Required() @OneOf(['rest', 'soap']) transport!: UpstreamTransportKind;
  @Required() @HttpUrl() baseUrl!: string;
  @PositiveWholeNumber() apiVersion = 2;
  @Required() @Text() tenantId!: string;
  @Text() environmentName?: string;
  /** Application keys never sit in this file: they come from the environment or a mounted file. */
  @Forbidden('must not be in the configuration file: use applicationKeyEnv or applicationKeyFile')
  applicationKey?: never;
  /** Unset: INTERACT_APPLICATION_KEY_<id>. */
  @Text() applicationKeyEnv?: string;
  /** Read in preference to applicationKeyEnv. */
  @Text() applicationKeyFile?: string;
  @PositiveWholeNumber() timeoutMs = 10_000;
  @PositiveWholeNumber() maxResponseBytes = 20 * 1024 * 1024;
  @PositiveWholeNumber() cacheTtlSeconds = 300;
  /** A photo larger than this is cut off, on both sides, once it is passed. */
  @PositiveWholeNumber() maxPhotoBytes = 15 * 1024 * 1024;
  /** `legacy`: the photo's file name is sent with its dots as `@@@@@`, as older Interact versions wanted. */
  @OneOf(['plain', 'legacy']) photoDots: PhotoDots = 'plain';
  @Nested(ResilienceSettings) resilience = new ResilienceSettings();
  /** A URL or a file path. */
  @Text() wsdl?: string;
  @HttpUrl() soapEndpoint?: string;
}

const KEY_ITSELF = 'must not be in the configuration file: give keySha256, the SHA-256 of the key in hex';

export class ClientSettings {
  @Required() @Text() id!: string;
  @Required()
  @Text({ pattern: /^[0-9A-Fa-f]{64}$/, message: 'must be 64 hexadecimal digits (the SHA-256 of the key)' })
  keySha256!: string;
  @Forbidden(KEY_ITSELF) key?: never;
  @Forbidden(KEY_ITSELF) apiKey?: never;
  @Required() @NonEmptyTextList('must be a non-empty list of account ids') accounts!: string[];
  @PositiveWholeNumber() rateLimitPerMinute = 600;
}

/** true or false as JSON and YAML write them: unlike a variable's text, a file has booleans of its own. */
function Flag(): PropertyDecorator {
  return rule({
    name: 'flag',
    schema: { type: 'boolean' },
    test: (value) => typeof value === 'boolean',
    message: 'must be true or false',
  });
}

export const DOCS_LOOKUPS = ['interactionId', 'callerAttribute'] as const;

/** An id upstream knows, for a visitor to try. */
export class DocsDemoIdSettings {
  @Required() @Text() id!: string;
  /** The path parameter it goes in. */
  @Required() @OneOf(DOCS_LOOKUPS) lookup!: (typeof DOCS_LOOKUPS)[number];
  /** What upstream answers for it. */
  @Required() @Text() gives!: string;
}

/**
 * A demo deployment: Swagger UI tells a visitor the key to authorize with, which account is REST
 * and which SOAP, and the ids to try. Left out everywhere else: a real deployment's accounts and
 * keys are not for every visitor of /docs.
 */
export class DocsDemoSettings {
  /** Published on purpose, unlike any other key: the start-up checks that it is a configured client's. */
  @Required() @Text() apiKey!: string;
  @ListOf(DocsDemoIdSettings) ids: DocsDemoIdSettings[] = [];
}

/** Swagger UI at /docs. */
export class DocsSettings {
  /**
   * Off, the key given to Authorize lives in the page's memory and goes with it; on, Swagger UI
   * keeps it in the browser's localStorage, where any script of the origin can read it.
   */
  @Flag() persistAuthorization = false;
  @Nested(DocsDemoSettings) demo?: DocsDemoSettings;
}

/** The file GATEWAY_CONFIG_FILE names, YAML or JSON. */
export class GatewayFile {
  /** Where an editor finds this file's JSON Schema; the gateway reads nothing from it. */
  @Text() $schema?: string;
  @Required() @ListOf(AccountSettings, { nonEmpty: true }) accounts!: AccountSettings[];
  @ListOf(ClientSettings) clients: ClientSettings[] = [];
  @Nested(DocsSettings) docs = new DocsSettings();
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Each render thread may grow to some 270 MB (see FlowRenderer), and on Node 20
 * availableParallelism() counts the node's cores, not the container's CPU limit: without a cap a
 * pod on a large node would start dozens of them.
 */
const DEFAULT_RENDER_THREADS_MAX = 4;

/** One render thread per core but the event loop's, within DEFAULT_RENDER_THREADS_MAX. */
function defaultRenderThreads(): number {
  return Math.min(DEFAULT_RENDER_THREADS_MAX, Math.max(1, availableParallelism() - 1));
}

export interface HostPort {
  host: string;
  port: number;
}

const HOST_PORT = /^\s*([^:\s]+):(\d{1,5})\s*$/;
const isPort = (port: number) => port >= 1 && port <= 65_535;

/** `host:port,host:port`: Sentinels or Cluster nodes. An item that is no pair stays text, for the message. */
function HostPorts(): PropertyDecorator {
  const bad = (items: (HostPort | string)[]) => items.find((item) => typeof item === 'string' || !isPort(item.port));
  return allOf(
    Transform(({ value }) =>
      (value as string).split(',').map((item) => {
        const match = HOST_PORT.exec(item);
        return match ? { host: match[1], port: Number(match[2]) } : item;
      }),
    ),
    rule({
      name: 'hostPorts',
      schema: { type: 'string' },
      test: (value) => bad(value as (HostPort | string)[]) === undefined,
      message: ({ value }) => {
        const item = bad(value as (HostPort | string)[])!;
        return typeof item === 'string'
          ? `must list host:port pairs separated by commas, got "${item}"`
          : `must give ports from 1 to 65535, got "${item.host}:${item.port}"`;
      },
    }),
  );
}

const ORIGIN = /^https?:\/\/[^/\s]+$/;

function Origins(): PropertyDecorator {
  const bad = (origins: string[]) => origins.find((origin) => !ORIGIN.test(origin));
  return allOf(
    Transform(({ value }) => (value as string).split(',').map((origin) => origin.trim())),
    rule({
      name: 'origins',
      schema: { type: 'string' },
      test: (value) => bad(value as string[]) === undefined,
      message: ({ value }) => `must list origins such as https://desk.example.com, got "${bad(value as string[])}"`,
    }),
  );
}

/** The gateway's variables, each property named as its variable. */
export class GatewayEnvironment {
  @EnvNumber({ whole: true, min: 1, max: 65_535, expectation: 'a port number from 1 to 65535' }) PORT = 3000;
  /** Probes and metrics, apart from the API: the Service leaves it out, only the kubelet and Prometheus reach it. */
  @EnvNumber({ whole: true, min: 1, max: 65_535, expectation: 'a port number from 1 to 65535' }) ADMIN_PORT = 9464;
  @Text() HOST = '0.0.0.0';
  @Required('is not set (the YAML or JSON file that lists the Interact accounts)')
  @Text()
  GATEWAY_CONFIG_FILE!: string;
  /** Absolute base of problem type URIs and the OpenAPI server; relative when unset. */
  @HttpUrl() PUBLIC_BASE_URL?: string;
  @OneOf(LOG_LEVELS, ({ value }) => `must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`)
  LOG_LEVEL: LogLevel = 'info';
  /** No time at all would cut every request in flight. */
  @EnvNumber({ min: 1 }) SHUTDOWN_GRACE_SECONDS = 20;
  @EnvNumber({ min: 0 }) DRAIN_LISTEN_SECONDS = 2;
  @EnvBoolean() DOCS_ENABLED = true;
  @Origins() CORS_ORIGINS: string[] = [];
  @EnvNumber({ whole: true, min: 1 }) RENDER_THREADS = defaultRenderThreads();
  @Text({ pattern: /^rediss?:\/\/\S+$/, message: 'must be a redis:// or rediss:// URL' }) REDIS_URL?: string;
  @HostPorts() REDIS_SENTINELS?: HostPort[];
  @Text() REDIS_SENTINEL_NAME?: string;
  @HostPorts() REDIS_CLUSTER_NODES?: HostPort[];
  @Text() REDIS_PASSWORD?: string;
  @EnvBoolean() REDIS_TLS = false;
  @EnvNumber({ whole: true, min: 1 }) REDIS_COMMAND_TIMEOUT_MS = 250;
  @EnvNumber({ whole: true, min: 1024 }) CACHE_MEMORY_MAX_BYTES = 64 * 1024 * 1024;
  @EnvNumber({ min: 0 }) CACHE_LOCAL_TTL_SECONDS = 2;
  @Text({ pattern: /^[A-Za-z0-9_.-]{1,64}$/, message: 'must be 1 to 64 letters, digits, ".", "_" or "-"' })
  CACHE_KEY_PREFIX = 'ifg';
  @EnvNumber({ min: 0 }) CACHE_STALE_WHILE_REVALIDATE_SECONDS = 60;
  @EnvNumber({ min: 0 }) CACHE_STALE_IF_ERROR_SECONDS = 3_600;
  @EnvNumber({ min: 0 }) CACHE_NEGATIVE_TTL_SECONDS = 30;
  @EnvNumber({ whole: true, min: 0 }) CACHE_COMPRESS_ABOVE_BYTES = 16 * 1024;
  /** Photos up to this size are cached with the flows; larger ones stream through. */
  @EnvNumber({ whole: true, min: 0 }) CACHE_PHOTO_MAX_BYTES = 1024 * 1024;
  /** An uploaded photo never changes: it is kept, and callers may keep it, this long. */
  @EnvNumber({ whole: true, min: 1 }) CACHE_PHOTO_TTL_SECONDS = 86_400;
}

/** config/gateway.schema.json: what editors check a configuration file against as it is typed. */
export function gatewayFileSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Interact Flow Gateway configuration (GATEWAY_CONFIG_FILE)',
    ...jsonSchemaOf(GatewayFile),
  };
}
