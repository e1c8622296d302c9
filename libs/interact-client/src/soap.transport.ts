import * as soap from 'soap';
import { Agent } from 'undici';
import { SOAP_OPERATIONS, soapText } from '@app/interact';
import type { FlowLookup, FlowTransport, UpstreamAnswer } from './flow-transport.js';
import { credentialHeaders, type UpstreamAccount } from './upstream-account.js';
import { callSignal, fetchCapped, upstreamConnection } from './upstream-http.js';
import {
  PayloadError,
  UpstreamError,
  UpstreamFailedError,
  UpstreamTimeoutError,
  UpstreamUnauthorizedError,
  callFailure,
  statusFailure,
} from './upstream.errors.js';

/** What the soap package's buildRequest makes of a call: everything undici needs to send it. */
interface BuiltRequest {
  url: string;
  method: string;
  headers: Record<string, string | number>;
  data: string;
}

type SoapCallback = (error: unknown, response?: unknown, body?: unknown) => unknown;

/**
 * Marks the options of an operation call, as opposed to the fetching of the WSDL and its imports,
 * and receives the request the package built for it (see GuardedHttpClient.request). Under a
 * symbol it stays out of the package's sight: it copies and logs (with DEBUG=node-soap) the
 * options it is given, never a symbol's.
 */
const BUILT = Symbol('interact operation call');

interface BuildOptions extends soap.IExOptions {
  [BUILT]?: BuiltRequest;
}

/** SOAP 1.1 forbids a DOCTYPE in a message; sax takes exactly these characters, in any case, for one. */
const DOCTYPE = /<!DOCTYPE/i;

/** axios stops reading a body at maxContentLength; its error code alone would not say why. */
const overCap = (error: unknown) =>
  (error as { code?: unknown } | undefined)?.code === 'ERR_BAD_RESPONSE' &&
  /^maxContentLength size of \d+ exceeded$/.test((error as { message?: string }).message ?? '');

/**
 * The one HTTP client the soap package gets. It fetches the WSDL and its imports through the
 * package's axios, and sends no operation call: it keeps the request the package built, for the
 * transport to send (see buildCall). A WSDL or schema that declares a DOCTYPE is refused before
 * the package's parsers see it, so nothing in one is ever read, let alone expanded; the rest reach
 * them verbatim: the package's own clean-up cuts the envelope out with a regular expression that
 * backtracks quadratically (80 kB of "<" hold the event loop for seconds, a megabyte for minutes)
 * and, by deleting a comment, could join "<!" and "DOCTYPE" after the check.
 */
class GuardedHttpClient extends soap.HttpClient {
  override handleResponse(_request: unknown, _response: unknown, body: unknown): unknown {
    return body;
  }

  override request(
    url: string,
    data: unknown,
    callback: SoapCallback,
    headers?: soap.IHeaders,
    options?: soap.IExOptions,
  ): ReturnType<soap.HttpClient['request']> {
    if (options && BUILT in options) {
      (options as BuildOptions)[BUILT] = this.buildRequest(url, data, headers, options) as BuiltRequest;
      // The package drops what its HTTP client returns for an operation call (Client._defineMethod).
      return undefined as never;
    }
    const guarded: SoapCallback = (error, response, body) => {
      if (overCap(error)) {
        return callback(new UpstreamFailedError(`response larger than ${options?.maxContentLength} bytes`));
      }
      if (!error && typeof body === 'string' && DOCTYPE.test(body)) {
        return callback(new PayloadError('upstream XML carries a DOCTYPE'));
      }
      return callback(error, response, body);
    };
    return super.request(url, data, guarded, headers, options);
  }
}

/**
 * The request, envelope and headers, that the soap package builds for an operation, unsent. Its
 * client builds a call and hands it to its HTTP client in one synchronous run, and never hears of
 * it again: the package would read the answer on the event loop with sax-js, about a megabyte a
 * second, where the transport hands it back unread for its caller to read, off the event loop if
 * it is large.
 */
function buildCall(client: soap.Client, operation: string, args: object): BuiltRequest {
  const options: BuildOptions = { [BUILT]: undefined };
  const call = client[operation] as soap.SoapMethod;
  call(args, () => undefined, options, {});
  const built = options[BUILT];
  if (!built) throw new UpstreamFailedError('the soap package did not hand over the call it built');
  return built;
}

/** What XML 1.0 can carry at all, even as a character reference: no other C0 control, no U+FFFE/U+FFFF, no lone surrogate. */
const NOT_XML = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/**
 * A lookup value as the element's content (see soapText). Its own escaping cannot be trusted with a
 * value from a caller: `<![CDATA[]]><x1<![CDATA[]]>` went out as markup and
 * `<![CDATA[]]>&#x30;40100713<![CDATA[]]>` was read upstream as `040100713`.
 */
function xmlText(value: string): { $xml: string } {
  if (NOT_XML.test(value)) throw new UpstreamFailedError('the lookup value holds a character XML cannot carry');
  return soapText(value);
}

/** The soap package's own test for what it fetches rather than reads from disk. */
const FETCHED = /^https?:/i;

/**
 * A WSDL may import schemas from anywhere. One fetched from a URL may import only from that URL's
 * origin, one read from a file only other files, so the description comes from where it was
 * configured and loading it never reaches another host.
 */
function importsOnlyFrom(wsdl: string): (resolved: string) => string {
  const origin = FETCHED.test(wsdl) ? new URL(wsdl).origin : undefined;
  return (resolved) => {
    const allowed =
      origin === undefined ? !FETCHED.test(resolved) : URL.canParse(resolved) && new URL(resolved).origin === origin;
    if (!allowed) throw new UpstreamFailedError('the WSDL imports from outside its own location');
    return resolved;
  };
}

/**
 * SOAP "Get Full Interaction Flow": the soap package builds each call, envelope and headers, from
 * the account's WSDL, loaded once and reused; the transport sends it itself over undici keep-alive
 * connections (axios cost a millisecond more per call) and hands the answer back unread. The
 * credentials travel as per-call HTTP headers added to the built call: never on the client, never
 * in the package's hands.
 */
export class SoapFlowTransport implements FlowTransport {
  readonly kind = 'soap';
  private client?: Promise<soap.Client>;
  private readonly http = new GuardedHttpClient();
  private readonly agent: Agent;
  private readonly credentials: Record<string, string>;

  constructor(private readonly account: UpstreamAccount) {
    this.agent = new Agent({ connections: 64, ...upstreamConnection(account.timeoutMs) });
    this.credentials = credentialHeaders(account);
  }

  async fetchAnswer(lookup: FlowLookup, cancel?: AbortSignal): Promise<UpstreamAnswer> {
    const { account } = this;
    const operation = SOAP_OPERATIONS[lookup.kind];
    const args = { [operation.field]: xmlText(lookup.value), ...(lookup.widerSearch ? { widerSearch: true } : {}) };
    const client = await this.loadClient();
    // The signal bounds the whole call, a slow drip included.
    const signal = callSignal(account.timeoutMs, cancel);
    let answer: { status: number; body: Uint8Array };
    try {
      const request = buildCall(client, operation.operation, args);
      answer = await this.send(request, signal);
    } catch (error) {
      if (signal.aborted) throw new UpstreamTimeoutError(`no answer within ${account.timeoutMs} ms`);
      throw callFailure(error);
    }
    const { status, body } = answer;
    // A fault comes with 500; a gateway in between may answer 502, 503 or 504, which are worth a retry.
    if (status === 200 || status === 500) {
      return { transport: 'soap', status, responseElement: operation.response, body };
    }
    if (status === 401) throw new UpstreamUnauthorizedError('upstream answered 401');
    throw statusFailure(status);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private send(request: BuiltRequest, signal: AbortSignal): Promise<{ status: number; body: Uint8Array }> {
    const target = new URL(request.url);
    const headers: Record<string, string> = {};
    // Lower case, so that fetchCapped replaces the package's Accept-Encoding "none", which no standard names.
    for (const [name, value] of Object.entries({ ...request.headers, ...this.credentials }))
      headers[name.toLowerCase()] = String(value);
    return fetchCapped(
      this.agent,
      {
        origin: target.origin,
        path: target.pathname + target.search,
        method: request.method as 'POST',
        headers,
        body: request.data,
        signal,
      },
      this.account.maxResponseBytes,
    );
  }

  private loadClient(): Promise<soap.Client> {
    this.client ??= this.createClient().catch((error: unknown) => {
      // Let the next request try again rather than caching an outage.
      this.client = undefined;
      throw error;
    });
    return this.client;
  }

  private async createClient(): Promise<soap.Client> {
    const { account } = this;
    const location =
      account.wsdl ??
      `${account.baseUrl.replace(/\/+$/, '')}/interact/version/${account.apiVersion}/interactiondata/soap/interactiondata.wsdl`;
    // One deadline for the WSDL and its imports together.
    const signal = AbortSignal.timeout(account.timeoutMs);
    try {
      const client = await soap.createClientAsync(location, {
        httpClient: this.http,
        // The package caches descriptions process-wide by URL; this account's must be loaded under its own limits.
        disableCache: true,
        wsdl_options: {
          timeout: account.timeoutMs,
          signal,
          maxContentLength: account.maxResponseBytes,
          maxRedirects: 0,
          overrideImportLocation: importsOnlyFrom(location),
        },
      });
      if (account.soapEndpoint) client.setEndpoint(account.soapEndpoint);
      return client;
    } catch (error) {
      const timedOut =
        signal.aborted || ['ECONNABORTED', 'ETIMEDOUT'].includes((error as { code?: string }).code ?? '');
      if (timedOut) throw new UpstreamTimeoutError(`WSDL not loaded within ${account.timeoutMs} ms`);
      throw new UpstreamFailedError(
        error instanceof UpstreamError ? `WSDL could not be loaded: ${error.message}` : 'WSDL could not be loaded',
      );
    }
  }
}
