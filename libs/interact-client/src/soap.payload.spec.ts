import { describe, expect, it } from 'vitest';
import { SOAP_AGENT_NAMESPACE, SOAP_NAMESPACE, SOAP_NOT_FOUND_ELEMENT } from '@app/interact';
import { readSoapPayload } from './soap.payload.js';
import {
  PayloadError,
  UpstreamFailedError,
  UpstreamNotFoundError,
  UpstreamUnauthorizedError,
  type UpstreamError,
} from './upstream.errors.js';

const RESPONSE = 'GetInteractionFullFlowByUUIDResponse';
const ENVELOPE = 'http://schemas.xmlsoap.org/soap/envelope/';

const envelope = (body: string, header = '') =>
  `<e:Envelope xmlns:e="${ENVELOPE}">${header}<e:Body>${body}</e:Body></e:Envelope>`;
const response = (content: string) => `<r:${RESPONSE} xmlns:r="${SOAP_NAMESPACE}">${content}</r:${RESPONSE}>`;
const page = (title: string, extra = '') =>
  '<page><timestamp>1795379251099</timestamp><language>en-US</language><pageNavigation>' +
  `<navigationTitle>${title}</navigationTitle><pageReferenceName>p</pageReferenceName>` +
  '<navigationLeft><buttonState>enabled</buttonState><buttonVisible>false</buttonVisible><buttonLabel/><buttonAction/></navigationLeft>' +
  '<navigationRight><buttonState>enabled</buttonState><buttonVisible>true</buttonVisible><buttonLabel>Next</buttonLabel><buttonAction>next</buttonAction></navigationRight>' +
  `</pageNavigation><pageContent><contentHeader><id>1</id><innerHtml>&lt;p&gt;Hi&lt;/p&gt;</innerHtml></contentHeader>${extra}</pageContent></page>`;
const fault = (code: string) =>
  `<e:Fault xmlns:e="${ENVELOPE}"><faultcode>${code}</faultcode><faultstring>no</faultstring></e:Fault>`;

const read = (xml: string, status = 200) => readSoapPayload(status, RESPONSE, new TextEncoder().encode(xml));
const failure = (xml: string, status = 200): UpstreamError => {
  try {
    read(xml, status);
  } catch (error) {
    return error as UpstreamError;
  }
  throw new Error('expected the answer to be refused');
};

describe('readSoapPayload', () => {
  it('reads one page and repeated pages, whatever the prefixes', () => {
    expect(read(envelope(response(page('One')))).pages).toHaveLength(1);
    const { pages } = read(
      envelope(response(page('One') + page('Two')), '<e:Header><x:y xmlns:x="urn:x"/></e:Header>'),
    );
    expect(pages.map((p) => p.title)).toEqual(['One', 'Two']);
    expect(pages[0].header).toBe('<p>Hi</p>');
    expect(pages[0].language).toBe('en-US');
  });

  it('reads an xsi:nil element as absent and an empty one as no text', () => {
    const nil = 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="true"';
    const [first] = read(
      envelope(response(page('One').replace('<language>en-US</language>', `<language ${nil}/>`))),
    ).pages;
    expect(first.language).toBeNull();
    expect(read(envelope(response(page('')))).pages[0].title).toBeNull();
    expect(read(envelope(`<r:${RESPONSE} xmlns:r="${SOAP_NAMESPACE}" ${nil}/>`)).pages).toEqual([]);
  });

  it('keeps CDATA and white space of texts as sent, and skips a byte order mark', () => {
    const [first] = read(`\ufeff${envelope(response(page('<![CDATA[ a < b ]]>')))}`).pages;
    expect(first.title).toBe(' a < b ');
  });

  it('reads EMPTY and an empty response as no pages', () => {
    expect(read(envelope(response('EMPTY'))).pages).toEqual([]);
    expect(read(envelope(response(' '))).pages).toEqual([]);
  });

  it('reads a whole body of EMPTY, or none, as no pages, as Uniphore’s table shows it', () => {
    expect(read('EMPTY').pages).toEqual([]);
    expect(read(' EMPTY\n').pages).toEqual([]);
    expect(read('').pages).toEqual([]);
    expect(failure('EMPTY', 500).message).toBe('upstream answered 500');
  });

  it('refuses a response whose elements hold no page, rather than calling it empty', () => {
    const other = failure(envelope(response('<summary><pages>3</pages></summary>')));
    expect(other).toBeInstanceOf(PayloadError);
    expect(other.message).toBe('upstream SOAP response holds no page element');
  });

  it('reads a timestamp no date can hold as no time', () => {
    const [first] = read(envelope(response(page('One').replace('1795379251099', '8640000000000001')))).pages;
    expect(first.timestamp).toBeNull();
    expect(first.title).toBe('One');
  });

  it('stops reading at an element nested deeper than any history needs', () => {
    const deep = (levels: number) => `${'<x>'.repeat(levels)}${'</x>'.repeat(levels)}`;
    expect(read(envelope(response(page('One', `<extra>${deep(40)}</extra>`)))).pages).toHaveLength(1);
    const error = failure(envelope(response(page('One', deep(1_000_000)))));
    expect(error).toBeInstanceOf(PayloadError);
    expect(error.message).toBe('upstream XML nests deeper than 64 elements');
  });

  it('never lets an element name reach a prototype', () => {
    const pages = read(envelope(response(page('One', '<__proto__><polluted>yes</polluted></__proto__>'))));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(pages.pages).toHaveLength(1);
  });

  it('tells a fault 0x7000000, with or without a prefix, from other faults', () => {
    expect(failure(envelope(fault('0x7000000')), 500)).toBeInstanceOf(UpstreamUnauthorizedError);
    expect(failure(envelope(fault('ns:0x7000000')), 500)).toBeInstanceOf(UpstreamUnauthorizedError);
    const server = failure(envelope(fault('soap:Server.Busy')), 500);
    expect(server).toBeInstanceOf(UpstreamFailedError);
    expect(server.message).toBe('upstream fault Server');
    expect(failure(envelope(fault('echo &lt;of the request&gt;')), 500).message).toBe(
      'upstream fault with an unknown code',
    );
  });

  it('reads the not-found sentence in the other operation’s body as not found, and nothing else', () => {
    const notFound = (text: string) =>
      envelope(
        `<a:${SOAP_NOT_FOUND_ELEMENT} xmlns:a="${SOAP_AGENT_NAMESPACE}"><a:uniqueId>${text}</a:uniqueId></a:${SOAP_NOT_FOUND_ELEMENT}>`,
      );
    expect(failure(notFound('history for UUID 1 was not found'))).toBeInstanceOf(UpstreamNotFoundError);
    expect(failure(notFound('history for attribute 1 was not found'))).toBeInstanceOf(UpstreamNotFoundError);
    expect(failure(notFound('4c221517'))).toBeInstanceOf(PayloadError);
  });

  it('refuses what is not the answer of the operation called', () => {
    expect(failure(envelope(`<r:OtherResponse xmlns:r="${SOAP_NAMESPACE}"/>`))).toBeInstanceOf(PayloadError);
    expect(failure(envelope(`<${RESPONSE}>EMPTY</${RESPONSE}>`))).toBeInstanceOf(PayloadError);
    expect(failure('<Envelope><Body/></Envelope>').message).toBe('upstream XML is not a SOAP 1.1 envelope');
    expect(failure(envelope(response(page('One'))).slice(0, -5)).message).toBe('upstream SOAP body cannot be parsed');
  });

  it('reads a 500 that holds no fault as the status it is', () => {
    expect(failure('<html>oops</html>', 500).message).toBe('upstream answered 500');
    expect(failure(envelope(response('EMPTY')), 500).message).toBe('upstream answered 500');
  });
});
