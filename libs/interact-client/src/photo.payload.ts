import { Transform, pipeline, type Readable } from 'node:stream';
import type { PhotoAnswer } from './photo-transport.js';
import { UpstreamFailedError } from './upstream.errors.js';

/** The image formats a photo may be served as, by what its first bytes say. */
export type ImageType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp' | 'image/heic';

/** Enough of a body to tell every format below apart. */
export const SNIFF_BYTES = 16;

const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0) =>
  bytes.length >= at + signature.length && signature.every((byte, index) => bytes[at + index] === byte);

const ascii = (text: string) => [...text].map((character) => character.charCodeAt(0));

/** ISO BMFF brands of HEIC/HEIF stills, as iPhones and Android cameras write them. */
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

/**
 * The image type the first bytes of a body prove, or undefined: the type upstream declares is not
 * trusted (Interact calls every photo image/jpg), and anything that is not one of these images
 * (HTML, SVG, text, an empty body) must never reach a browser as a photo.
 */
export function sniffImageType(head: Uint8Array): ImageType | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, ascii('ftyp'), 4) && head.length >= 12) {
    const brand = String.fromCharCode(...head.subarray(8, 12));
    if (HEIC_BRANDS.has(brand)) return 'image/heic';
  }
  return undefined;
}

/** Upstream's Content-Type as a bare media type: lower case, parameters (the charset) dropped, image/jpg as image/jpeg. */
export function normalizeContentType(declared: string | undefined): string | undefined {
  const type = declared?.split(';')[0]!.trim().toLowerCase();
  if (!type) return undefined;
  return type === 'image/jpg' || type === 'image/pjpeg' ? 'image/jpeg' : type;
}

/** A photo read whole: small enough to keep. */
export interface WholePhoto {
  kind: 'whole';
  contentType: ImageType;
  body: Buffer;
}

/**
 * A photo read in part: the bytes read so far (its type proven by them) and the rest unread, as a
 * stream that fails once the photo passes maxBytes, and ends its upstream body whenever it ends.
 */
export interface PartialPhoto {
  kind: 'partial';
  contentType: ImageType;
  /** Streams the head and then the rest; fails as soon as the photo proves larger than maxBytes. */
  stream(): Readable;
  /** Ends the upstream body, for a photo nobody will stream. */
  discard(): void;
}

export interface PhotoReading {
  /** Read whole up to this size, and kept. */
  bufferBytes: number;
  /** The photo fails past this size. */
  maxBytes: number;
  /** Told the size of each chunk of a streamed photo's rest as it passes on to the caller. */
  passed?: (bytes: number) => void;
}

/** The photo is larger than the account allows. */
export class PhotoTooLargeError extends UpstreamFailedError {}

/**
 * Reads a photo's answer until it ends or passes bufferBytes, whichever comes first, and checks
 * that it is an image: upstream's declared type must be an image's (or absent), and the first bytes
 * must prove one of ImageType. Rejects with an UpstreamFailedError otherwise, or when the photo
 * is announced or read larger than maxBytes; the body is then destroyed.
 */
export async function readPhotoHead(
  answer: PhotoAnswer,
  { bufferBytes, maxBytes, passed }: PhotoReading,
): Promise<WholePhoto | PartialPhoto> {
  const { body } = answer;
  // Not destroyed when the head is read: the rest of the body is piped, chunk by chunk (see cappedRest).
  const chunks = body.iterator({ destroyOnReturn: false }) as AsyncIterator<Buffer>;
  const release = () => {
    body.on('error', () => undefined);
    body.destroy();
  };
  try {
    if (answer.contentLength !== undefined && answer.contentLength > maxBytes)
      throw new PhotoTooLargeError(`photo announced larger than ${maxBytes} bytes`);
    const declared = normalizeContentType(answer.contentType);
    if (declared !== undefined && !declared.startsWith('image/'))
      throw new UpstreamFailedError('photo answer is not declared as an image');
    const head: Buffer[] = [];
    let size = 0;
    // At least enough to tell the format, even when nothing is to be kept.
    const wanted = Math.max(bufferBytes + 1, SNIFF_BYTES);
    let ended = false;
    while (size < wanted) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      head.push(next.value);
      size += next.value.length;
      if (size > maxBytes) throw new PhotoTooLargeError(`photo larger than ${maxBytes} bytes`);
    }
    const bytes = Buffer.concat(head);
    const contentType = sniffImageType(bytes.subarray(0, SNIFF_BYTES));
    if (!contentType) throw new UpstreamFailedError('photo answer is not an image');
    if (ended) return { kind: 'whole', contentType, body: bytes };
    await chunks.return?.();
    // Until the rest is piped nothing else listens to the body: a failure it reports meanwhile
    // must not reach the process as an unhandled 'error'; it stays in the body's state, for the pipe.
    body.on('error', () => undefined);
    return {
      kind: 'partial',
      contentType,
      stream: () => cappedRest(bytes, body, maxBytes, passed),
      discard: release,
    };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * The head, then the rest of the body as it arrives, failing once the photo passes maxBytes. Piped,
 * not iterated: an iterator reads a stream in paused mode, where each read joins every chunk
 * buffered into a new one, a copy of the photo's bytes for the collector to free. Destroying the
 * result (its caller gone) destroys the upstream body, and the body's failure fails the result.
 */
function cappedRest(
  head: Buffer,
  body: Readable,
  maxBytes: number,
  passed: ((bytes: number) => void) | undefined,
): Readable {
  let size = head.length;
  const rest = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new PhotoTooLargeError(`photo larger than ${maxBytes} bytes`));
      passed?.(chunk.length);
      done(null, chunk);
    },
  });
  rest.push(head);
  pipeline(body, rest, () => undefined);
  return rest;
}
