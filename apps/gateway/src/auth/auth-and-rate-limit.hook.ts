import { hash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_CONFIG, type ApiClient, type GatewayConfig } from '../config/gateway.config.js';
import { sendProblemException } from '../problems/problem.filter.js';
import { ProblemException } from '../problems/problem.js';
import { RATE_LIMIT_WINDOW_SECONDS, RateLimiter, type Quota } from './rate-limiter.js';

declare module 'fastify' {
  interface FastifyRequest {
    client?: ApiClient;
  }
}

/** The API proper; probes, metrics, problem pages and the docs are open. */
const API_PREFIX = '/v1/';
const REALM = 'Bearer realm="interact-flow-gateway"';
const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;
/** The name RateLimit gives the one policy RateLimit-Policy states: a client's requests per minute. */
const POLICY = '"per-minute"';

/**
 * Authenticates each API call, authorizes it for the account it names and holds its client to its
 * rate limit. A call names its client with `Authorization: Bearer <key>`; keys are known only by
 * their SHA-256, compared with every client's in constant time. A Fastify hook rather than a Nest
 * guard, so that it guards the cache-hit lane (CachedFlowHook), which answers before Nest is
 * involved, and Nest's routes alike.
 */
@Injectable()
export class AuthAndRateLimitHook implements OnModuleInit {
  private readonly configuredAccounts: Set<string>;
  /**
   * Keys already matched, with their client: hashing the key of every request cost a cache hit
   * about a tenth of its time. Only keys that matched enter, so it never holds more than the
   * configured keys, and a wrong key is hashed and compared every time.
   */
  private readonly matchedKeys = new Map<string, ApiClient>();
  /** Each client's RateLimit-Policy, written once: it changes only with the configuration. */
  private readonly policies: Map<ApiClient, string>;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly rateLimiter: RateLimiter,
  ) {
    this.configuredAccounts = new Set(config.accounts.map((account) => account.accountId));
    this.policies = new Map(
      config.clients.map((client) => [
        client,
        `${POLICY};q=${client.rateLimitPerMinute};w=${RATE_LIMIT_WINDOW_SECONDS}`,
      ]),
    );
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!request.routeOptions.url?.startsWith(API_PREFIX)) return done();
      const refuse = (problem: ProblemException) =>
        void sendProblemException(reply, problem, this.config.publicBaseUrl);
      let client: ApiClient;
      try {
        client = this.identify(request);
      } catch (error) {
        return error instanceof ProblemException ? refuse(error) : done(error as Error);
      }
      request.client = client;
      // Most requests are admitted from this replica's reservation; the others wait to reserve more.
      if (this.rateLimiter.admitReserved(client)) return this.admitted(reply, client, done);
      this.rateLimiter.admit(client).then((retryAfterSeconds) => {
        if (retryAfterSeconds === undefined) return this.admitted(reply, client, done);
        // The same window as Retry-After's, to the second.
        this.sendQuota(reply, client, { remaining: 0, resetSeconds: retryAfterSeconds });
        refuse(
          new ProblemException(
            'rate-limited',
            `Client ${client.id} sent more requests this minute than it may.`,
            {},
            { 'retry-after': String(retryAfterSeconds) },
          ),
        );
      }, done);
    });
  }

  /** Set before the request goes on, so that every answer to it carries them, the cache hit's and the problems' alike. */
  private admitted(reply: FastifyReply, client: ApiClient, done: () => void): void {
    this.sendQuota(reply, client, this.rateLimiter.quota(client));
    done();
  }

  /** The RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers. */
  private sendQuota(reply: FastifyReply, client: ApiClient, { remaining, resetSeconds }: Quota): void {
    reply.header('ratelimit-policy', this.policies.get(client));
    reply.header('ratelimit', `${POLICY};r=${remaining};t=${resetSeconds}`);
  }

  /** The client that sent the request, allowed to read the account it names. */
  private identify(request: FastifyRequest): ApiClient {
    const key = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (key === undefined) {
      throw new ProblemException(
        'unauthorized',
        'Send an API key as Authorization: Bearer <key>.',
        {},
        { 'www-authenticate': REALM },
      );
    }
    const client = this.clientOf(key);
    if (!client) {
      throw new ProblemException(
        'invalid-api-key',
        'The API key is not valid.',
        {},
        { 'www-authenticate': `${REALM}, error="invalid_token"` },
      );
    }
    const accountId = (request.params as { accountId?: string } | undefined)?.accountId;
    // An account that does not exist goes on to be answered 404 (or 400 if malformed) like any other.
    if (accountId !== undefined && this.configuredAccounts.has(accountId) && !client.accounts.includes(accountId)) {
      throw new ProblemException('forbidden', `Client ${client.id} may not read this account.`);
    }
    return client;
  }

  private clientOf(key: string): ApiClient | undefined {
    const matched = this.matchedKeys.get(key);
    if (matched) return matched;
    const digest = hash('sha256', key, 'buffer');
    let found: ApiClient | undefined;
    // Every client is compared, so the time taken says nothing about which one (if any) matched.
    for (const client of this.config.clients) {
      if (timingSafeEqual(digest, client.keySha256) && found === undefined) found = client;
    }
    if (found) this.matchedKeys.set(key, found);
    return found;
  }
}
