import { Module } from '@nestjs/common';
import type { SharedStore } from '@app/cache';
import { CacheModule } from '../cache/cache.module.js';
import { CACHE_STORE } from '../cache/cache.tokens.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { AuthAndRateLimitHook } from './auth-and-rate-limit.hook.js';
import { RateLimiter } from './rate-limiter.js';

@Module({
  imports: [CacheModule],
  providers: [
    {
      provide: RateLimiter,
      useFactory: (store: SharedStore, config: GatewayConfig) => new RateLimiter(store, config.cache.keyPrefix),
      inject: [CACHE_STORE, GATEWAY_CONFIG],
    },
    AuthAndRateLimitHook,
  ],
})
export class AuthModule {}
