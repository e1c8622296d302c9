import type { Socket } from 'node:net';
import { Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

/**
 * Whether the gateway is draining: readiness fails from the moment shutdown begins, and every
 * response from then on closes its connection. Without that, a keep-alive connection that was
 * busy when the server began closing would hold the drain open until its keep-alive timeout.
 */
@Injectable()
export class LifecycleService implements OnModuleInit, BeforeApplicationShutdown {
  private draining = false;
  /** Connections that have not begun a request yet. */
  private readonly unused = new Set<Socket>();

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  get shuttingDown(): boolean {
    return this.draining;
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (this.draining) void reply.header('connection', 'close');
      done(null, payload);
    });
    // Node 20's server.close() closes idle keep-alive connections but waits, with no timeout, for
    // one that never sent a request (nodejs/node#63452): a preconnecting proxy or a TCP probe would
    // hold the drain to the end of the grace period. Those are closed just before the server.
    fastify.server.on('connection', (socket: Socket) => {
      this.unused.add(socket);
      socket.once('close', () => this.unused.delete(socket));
    });
    fastify.server.on('request', (request: { socket: Socket }) => this.unused.delete(request.socket));
    fastify.addHook('preClose', (done) => {
      for (const socket of this.unused) socket.destroy();
      done();
    });
  }

  beginShutdown(): void {
    this.draining = true;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
