import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { CREDENTIAL_HEADERS, SOAP_NAMESPACE, SOAP_OPERATIONS, type InteractPage, type LookupKind } from '@app/interact';

/**
 * What a hostile or broken upstream may answer, so that tests can prove the gateway's defences.
 * Interact's REST API speaks JSON, so on REST the three XML attacks are sent as the same XML
 * document, as text/xml: the gateway has to refuse them rather than parse them.
 *
 * - `xxe`: a DOCTYPE declaring external entities, the simulator's own entity trap (which counts
 *   fetches) and `file:///etc/passwd`, both referenced inside a page;
 * - `billion-laughs`: a DOCTYPE of nested entities that would expand to 3 GB, referenced inside a page;
 * - `doctype`: a found history, nothing wrong with it but an inert DOCTYPE;
 * - `oversize`: real pages repeated past 24 MiB (above the gateway's default cap), with Content-Length;
 * - `oversize-chunked`: the same, chunked, so that only reading can tell its size;
 * - `truncated`: a found history announced whole and cut in the middle by closing the connection;
 * - `compressed`: a found history gzipped with Content-Encoding whatever the request accepted;
 * - `echo`: an error quoting the request's credentials back, in a SOAP fault's code, string and
 *   detail, or in a REST 400's JSON.
 */
export const HOSTILE_PAYLOADS = [
  'none',
  'xxe',
  'billion-laughs',
  'doctype',
  'oversize',
  'oversize-chunked',
  'truncated',
  'compressed',
  'echo',
] as const;
export type HostilePayload = (typeof HOSTILE_PAYLOADS)[number];

/** Under /__simulator: what the xxe payload's external entity points at. */
export const ENTITY_TRAP = 'entity-trap';

const OVERSIZE_BYTES = 24 * 1024 * 1024;
const BATCH_BYTES = 64 * 1024;
const XML_TYPE = 'text/xml; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const ENVELOPE_OPEN = '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>';
const ENVELOPE_CLOSE = '</SOAP-ENV:Body></SOAP-ENV:Envelope>';

export interface HostileRequest {
  wire: 'rest' | 'soap';
  kind: LookupKind;
  /** Scheme, host and port the caller reached the simulator at. */
  origin: string;
  headers: IncomingHttpHeaders;
  /** Real pages to repeat, cut or poison. */
  pages: InteractPage[];
}

export interface HostileAnswer {
  status: number;
  contentType: string;
  /** Chunked when unset. */
  contentLength?: number;
  contentEncoding?: string;
  chunks: Iterable<Buffer>;
  /** Close the connection after the chunks instead of ending the response. */
  cut?: boolean;
}

/** Text that goes into the XML as it is: entity references. */
class Markup {
  constructor(readonly xml: string) {}
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ESCAPES[c]);

/** The element the soap server writes for a value: arrays repeat, objects nest. */
function element(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((item) => element(name, item)).join('');
  if (value instanceof Markup) return `<${name}>${value.xml}</${name}>`;
  if (typeof value === 'object' && value !== null) {
    return `<${name}>${Object.entries(value)
      .filter(([, child]) => child !== undefined)
      .map(([key, child]) => element(key, child))
      .join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

const responseElement = (kind: LookupKind) => SOAP_OPERATIONS[kind].response;
const envelope = (doctype: string, body: string) =>
  `${XML_DECLARATION}${doctype}${ENVELOPE_OPEN}${body}${ENVELOPE_CLOSE}`;
const fullFlow = (kind: LookupKind, pages: unknown[]) =>
  `<${responseElement(kind)} xmlns="${SOAP_NAMESPACE}">${element('page', pages)}</${responseElement(kind)}>`;

function billionLaughs(): string {
  const levels = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`);
  return `<!DOCTYPE SOAP-ENV:Envelope [<!ENTITY lol0 "lol">${levels.join('')}]>`;
}

/** The first page with its title, and optionally its header, replaced by markup. */
function poisoned(pages: InteractPage[], title: string, header?: string): unknown[] {
  const [first, ...rest] = pages;
  const contentHeader = { ...first.pageContent.contentHeader, ...(header && { innerHtml: new Markup(header) }) };
  return [
    {
      ...first,
      pageNavigation: { ...first.pageNavigation, navigationTitle: new Markup(title) },
      pageContent: { ...first.pageContent, contentHeader },
    },
    ...rest,
  ];
}

function xmlAttack(payload: 'xxe' | 'billion-laughs' | 'doctype', request: HostileRequest): string {
  const { kind, pages } = request;
  switch (payload) {
    case 'xxe': {
      const trap = `${request.origin}/__simulator/${ENTITY_TRAP}`;
      const doctype = `<!DOCTYPE SOAP-ENV:Envelope [<!ENTITY trap SYSTEM "${trap}"><!ENTITY passwd SYSTEM "file:///etc/passwd">]>`;
      return envelope(doctype, fullFlow(kind, poisoned(pages, '&trap;', '&passwd;')));
    }
    case 'billion-laughs':
      return envelope(billionLaughs(), fullFlow(kind, poisoned(pages, '&lol9;')));
    case 'doctype':
      return envelope('<!DOCTYPE SOAP-ENV:Envelope>', fullFlow(kind, pages));
  }
}

/** A body of `unit` repeated past OVERSIZE_BYTES, generated only as far as it is read. */
function oversize(head: string, unit: string, tail: string): { length: number; chunks: Iterable<Buffer> } {
  const batch = Buffer.from(unit.repeat(Math.max(1, Math.floor(BATCH_BYTES / Buffer.byteLength(unit)))));
  const batches = Math.ceil(OVERSIZE_BYTES / batch.length);
  const [first, last] = [Buffer.from(head), Buffer.from(tail)];
  function* chunks() {
    yield first;
    for (let i = 0; i < batches; i += 1) yield batch;
    yield last;
  }
  return { length: first.length + batches * batch.length + last.length, chunks: chunks() };
}

function echoedCredentials(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.values(CREDENTIAL_HEADERS).map((name) => [name, String(headers[name.toLowerCase()] ?? '')]),
  );
}

function whole(status: number, contentType: string, body: string): HostileAnswer {
  const bytes = Buffer.from(body);
  return { status, contentType, contentLength: bytes.length, chunks: [bytes] };
}

function echo(request: HostileRequest): HostileAnswer {
  const credentials = echoedCredentials(request.headers);
  const key = credentials[CREDENTIAL_HEADERS.applicationKey];
  const message = `Application-Key ${key} is not valid for tenant ${credentials[CREDENTIAL_HEADERS.tenantId]}`;
  if (request.wire === 'rest') {
    return whole(400, JSON_TYPE, JSON.stringify({ code: 'invalid-request', message, request: credentials }));
  }
  const fault =
    `<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client.${escapeXml(key)}</faultcode>` +
    `<faultstring>${escapeXml(message)}</faultstring>${element('detail', { request: credentials })}</SOAP-ENV:Fault>`;
  return whole(500, XML_TYPE, envelope('', fault));
}

export function hostileAnswer(payload: Exclude<HostilePayload, 'none'>, request: HostileRequest): HostileAnswer {
  const { wire, kind, pages } = request;
  const contentType = wire === 'rest' ? JSON_TYPE : XML_TYPE;
  switch (payload) {
    case 'xxe':
    case 'billion-laughs':
    case 'doctype':
      return whole(200, XML_TYPE, xmlAttack(payload, request));
    case 'oversize':
    case 'oversize-chunked': {
      const json = pages.map((page) => JSON.stringify(page)).join(',');
      const xmlOpen = `${XML_DECLARATION}${ENVELOPE_OPEN}<${responseElement(kind)} xmlns="${SOAP_NAMESPACE}">`;
      const body =
        wire === 'rest'
          ? oversize(`[${json}`, `,${json}`, ']')
          : oversize(xmlOpen, element('page', pages), `</${responseElement(kind)}>${ENVELOPE_CLOSE}`);
      return {
        status: 200,
        contentType,
        chunks: body.chunks,
        ...(payload === 'oversize' && { contentLength: body.length }),
      };
    }
    case 'truncated': {
      const full = Buffer.from(wire === 'rest' ? JSON.stringify(pages) : envelope('', fullFlow(kind, pages)));
      return {
        status: 200,
        contentType,
        contentLength: full.length,
        chunks: [full.subarray(0, full.length >> 1)],
        cut: true,
      };
    }
    case 'compressed': {
      const full = gzipSync(wire === 'rest' ? JSON.stringify(pages) : envelope('', fullFlow(kind, pages)));
      return { status: 200, contentType, contentLength: full.length, contentEncoding: 'gzip', chunks: [full] };
    }
    case 'echo':
      return echo(request);
  }
}

/** Writes an answer only as fast as the client reads it, reporting the bytes handed to the connection. */
export async function writeAnswer(
  res: ServerResponse,
  answer: HostileAnswer,
  written: (bytes: number) => void,
): Promise<void> {
  res.writeHead(answer.status, {
    'content-type': answer.contentType,
    ...(answer.contentLength !== undefined && { 'content-length': answer.contentLength }),
    ...(answer.contentEncoding !== undefined && { 'content-encoding': answer.contentEncoding }),
  });
  if (answer.cut) {
    const body = Buffer.concat([...answer.chunks]);
    written(body.length);
    res.write(body, () => res.destroy());
    return;
  }
  function* counted() {
    for (const chunk of answer.chunks) {
      written(chunk.length);
      yield chunk;
    }
  }
  try {
    await pipeline(Readable.from(counted(), { objectMode: false }), res);
  } catch {
    // The client hung up, as a capped reader does halfway through an oversize answer.
  }
}
