import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { CacheStore } from '@app/cache';
import { CacheModule } from '../cache/cache.module.js';
import { CACHE_STORE } from '../cache/cache.tokens.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { RateLimitStorage } from './rate-limit.storage.js';

const MINUTE_MS = 60_000;

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [CacheModule],
      inject: [GATEWAY_CONFIG, CACHE_STORE],
      useFactory: (config: GatewayConfig, store: CacheStore) => ({
        storage: new RateLimitStorage(store),
        throttlers: [
          {
            name: 'default',
            ttl: MINUTE_MS,
            limit: (context) => context.switchToHttp().getRequest<FastifyRequest>().client?.rateLimitPerMinute ?? 1,
          },
        ],
        // One window per client across every route and replica.
        getTracker: (request: Record<string, unknown>) =>
          (request as unknown as FastifyRequest).client?.id ?? 'anonymous',
        generateKey: (_context, tracker) => `${config.cache.keyPrefix}:rate:${tracker}`,
      }),
    }),
  ],
  // Order matters: the client must be known before its limit is looked up.
  providers: [
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: ThrottlerGuard },
  ],
})
export class AuthModule {}
