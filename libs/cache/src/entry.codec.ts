import { promisify } from 'node:util';
import { constants, gunzip, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

const FORMAT = 1;
const COMPRESSED = 1;
const HEADER_BYTES = 6;

/**
 * A cache value: JSON metadata and an opaque body, the body gzipped above a threshold. zlib runs on
 * libuv's thread pool, so compressing a large history does not stall the event loop.
 * Layout: format (1 byte), flags (1 byte), metadata length (uint32 BE), metadata, body.
 */
export async function encodeEntry(meta: object, body: Buffer, compressAbove: number): Promise<Buffer> {
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const compress = body.length > compressAbove;
  const payload = compress ? await gzipAsync(body, { level: constants.Z_BEST_SPEED }) : body;
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
    const body = value.readUInt8(1) & COMPRESSED ? await gunzipAsync(payload) : payload;
    return { meta, body };
  } catch {
    return null;
  }
}
