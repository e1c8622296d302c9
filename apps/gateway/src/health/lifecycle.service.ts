import { Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { trackConnections, type ConnectionTracker } from './connections.js';

/**
 * Whether the gateway is draining: readiness fails from the moment shutdown begins, and every
 * response of the API from then on closes its connection. Without that, a keep-alive connection
 * that was busy when the server began closing would hold the drain open until its keep-alive
 * timeout.
 */
@Injectable()
export class LifecycleService implements OnModuleInit, BeforeApplicationShutdown {
  private draining = false;
  private tracker?: ConnectionTracker;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  get shuttingDown(): boolean {
    return this.draining;
  }

  /** The API listener's connections. */
  get connections(): ConnectionTracker {
    if (!this.tracker) throw new Error('the API listener is tracked once the application is initialized');
    return this.tracker;
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (this.draining) void reply.header('connection', 'close');
      done(null, payload);
    });
    this.tracker = trackConnections(fastify);
  }

  beginShutdown(): void {
    this.draining = true;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
