import { SaxesParser, type SaxesTagNS } from 'saxes';
import {
  NOT_FOUND_SENTENCE,
  isEmptyHistoryBody,
  SOAP_AGENT_NAMESPACE,
  SOAP_NAMESPACE,
  SOAP_NOT_FOUND_ELEMENT,
  UNAUTHORIZED_CODE,
} from '@app/interact';
import { noPages, readInteractPages, type ReadHistory } from './page.reader.js';
import {
  PayloadError,
  UpstreamFailedError,
  UpstreamNotFoundError,
  UpstreamUnauthorizedError,
  statusFailure,
} from './upstream.errors.js';

const ENVELOPE_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
const SCHEMA_INSTANCE_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';

/**
 * SOAP 1.1 forbids a DOCTYPE in a message and no Interact answer has one, so these characters are
 * refused in any case and anywhere, even where XML would take them as text.
 */
const DOCTYPE = /<!DOCTYPE/i;

/**
 * Envelope, Body, response, page and the page model nest about ten elements deep. saxes slows
 * down sharply with depth (two million nested elements, well within the size cap, held a worker
 * for minutes), so reading stops at the first element deeper than this.
 */
const MAX_DEPTH = 64;

/** SOAP 1.1's fault codes, with any prefix and any dotted refinement, which is left out. */
const SOAP_FAULT_CODE = /^(?:[\w.-]+:)?(VersionMismatch|MustUnderstand|Client|Server)(?:\.|$)/;

/**
 * An element's content as the page reader takes it: text for a leaf, null for an element that is
 * `xsi:nil`, otherwise its children by local name, an array where one repeats. Prefixes and the
 * order of elements say nothing. Objects have no prototype, so that no element name ("__proto__",
 * "constructor") can reach one.
 */
type Content = string | null | Children;
interface Children {
  [local: string]: Content | Content[];
}

interface Open {
  tag: SaxesTagNS;
  text: string;
  nil: boolean;
  children?: Children;
}

const isNil = (tag: SaxesTagNS) => {
  for (const name in tag.attributes) {
    const attribute = tag.attributes[name];
    if (attribute.uri === SCHEMA_INSTANCE_NAMESPACE && attribute.local === 'nil')
      return attribute.value.trim() === 'true' || attribute.value.trim() === '1';
  }
  return false;
};

interface BodyElement {
  uri: string;
  local: string;
  content: Content;
}

/**
 * The first element of the envelope's Body, read with saxes: strict, namespace-aware, and several
 * times as fast as the sax-js parser of the soap package. It never sees a DOCTYPE, so no entity
 * a document declares is ever expanded.
 */
function readBodyElement(xml: string): BodyElement | undefined {
  // Lines and columns are never reported, and tracking them costs a fifth of the parse.
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: Open[] = [];
  let element: BodyElement | undefined;
  parser.on('opentag', (tag) => {
    const depth = stack.length;
    if (depth === MAX_DEPTH) throw new PayloadError(`upstream XML nests deeper than ${MAX_DEPTH} elements`);
    if (depth === 0 && (tag.uri !== ENVELOPE_NAMESPACE || tag.local !== 'Envelope'))
      throw new PayloadError('upstream XML is not a SOAP 1.1 envelope');
    const parent = stack[depth - 1];
    if (parent && depth > 2) parent.children ??= Object.create(null) as Children;
    stack.push({ tag, text: '', nil: depth > 2 && isNil(tag) });
  });
  const addText = (text: string) => {
    const open = stack.at(-1);
    if (open && stack.length > 2) open.text += text;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => {
    const open = stack.pop()!;
    const depth = stack.length;
    const content: Content = open.nil ? null : (open.children ?? open.text);
    if (depth === 2) {
      // Envelope > Body > this: only the first element of the Body is the answer.
      const body = stack[1].tag;
      if (element === undefined && body.uri === ENVELOPE_NAMESPACE && body.local === 'Body')
        element = { uri: open.tag.uri, local: open.tag.local, content };
      return;
    }
    if (depth < 2) return;
    const siblings = stack[depth - 1].children!;
    const key = open.tag.local;
    const earlier = siblings[key];
    if (earlier === undefined) siblings[key] = content;
    else if (Array.isArray(earlier)) earlier.push(content);
    else siblings[key] = [earlier, content];
  });
  // saxes throws at the first error, so garbage is not read on to its end.
  parser.write(xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml).close();
  return element;
}

const childText = (content: Content, local: string): string | undefined => {
  if (typeof content === 'string' || content === null) return undefined;
  const child = content[local];
  return typeof child === 'string' ? child : undefined;
};

function faultError(fault: Content): UpstreamFailedError | UpstreamUnauthorizedError {
  // Interact's code is no QName; accept it with or without a prefix all the same.
  const code = (childText(fault, 'faultcode') ?? '').trim();
  if (code === UNAUTHORIZED_CODE || code.endsWith(`:${UNAUTHORIZED_CODE}`))
    return new UpstreamUnauthorizedError('upstream fault 0x7000000');
  // The code is upstream's text, and a host may echo the request into it: name only SOAP's own codes.
  const known = SOAP_FAULT_CODE.exec(code)?.[1];
  return new UpstreamFailedError(known ? `upstream fault ${known}` : 'upstream fault with an unknown code');
}

/**
 * The one place a SOAP answer is interpreted: the operation's response (EMPTY, or repeated page
 * elements), a fault, or Interact's "not found", which is a success body of another operation.
 */
export function readSoapPayload(status: number, responseElement: string, body: Uint8Array): ReadHistory {
  const xml = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  // Uniphore's table gives EMPTY, not an envelope, as the answer of an empty history.
  if (status === 200 && isEmptyHistoryBody(xml)) return noPages();
  if (DOCTYPE.test(xml)) throw new PayloadError('upstream XML carries a DOCTYPE');
  let element: BodyElement | undefined;
  try {
    element = readBodyElement(xml);
  } catch (error) {
    if (status !== 200) throw statusFailure(status);
    if (error instanceof PayloadError) throw error;
    throw new PayloadError('upstream SOAP body cannot be parsed');
  }
  if (element?.uri === ENVELOPE_NAMESPACE && element.local === 'Fault') throw faultError(element.content);
  if (status !== 200) throw statusFailure(status);
  if (element?.uri === SOAP_AGENT_NAMESPACE && element.local === SOAP_NOT_FOUND_ELEMENT) {
    const sentence = childText(element.content, 'uniqueId')?.trim() ?? '';
    if (NOT_FOUND_SENTENCE.test(sentence)) throw new UpstreamNotFoundError('history not found');
  }
  if (element?.uri !== SOAP_NAMESPACE || element.local !== responseElement)
    throw new PayloadError('upstream SOAP body is not the answer of the operation called');
  const { content } = element;
  if (content === null) return noPages();
  if (typeof content === 'string') {
    if (isEmptyHistoryBody(content)) return noPages();
    throw new PayloadError('upstream SOAP response holds unexpected text');
  }
  // Elements but no page is an answer of another shape, not an empty history.
  if (content.page === undefined) throw new PayloadError('upstream SOAP response holds no page element');
  return readInteractPages(content.page);
}
