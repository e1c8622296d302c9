import { randomUUID } from 'node:crypto';
import { METHODS, STATUS_CODES, maxHeaderSize, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problems/problem.filter.js';

/** The request line, when the bytes Node's parser gave up on start with one. */
const REQUEST_LINE = /^([A-Z]+) (\/[\x21-\x7e]{0,255})[\x21-\x7e]* HTTP\/1\.[01]\r\n/;
const KNOWN_METHODS = new Set(METHODS);

/** A request refused for its header section, as the request log and the metrics take it. */
export interface HeaderOverflow {
  requestId: string;
  /** From the request line when the parser's bytes show it: a method Node knows, else undefined. */
  method: string | undefined;
  ip: string | undefined;
}

/**
 * Node's parser refuses a header section over `maxHeaderSize` before Fastify sees a request, and
 * Fastify's own answer to it is JSON of another shape: answered here as the problem every other
 * refusal is, with the security headers, on a connection that then closes (the parser cannot go
 * on). Ahead of Fastify's handler, which leaves a destroyed socket alone; every other client error
 * stays its.
 */
export function answerHeaderOverflowAsProblem(
  server: Server,
  headers: Record<string, string>,
  publicBaseUrl: string | undefined,
  answered: (refused: HeaderOverflow) => void,
): void {
  server.prependListener('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    if (error.code !== 'HPE_HEADER_OVERFLOW' || !socket.writable) return;
    const id = randomUUID();
    // The path when the parser's bytes show it; else the empty reference, which stands for the request's own URL.
    const line = REQUEST_LINE.exec(error.rawPacket?.toString('latin1', 0, 4096) ?? '');
    const url = line?.[2] ?? '';
    const method = line && KNOWN_METHODS.has(line[1]!) ? line[1] : undefined;
    const body = JSON.stringify(
      problemBody(
        'headers-too-large',
        `The request's header section is larger than ${maxHeaderSize} bytes.`,
        { url, id },
        publicBaseUrl,
      ),
    );
    const fields = {
      ...headers,
      'x-request-id': id,
      'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    };
    const head = Object.entries(fields).map(([name, value]) => `${name}: ${value}\r\n`);
    // Written and destroyed at once, as Node and Fastify do: destroyed, the socket is left alone by Fastify's handler.
    socket.write(`HTTP/1.1 431 ${STATUS_CODES[431]}\r\n${head.join('')}\r\n${body}`);
    const ip = (socket as Duplex & { remoteAddress?: string }).remoteAddress;
    socket.destroy();
    answered({ requestId: id, method, ip });
  });
}
