import { Inject, Logger, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MemoryStore, RedisStore, type CacheStore } from '@app/cache';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { CACHE_STORE } from './cache.tokens.js';
import { FlowCacheService } from './flow-cache.service.js';

const STARTUP_WAIT_MS = 3_000;

function createStore(config: GatewayConfig): CacheStore {
  const { store } = config.cache;
  if (store.kind === 'memory') return new MemoryStore(store.maxBytes);
  const logger = new Logger('Redis');
  let lastLogged = 0;
  return new RedisStore({
    connection: store.connection,
    commandTimeoutMs: store.commandTimeoutMs,
    onError: (error) => {
      // A Redis outage emits an error per reconnection attempt; one line every 10 s says enough.
      if (Date.now() - lastLogged < 10_000) return;
      lastLogged = Date.now();
      logger.warn(`Redis unavailable, serving without the shared cache: ${error.message}`);
    },
  });
}

@Module({
  providers: [{ provide: CACHE_STORE, useFactory: createStore, inject: [GATEWAY_CONFIG] }, FlowCacheService],
  exports: [FlowCacheService, CACHE_STORE],
})
export class CacheModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(CACHE_STORE) private readonly store: CacheStore,
    private readonly flowCache: FlowCacheService,
  ) {}

  /** Give Redis a moment to connect so the first requests find it; start without it if it is down. */
  async onApplicationBootstrap(): Promise<void> {
    if (!(await this.store.waitUntilUp(STARTUP_WAIT_MS))) {
      new Logger('Redis').warn(`Redis did not answer within ${STARTUP_WAIT_MS} ms; starting without the shared cache`);
    }
  }

  /** Misses are answered before their entries are written: those writes finish before the store closes. */
  async onApplicationShutdown(): Promise<void> {
    await this.flowCache.settled();
    await this.store.close();
  }
}
