import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { PhotoTooLargeError, SNIFF_BYTES, readPhotoHead, type PartialPhoto } from './photo.payload.js';

const CHUNK_BYTES = 64 * 1024;
/** A JPEG's first bytes, then noise: enough for the sniffer, and bytes no two chunks share. */
const photoBytes = (chunks: number) =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(chunks * CHUNK_BYTES - 4)]);

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A real HTTP server answering every request with answer, and a real undici call to it. */
async function photoAnswer(answer: (response: ServerResponse) => void) {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'image/jpg;charset=UTF-8' });
    answer(response);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const { headers, body } = await request(`http://127.0.0.1:${port}/photo`);
  return { contentType: headers['content-type'] as string, contentLength: undefined, body };
}

async function writeChunks(response: ServerResponse, bytes: Buffer, pauseMs = 0) {
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) {
    if (!response.write(bytes.subarray(at, at + CHUNK_BYTES))) await once(response, 'drain');
    if (pauseMs) await sleep(pauseMs);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const partial = async (
  answer: Awaited<ReturnType<typeof photoAnswer>>,
  maxBytes = 64 * 1024 * 1024,
  passed?: (bytes: number) => void,
) => {
  const read = await readPhotoHead(answer, { bufferBytes: 0, maxBytes, passed });
  expect(read.kind).toBe('partial');
  return read as PartialPhoto;
};

describe('a photo streamed past its head', () => {
  it('streams every byte upstream sent, in order, once its head is read, telling each chunk it passes on', async () => {
    const sent = photoBytes(40);
    let told = 0;
    const read = await partial(
      await photoAnswer((response) => void writeChunks(response, sent).then(() => response.end())),
      sent.length,
      (bytes) => (told += bytes),
    );
    expect(read.contentType).toBe('image/jpeg');
    expect((await readAll(read.stream())).equals(sent)).toBe(true);
    // All but the head, read before any caller streamed: enough to tell the type, a chunk or two.
    expect(sent.length - told).toBeGreaterThanOrEqual(SNIFF_BYTES);
    expect(sent.length - told).toBeLessThanOrEqual(2 * CHUNK_BYTES);
  });

  it('fails once the photo passes maxBytes, and ends the upstream answer, though upstream goes on sending', async () => {
    const maxBytes = 10 * CHUNK_BYTES;
    let upstreamClosed!: Promise<boolean>;
    const read = await partial(
      await photoAnswer((response) => {
        upstreamClosed = once(response, 'close').then(() => response.writableFinished);
        void writeChunks(response, photoBytes(400)).catch(() => undefined);
      }),
      maxBytes,
    );
    await expect(readAll(read.stream())).rejects.toBeInstanceOf(PhotoTooLargeError);
    expect(await upstreamClosed).toBe(false);
  });

  it('fails when upstream breaks off mid-photo, so that no caller takes it for whole', async () => {
    const read = await partial(
      await photoAnswer((response) => void writeChunks(response, photoBytes(8)).then(() => response.destroy())),
    );
    await expect(readAll(read.stream())).rejects.toThrow();
  });

  it('fails the stream, without an unhandled error, when upstream breaks off before anyone streams it', async () => {
    // Less than undici buffers: it reads the break too, while nobody reads the body.
    const answer = await photoAnswer((response) => {
      response.write(photoBytes(1).subarray(0, 1024));
      setTimeout(() => response.destroy(), 50);
    });
    const read = await partial(answer);
    await new Promise((resolve) => answer.body.on('close', resolve));
    await expect(readAll(read.stream())).rejects.toThrow();
  });

  it('ends the upstream answer when its caller goes away mid-photo', async () => {
    let upstreamClosed!: Promise<boolean>;
    const read = await partial(
      await photoAnswer((response) => {
        upstreamClosed = once(response, 'close').then(() => response.writableFinished);
        void writeChunks(response, photoBytes(400), 5).catch(() => undefined);
      }),
    );
    const stream = read.stream();
    // The caller takes the head, then hangs up.
    await once(stream, 'data');
    stream.destroy();
    // Closed before upstream finished sending: the caller's leaving reached it.
    expect(await upstreamClosed).toBe(false);
  });
});
