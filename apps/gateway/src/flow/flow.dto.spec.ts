import 'reflect-metadata';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InteractionFlowParams, LOOKUP_VALUE_SCHEMA } from './flow.dto.js';

/** What a client holding the OpenAPI document accepts: its schema, checked as JSON Schema 2020-12. */
const documented = new Ajv2020().compile({ type: 'string', ...LOOKUP_VALUE_SCHEMA });

/** What the gateway accepts. */
async function validated(interactionId: string): Promise<boolean> {
  const errors = await validate(plainToInstance(InteractionFlowParams, { accountId: '12345678', interactionId }));
  return errors.length === 0;
}

/** Every code point the rules single out: what NFKC changes, controls, formatting, separators and spaces. */
const SINGLED_OUT = Array.from({ length: 0x110000 }, (_, codePoint) => codePoint)
  .filter((codePoint) => codePoint < 0xd800 || codePoint > 0xdfff)
  .map((codePoint) => String.fromCodePoint(codePoint))
  .filter((char) => char.normalize('NFKC') !== char || /[\p{Cc}\p{Cf}\p{Z}\s.%<>&/\\\ufffe\uffff]/u.test(char));

describe('the documented rules of a lookup value', () => {
  it('accept exactly what validation accepts, for every code point the rules single out', async () => {
    const disagreements: string[] = [];
    for (const char of SINGLED_OUT)
      for (const value of [char, `${char}${char}`, `a${char}b`, `.${char}`])
        if (documented(value) !== (await validated(value)))
          disagreements.push(`${JSON.stringify(value)} (U+${char.codePointAt(0)!.toString(16)})`);
    expect(disagreements).toEqual([]);
  });

  it('accept exactly what validation accepts, for values made of them and of plain characters', async () => {
    const unit = fc.oneof(
      fc.constantFrom('a', 'Z', '0', '9', 'F', '-', '_', ' ', 'é', '😀', '\ufe0f', '%', '2', 'f'),
      fc.nat({ max: SINGLED_OUT.length - 1 }).map((index) => SINGLED_OUT[index]),
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit, minLength: 0, maxLength: 12 }), async (value) => {
        expect(documented(value)).toBe(await validated(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('count lengths in code points, as JSON Schema does', async () => {
    for (const [value, valid] of [
      ['😀'.repeat(128), true],
      ['😀'.repeat(129), false],
      ['a\ufe0f'.repeat(64), true],
      ['a\ufe0f'.repeat(64) + 'a', false],
      ['', false],
    ] as const) {
      expect(documented(value), value).toBe(valid);
      expect(await validated(value), value).toBe(valid);
    }
  });
});
