import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { GATEWAY_CONFIG, type ApiClient, type GatewayConfig } from '../config/gateway.config.js';
import { ProblemException } from '../problems/problem.js';
import { IS_PUBLIC } from './public.decorator.js';

declare module 'fastify' {
  interface FastifyRequest {
    client?: ApiClient;
  }
}

const REALM = 'Bearer realm="interact-flow-gateway"';
const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/**
 * Every API call names its client with `Authorization: Bearer <key>`. Keys are known only by
 * their SHA-256, compared with every client's in constant time, and a client reads only its accounts.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly configuredAccounts: Set<string>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.configuredAccounts = new Set(config.accounts.map((account) => account.accountId));
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
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
        'unauthorized',
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
    request.client = client;
    return true;
  }

  private clientOf(key: string): ApiClient | undefined {
    const digest = createHash('sha256').update(key).digest();
    let found: ApiClient | undefined;
    // Every client is compared, so the time taken says nothing about which one (if any) matched.
    for (const client of this.config.clients) {
      if (timingSafeEqual(digest, client.keySha256) && found === undefined) found = client;
    }
    return found;
  }
}
