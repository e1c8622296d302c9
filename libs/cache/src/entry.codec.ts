import { promisify } from 'node:util';
import { constants, gunzip, gunzipSync, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

const FORMAT = 1;
const COMPRESSED = 1;
const HEADER_BYTES = 6;
/**
 * Entries this small are inflated on the spot, as every cache hit reads one: the thread pool's
 * round trip costs more than the work (a 41 kB history takes 80 µs inline, 150 µs of CPU through
 * the pool). Histories compress about 25 to 1: this much gzip holds some 400 kB, a millisecond to
 * inflate. Compression always goes to the pool: it happens once per miss, after the answer has
 * gone, and there the event loop's time is worth more than the pool's.
 */
const INLINE_GUNZIP_MAX_BYTES = 16 * 1024;
const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED };

/**
 * A cache value: JSON metadata and an opaque body, the body gzipped above a threshold.
 * Layout: format (1 byte), flags (1 byte), metadata length (uint32 BE), metadata, body.
 */
export async function encodeEntry(meta: object, body: Buffer, compressAbove: number): Promise<Buffer> {
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const compress = body.length > compressAbove;
  let payload = body;
  if (compress) payload = await gzipAsync(body, GZIP_OPTIONS);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(FORMAT, 0);
  header.writeUInt8(compress ? COMPRESSED : 0, 1);
  header.writeUInt32BE(metaBytes.length, 2);
  return Buffer.concat([header, metaBytes, payload]);
}

/** Null for anything this format version did not write: it is then simply a miss. */
export async function decodeEntry<Meta>(value: Buffer): Promise<{ meta: Meta; body: Buffer } | null> {
  if (value.length < HEADER_BYTES || value.readUInt8(0) !== FORMAT) return null;
  const metaLength = value.readUInt32BE(2);
  if (HEADER_BYTES + metaLength > value.length) return null;
  try {
    const meta = JSON.parse(value.subarray(HEADER_BYTES, HEADER_BYTES + metaLength).toString()) as Meta;
    const payload = value.subarray(HEADER_BYTES + metaLength);
    let body = payload;
    if (value.readUInt8(1) & COMPRESSED)
      body = payload.length <= INLINE_GUNZIP_MAX_BYTES ? gunzipSync(payload) : await gunzipAsync(payload);
    return { meta, body };
  } catch {
    return null;
  }
}
