import { jpegImage, pngImage } from './images.js';

/** The photo paths the simulator holds, for the demo histories and for tests. */
export const PHOTO_PATHS = {
  /** The two photos of the demo claim 040100713. */
  claimPng: '/mnt/sdcard/home/downloads/i1152998579.png',
  claimJpeg: '/mnt/sdcard/home/downloads/i1152998580 (1).png',
  /** The photo of the recorded history, a path without a file extension. */
  recorded: '/mnt/sdcard/home/downloads/i1152998579',
  /** An uncompressed document scan: some 12 MB. */
  large: '/mnt/sdcard/DCIM/document-scan.jpg',
  /** Hostile: each served as an image. */
  html: '/mnt/sdcard/hostile/page.jpg',
  svg: '/mnt/sdcard/hostile/drawing.svg',
  text: '/mnt/sdcard/hostile/notes.jpg',
  empty: '/mnt/sdcard/hostile/empty.jpg',
} as const;

/** Interact's own size for a photo when no maxSize is asked. */
const DEFAULT_SIZE = 640;
const LARGE_BYTES = 12 * 1024 * 1024;

const HTML = '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>';
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>';

let large: Buffer | undefined;

/** A JPEG padded with a comment segment after its start, to the size of an uncompressed scan. */
function largeJpeg(): Buffer {
  if (!large) {
    const image = jpegImage(64, 48);
    const fill = Buffer.alloc(LARGE_BYTES, 0x20);
    // Comment segments carry at most 65,533 bytes each.
    const comments: Buffer[] = [];
    for (let at = 0; at < fill.length; at += 65_533) {
      const part = fill.subarray(at, at + 65_533);
      comments.push(Buffer.from([0xff, 0xfe, (part.length + 2) >> 8, (part.length + 2) & 0xff]), part);
    }
    large = Buffer.concat([image.subarray(0, 2), ...comments, image.subarray(2)]);
  }
  return large;
}

/** The bytes Interact would answer for a path at a size; undefined for a path it does not hold. */
export function photoBytes(path: string, maxSize: number | undefined): Buffer | undefined {
  const side = maxSize ?? DEFAULT_SIZE;
  const height = Math.max(8, Math.round((side * 3) / 4));
  switch (path) {
    case PHOTO_PATHS.claimPng:
    case PHOTO_PATHS.recorded:
      return pngImage(side, height);
    case PHOTO_PATHS.claimJpeg:
      return jpegImage(side, height);
    case PHOTO_PATHS.large:
      return largeJpeg();
    case PHOTO_PATHS.html:
      return Buffer.from(HTML);
    case PHOTO_PATHS.svg:
      return Buffer.from(SVG);
    case PHOTO_PATHS.text:
      return Buffer.from('just some notes');
    case PHOTO_PATHS.empty:
      return Buffer.alloc(0);
    default:
      return undefined;
  }
}
