import { SOAP_NAMESPACE } from '@app/interact';

/**
 * How a SOAP stack other than the soap package writes the same answer. Stacks agree on the
 * namespace and the element names, and on little else.
 */
export interface SoapDialect {
  /** The prefix of the answer's elements (`ns2`, `tns`, …), or null for a default namespace. */
  prefix: string | null;
  /** What an empty or null value becomes: left out, an empty element, or `xsi:nil="true"`. */
  empty: 'omit' | 'element' | 'nil';
  /** Children in the reverse of the model's order. */
  reorder: boolean;
  /** Texts as CDATA sections rather than escaped. */
  cdata: boolean;
}

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const ENVELOPE = 'http://schemas.xmlsoap.org/soap/envelope/';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const escape = (text: string) => text.replace(/[<>&]/g, (c) => ESCAPES[c]);
/** A CDATA section cannot hold "]]>": it is split across two. */
const cdata = (text: string) => `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;

class DialectWriter {
  private readonly parts: string[] = [];

  constructor(private readonly dialect: SoapDialect) {}

  private name(local: string): string {
    return this.dialect.prefix === null ? local : `${this.dialect.prefix}:${local}`;
  }

  element(local: string, value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.element(local, item);
      return;
    }
    const name = this.name(local);
    if (value === undefined || value === null || value === '') {
      if (this.dialect.empty === 'element') this.parts.push(`<${name}/>`);
      else if (this.dialect.empty === 'nil') this.parts.push(`<${name} xsi:nil="true"/>`);
      return;
    }
    if (typeof value === 'object') {
      const entries = Object.entries(value);
      if (this.dialect.reorder) entries.reverse();
      this.parts.push(`<${name}>`);
      for (const [key, child] of entries) this.element(key, child);
      this.parts.push(`</${name}>`);
      return;
    }
    const text = String(value as string | number | boolean);
    this.parts.push(`<${name}>${this.dialect.cdata ? cdata(text) : escape(text)}</${name}>`);
  }

  /** The whole answer of an operation: its pages inside its response element, inside an envelope. */
  envelope(responseElement: string, pages: readonly object[]): string {
    const { prefix } = this.dialect;
    const declaration = prefix === null ? `xmlns="${SOAP_NAMESPACE}"` : `xmlns:${prefix}="${SOAP_NAMESPACE}"`;
    this.parts.push(
      `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="${ENVELOPE}" xmlns:xsi="${XSI}"><S:Body>`,
      `<${this.name(responseElement)} ${declaration}>`,
    );
    for (const page of pages) this.element('page', page);
    this.parts.push(`</${this.name(responseElement)}></S:Body></S:Envelope>`);
    return this.parts.join('');
  }
}

export function dialectEnvelope(responseElement: string, pages: readonly object[], dialect: SoapDialect): string {
  return new DialectWriter(dialect).envelope(responseElement, pages);
}
