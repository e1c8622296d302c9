import { UpstreamFailedError } from './upstream.errors.js';

/** An undici response body read whole, or refused as soon as it proves larger than maxBytes. */
export async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): void },
  declaredLength: unknown,
  maxBytes: number,
): Promise<Uint8Array> {
  // A body announced as too large is refused before any of it is read.
  if (Number(declaredLength) > maxBytes) {
    body.destroy();
    throw new UpstreamFailedError(`response larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new UpstreamFailedError(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  // A body of its own, never a slice of Node's shared pool, so that it can be moved to a worker.
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
