import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry } from './entry.codec.js';

describe('entry codec', () => {
  it('round-trips metadata and body, compressing only above the threshold', async () => {
    const small = Buffer.from('{"pages":[]}');
    const encodedSmall = await encodeEntry({ etag: '"a"' }, small, 1024);
    expect(encodedSmall.readUInt8(1)).toBe(0);
    expect(await decodeEntry(encodedSmall)).toEqual({ meta: { etag: '"a"' }, body: small });

    const large = Buffer.from(
      JSON.stringify(Array.from({ length: 2_000 }, (_, i) => ({ page: i, text: 'same words again' }))),
    );
    const encodedLarge = await encodeEntry({ etag: '"b"' }, large, 1024);
    expect(encodedLarge.readUInt8(1)).toBe(1);
    expect(encodedLarge.length).toBeLessThan(large.length / 5);
    expect(await decodeEntry(encodedLarge)).toEqual({ meta: { etag: '"b"' }, body: large });
  });

  it('reads anything it did not write as nothing', async () => {
    expect(await decodeEntry(Buffer.from('not an entry'))).toBeNull();
    expect(await decodeEntry(Buffer.alloc(0))).toBeNull();
    const truncated = (await encodeEntry({ long: 'x'.repeat(100) }, Buffer.from('b'), 1024)).subarray(0, 20);
    expect(await decodeEntry(truncated)).toBeNull();
    const corrupt = await encodeEntry({}, Buffer.alloc(5_000, 'a'), 10);
    corrupt.fill(0, 20);
    expect(await decodeEntry(corrupt)).toBeNull();
  });
});
