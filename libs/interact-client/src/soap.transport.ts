import * as soap from 'soap';
import { Agent } from 'undici';
import { SOAP_OPERATIONS, soapText } from '@app/interact';
import type { FlowLookup, FlowTransport, UpstreamAnswer } from './flow-transport.js';
import { credentialHeaders, type UpstreamAccount } from './upstream-account.js';
import { callSignal, fetchCapped } from './upstream-http.js';
import {
  PayloadError,
  UpstreamError,
  UpstreamFailedError,
  UpstreamTimeoutError,
  UpstreamUnauthorizedError,
  callFailure,
  statusFailure,
} from './upstream.errors.js';

type SoapOperation = (args: object, options: object, headers: object) => Promise<unknown>;
type SoapCallback = (error: unknown, response?: unknown, body?: unknown) => unknown;

/**
 * Marks the options of an operation call, as opposed to the fetching of the WSDL and its imports,
 * and carries the call's credentials. Under a symbol they stay out of the soap package's sight: it
 * copies and logs (with DEBUG=node-soap) the request options and headers it is given, never a
 * symbol's.
 */
const CALL = Symbol('interact operation call');

interface CallOptions extends soap.IExOptions {
  [CALL]: Record<string, string>;
  signal: AbortSignal;
  maxContentLength: number;
}

/**
 * An operation's answer, handed back unread. The soap package parses whatever reaches its success
 * path on the event loop with sax-js, about a megabyte a second; the error path is the one way
 * past it, and the caller reads the body itself, off the event loop if it is large. No Error,
 * since it reports no failure: capturing a stack on every call cost 30 µs.
 */
class UnreadAnswer {
  constructor(
    readonly status: number,
    readonly body: Uint8Array,
  ) {}
}

/** SOAP 1.1 forbids a DOCTYPE in a message; sax takes exactly these characters, in any case, for one. */
const DOCTYPE = /<!DOCTYPE/i;

/** axios stops reading a body at maxContentLength; its error code alone would not say why. */
const overCap = (error: unknown) =>
  (error as { code?: unknown } | undefined)?.code === 'ERR_BAD_RESPONSE' &&
  /^maxContentLength size of \d+ exceeded$/.test((error as { message?: string }).message ?? '');

/** What the soap package's buildRequest makes of a call: everything undici needs to send it. */
interface BuiltRequest {
  url: string;
  method: string;
  headers: Record<string, string | number>;
  data: string;
}

/**
 * The one HTTP client the soap package gets, for the WSDL, its imports and every call. The package
 * builds each call (envelope and headers); undici sends it over keep-alive connections, since
 * axios cost a millisecond more per call, and its answer never reaches the package's parsers (see
 * UnreadAnswer). A WSDL or schema that declares a DOCTYPE is refused before they see it, so
 * nothing in one is ever read, let alone expanded; the rest reach them verbatim: the package's own
 * clean-up cuts the envelope out with a regular expression that backtracks quadratically (80 kB of
 * "<" hold the event loop for seconds, a megabyte for minutes) and, by deleting a comment, could
 * join "<!" and "DOCTYPE" after the check.
 */
class GuardedHttpClient extends soap.HttpClient {
  private readonly calls: Agent;

  constructor(connectTimeoutMs: number) {
    super();
    this.calls = new Agent({ connections: 64, keepAliveTimeout: 30_000, connectTimeout: connectTimeoutMs });
  }

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
    if (options && CALL in options) {
      const sent = this.send(this.buildRequest(url, data, headers, options) as BuiltRequest, options as CallOptions);
      sent.then(callback, callback);
      return sent as unknown as ReturnType<soap.HttpClient['request']>;
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

  close(): Promise<void> {
    return this.calls.close();
  }

  private async send(request: BuiltRequest, options: CallOptions): Promise<UnreadAnswer> {
    const target = new URL(request.url);
    const headers: Record<string, string> = {};
    // Lower case, so that fetchCapped replaces the package's Accept-Encoding "none", which no standard names.
    for (const [name, value] of Object.entries({ ...request.headers, ...options[CALL] }))
      headers[name.toLowerCase()] = String(value);
    const { status, body } = await fetchCapped(
      this.calls,
      {
        origin: target.origin,
        path: target.pathname + target.search,
        method: request.method as 'POST',
        headers,
        body: request.data,
        signal: options.signal,
      },
      options.maxContentLength,
    );
    return new UnreadAnswer(status, body);
  }
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
 * SOAP "Get Full Interaction Flow" with the soap package: one client per account, built once from
 * the account's WSDL and reused. Credentials travel as per-call HTTP headers, added by the HTTP
 * client after the package has built the call: never on the client, never in the package's hands.
 */
export class SoapFlowTransport implements FlowTransport {
  readonly kind = 'soap';
  private client?: Promise<soap.Client>;
  private readonly http: GuardedHttpClient;
  private readonly credentials: Record<string, string>;

  constructor(private readonly account: UpstreamAccount) {
    this.http = new GuardedHttpClient(account.timeoutMs);
    this.credentials = credentialHeaders(account);
  }

  async fetchAnswer(lookup: FlowLookup, cancel?: AbortSignal): Promise<UpstreamAnswer> {
    const { account } = this;
    const operation = SOAP_OPERATIONS[lookup.kind];
    const args = { [operation.field]: xmlText(lookup.value), ...(lookup.widerSearch ? { widerSearch: true } : {}) };
    const client = await this.loadClient();
    const call = client[`${operation.operation}Async`] as SoapOperation;
    // The signal bounds the whole call, a slow drip included.
    const signal = callSignal(account.timeoutMs, cancel);
    let answer: UnreadAnswer;
    try {
      const options: CallOptions = {
        signal,
        maxContentLength: account.maxResponseBytes,
        [CALL]: this.credentials,
      };
      await call.call(client, args, options, {});
      throw new PayloadError('the soap package read an answer it should have handed back');
    } catch (error) {
      if (signal.aborted) throw new UpstreamTimeoutError(`no answer within ${account.timeoutMs} ms`);
      if (!(error instanceof UnreadAnswer)) throw callFailure(error);
      answer = error;
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
    return this.http.close();
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
