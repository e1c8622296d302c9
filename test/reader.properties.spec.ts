import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SOAP_OPERATIONS } from '@app/interact';
import { readRestPayload } from '../libs/interact-client/src/rest.payload.js';
import { readSoapPayload } from '../libs/interact-client/src/soap.payload.js';
import { normalizePages } from '../apps/gateway/src/flow/flow.normalizer.js';
import { dialectEnvelope } from '../apps/interact-simulator/src/soap/soap-dialect.js';
import { essentialsOfFlow, essentialsOfRaw } from './support/essentials.js';
import { SEEDED_PAGES, mutate, soapDialect } from './support/mutations.js';

/** Every seeded history with pages; the long ones cut short, as their pages repeat one shape. */
const SEEDED = new Map([...SEEDED_PAGES].map(([uniqueId, pages]) => [uniqueId, pages.slice(0, 6)]));

const RESPONSE = SOAP_OPERATIONS.interactionId.response;
const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf];

describe('the page reader, on histories nobody wrote down', () => {
  it('reads every mutation of every seeded history alike from REST and SOAP, losing nothing entered', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDED.keys()),
        fc.gen(),
        soapDialect,
        fc.boolean(),
        (uniqueId, g, dialect, byteOrderMark) => {
          const { pages, added } = mutate(g, SEEDED.get(uniqueId)!);
          const json = new TextEncoder().encode(JSON.stringify(pages));
          const rest = readRestPayload(byteOrderMark ? new Uint8Array([...BYTE_ORDER_MARK, ...json]) : json);
          const xml = dialectEnvelope(RESPONSE, pages, dialect);
          const soap = readSoapPayload(200, RESPONSE, new TextEncoder().encode(xml));

          const flow = normalizePages(rest.pages);
          expect(normalizePages(soap.pages)).toEqual(flow);
          expect(flow).toHaveLength(pages.length);
          pages.forEach((raw, index) => {
            const expected = essentialsOfRaw(raw);
            expect(essentialsOfFlow(flow[index], expected)).toEqual(expected);
          });
          // Each field added is reported, up to the reader's bound per history.
          if (rest.unknownFields.length < 32) expect(rest.unknownFields).toEqual(expect.arrayContaining(added));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the time of a page whatever type its timestamp comes in', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }),
        fc.constantFrom('number', 'text', 'iso'),
        (ms, as) => {
          const timestamp = as === 'number' ? ms : as === 'text' ? String(ms) : new Date(ms).toISOString();
          const [page] = readRestPayload(new TextEncoder().encode(JSON.stringify([{ timestamp }]))).pages;
          expect(page.timestamp).toBe(ms);
        },
      ),
    );
  });
});
