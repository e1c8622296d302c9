import { Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MemoryStore, RedisStore, type SharedStore } from '@app/cache';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { CACHE_STORE } from './cache.tokens.js';
import { FlowCacheService } from './flow-cache.service.js';
import { PhotoCacheService } from './photo-cache.service.js';

const STARTUP_WAIT_MS = 3_000;

function createStore(config: GatewayConfig): SharedStore {
  const { store } = config.cache;
  if (store.kind === 'memory') return new MemoryStore(store.maxBytes);
  const logger = new Logger('Redis');
  return new RedisStore({
    connection: store.connection,
    commandTimeoutMs: store.commandTimeoutMs,
    onHealthChange: (health) => {
      if (health.state === 'up') logger.log('Redis answers; serving with the shared cache');
      else logger.warn(`Redis degraded (${health.reason}: ${health.cause}); serving without the shared cache`);
    },
  });
}

@Module({
  providers: [
    { provide: CACHE_STORE, useFactory: createStore, inject: [GATEWAY_CONFIG] },
    FlowCacheService,
    PhotoCacheService,
  ],
  exports: [FlowCacheService, PhotoCacheService, CACHE_STORE],
})
export class CacheModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(CACHE_STORE) private readonly store: SharedStore,
    private readonly flowCache: FlowCacheService,
    private readonly photoCache: PhotoCacheService,
  ) {}

  /** Give Redis a moment to connect so the first requests find it; start without it if it is down. */
  async onApplicationBootstrap(): Promise<void> {
    await this.store.waitUntilUp(STARTUP_WAIT_MS);
    const health = this.store.health();
    if (health.state === 'degraded') {
      new Logger('Redis').warn(
        `Redis not usable after ${STARTUP_WAIT_MS} ms (${health.reason}: ${health.cause}); starting without the shared cache`,
      );
    }
  }

  /** Misses are answered before their entries are written: those writes finish before the store closes. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.flowCache.settled(), this.photoCache.settled()]);
    await this.store.close();
  }
}
