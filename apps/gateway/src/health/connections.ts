import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** What holds a server open: its connections, and the requests among them whose answers are still being written. */
export interface OpenWork {
  connections: number;
  /** `GET /docs/swagger-ui-bundle.js`: method and path, the query left out. */
  requests: string[];
}

/** Long enough to tell a request, short enough for a log line. */
const PATH_SHOWN = 120;

/**
 * The connections of one listener, so that its close ends as soon as its last answer is written,
 * and a drain can say what it waits for. Node's server.close() closes the connections idle at
 * that moment, once, and waits for every other. Two kinds would then hold a drain to the end of
 * its grace period although no request is left:
 * - a connection that never sent a request (a preconnecting browser or proxy, a TCP probe): Node
 *   counts it active until its headers time out, and the close stops that timer
 *   (nodejs/node#63452);
 * - a keep-alive connection whose answer was still being written when the server closed (a large
 *   file to a slow client, whose headers had said keep-alive): once written, it is idle, and
 *   nothing closes it. A browser keeps such connections for minutes.
 * The first are closed with the server; the second as soon as their answer is written.
 */
export class ConnectionTracker {
  /** Each open connection, with the answer to its latest request; none before its first. */
  private readonly connections = new Map<Socket, ServerResponse | undefined>();

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.connections.set(socket, undefined);
      socket.once('close', () => this.connections.delete(socket));
    });
    // One map write per request, no listener of its own: a cache hit pays nothing more.
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (this.connections.has(request.socket)) this.connections.set(request.socket, response);
    });
  }

  openWork(): OpenWork {
    const requests: string[] = [];
    for (const response of this.connections.values()) {
      if (response === undefined || response.writableFinished) continue;
      const { method, url = '' } = response.req;
      requests.push(`${method} ${url.split('?', 1)[0].slice(0, PATH_SHOWN)}`);
    }
    return { connections: this.connections.size, requests };
  }

  /** As the server closes: see the class. The idle ones Node closes itself. */
  closeWhenIdle(): void {
    for (const [socket, response] of this.connections) {
      if (response === undefined) socket.destroy();
      // Node detaches a written answer from its connection in its own 'finish' listener, added
      // before this one: the connection is idle by the time this runs.
      else if (!response.writableFinished) response.once('finish', () => this.server.closeIdleConnections());
    }
  }
}

/** Tracks the instance's connections, and closes them as its close requires. */
export function trackConnections(fastify: FastifyInstance): ConnectionTracker {
  const tracker = new ConnectionTracker(fastify.server);
  // preClose runs just before Fastify calls server.close(), which closes the connections idle then.
  fastify.addHook('preClose', (done) => {
    tracker.closeWhenIdle();
    done();
  });
  return tracker;
}
