import * as soap from 'soap';
import sax from 'sax';
import {
  CREDENTIAL_HEADERS,
  EMPTY_HISTORY_BODY,
  NOT_FOUND_SENTENCE,
  SOAP_AGENT_NAMESPACE,
  SOAP_NOT_FOUND_ELEMENT,
  SOAP_OPERATIONS,
  UNAUTHORIZED_CODE,
  type InteractPage,
} from '@app/interact';
import type { FlowLookup, FlowTransport } from './flow-transport.js';
import { readInteractPages } from './page.reader.js';
import type { UpstreamAccount } from './upstream-account.js';
import {
  PayloadError,
  UpstreamError,
  UpstreamFailedError,
  UpstreamNotFoundError,
  UpstreamTimeoutError,
  UpstreamUnauthorizedError,
  networkFailure,
  statusFailure,
} from './upstream.errors.js';

type SoapOperation = (args: object, options: object, headers: object) => Promise<[unknown, string]>;
type SoapCallback = (error: unknown, response?: unknown, body?: unknown) => unknown;

/** SOAP 1.1 forbids a DOCTYPE in a message; sax takes exactly these characters, in any case, for one. */
const DOCTYPE = /<!DOCTYPE/i;

/** axios stops reading a body at maxContentLength; its error code alone would not say why. */
const overCap = (error: unknown) =>
  (error as { code?: unknown } | undefined)?.code === 'ERR_BAD_RESPONSE' &&
  /^maxContentLength size of \d+ exceeded$/.test((error as { message?: string }).message ?? '');

/**
 * The one HTTP client the soap package gets, for the WSDL, its imports and every call. Bodies that
 * declare a DOCTYPE are refused before any of the package's sax parsers sees them, so nothing in
 * one is ever read, let alone expanded. The rest reach the parsers verbatim: the package's own
 * clean-up cuts the envelope out with a regular expression that backtracks quadratically (80 kB of
 * "<" hold the event loop for seconds, a megabyte for minutes) and, by deleting a comment, could
 * join "<!" and "DOCTYPE" after the check.
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
 * the account's WSDL and reused. Credentials travel as per-call HTTP headers, never on the client.
 */
export class SoapFlowTransport implements FlowTransport {
  readonly kind = 'soap';
  private client?: Promise<soap.Client>;
  private readonly http = new GuardedHttpClient();

  constructor(private readonly account: UpstreamAccount) {}

  async fetchFlow(lookup: FlowLookup): Promise<InteractPage[]> {
    const { account } = this;
    const operation = SOAP_OPERATIONS[lookup.kind];
    const client = await this.loadClient();
    const call = client[`${operation.operation}Async`] as SoapOperation;
    const args = { [operation.field]: lookup.value, ...(lookup.widerSearch ? { widerSearch: true } : {}) };
    // axios's timeout only bounds silences; the signal bounds the whole call, a slow drip included.
    const signal = AbortSignal.timeout(account.timeoutMs);
    let result: unknown;
    try {
      [result] = await call.call(
        client,
        args,
        { timeout: account.timeoutMs, signal, maxContentLength: account.maxResponseBytes, maxRedirects: 0 },
        {
          [CREDENTIAL_HEADERS.tenantId]: account.tenantId,
          [CREDENTIAL_HEADERS.applicationKey]: account.applicationKey,
          [CREDENTIAL_HEADERS.environmentName]: account.environmentName,
        },
      );
    } catch (error) {
      if (signal.aborted) throw new UpstreamTimeoutError(`no answer within ${account.timeoutMs} ms`);
      throw classifySoapFailure(error, account.timeoutMs);
    }
    return readSoapResult(result);
  }

  async close(): Promise<void> {}

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

/** SOAP 1.1's fault codes, with any prefix and any dotted refinement, which is left out. */
const SOAP_FAULT_CODE = /^(?:[\w.-]+:)?(VersionMismatch|MustUnderstand|Client|Server)(?:\.|$)/;

interface SoapClientFailure {
  code?: string;
  response?: { status?: number };
  body?: unknown;
  root?: { Envelope?: { Body?: { Fault?: { faultcode?: unknown } } } };
}

/**
 * The soap client rejects for faults, HTTP errors, network errors and bodies it cannot map to the
 * operation, which is how Interact's "not found" (another operation's success body) arrives.
 */
function classifySoapFailure(error: unknown, timeoutMs: number): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const failure = (error ?? {}) as SoapClientFailure;
  if (failure.code === 'ECONNABORTED' || failure.code === 'ETIMEDOUT') {
    return new UpstreamTimeoutError(`no answer within ${timeoutMs} ms`);
  }
  const faultCode = failure.root?.Envelope?.Body?.Fault?.faultcode;
  if (faultCode !== undefined) {
    // Interact's code is no QName; accept it with or without a prefix all the same.
    const code = String(faultCode);
    if (code === UNAUTHORIZED_CODE || code.endsWith(`:${UNAUTHORIZED_CODE}`)) {
      return new UpstreamUnauthorizedError('upstream fault 0x7000000');
    }
    // The code is upstream's text, and a host may echo the request into it: name only SOAP's own codes.
    const known = SOAP_FAULT_CODE.exec(code)?.[1];
    return new UpstreamFailedError(known ? `upstream fault ${known}` : 'upstream fault with an unknown code');
  }
  // The HTTP client's own errors carry a code, and at most the status of an answer it could not read to the end.
  if (failure.code !== undefined) return networkFailure(failure.code);
  const status = failure.response?.status;
  if (status === 200 && typeof failure.body === 'string') {
    return isNotFoundEnvelope(failure.body)
      ? new UpstreamNotFoundError('history not found')
      : new PayloadError('upstream SOAP body cannot be parsed');
  }
  if (status === 401) return new UpstreamUnauthorizedError('upstream answered 401');
  if (status !== undefined) return statusFailure(status);
  return networkFailure(undefined);
}

/** True for a body whose element is Interact's GetInteractionUniqueIdResponse holding the not-found sentence. */
function isNotFoundEnvelope(xml: string): boolean {
  const parser = sax.parser(true, { xmlns: true });
  const path: string[] = [];
  let sentence = '';
  let found = false;
  parser.onopentag = (node) => {
    const tag = node as sax.QualifiedTag;
    path.push(`${tag.uri}|${tag.local}`);
  };
  parser.onclosetag = () => {
    path.pop();
  };
  parser.ontext = (text) => {
    const [element, parent] = [path.at(-1), path.at(-2)];
    if (
      element === `${SOAP_AGENT_NAMESPACE}|uniqueId` &&
      parent === `${SOAP_AGENT_NAMESPACE}|${SOAP_NOT_FOUND_ELEMENT}`
    ) {
      sentence += text;
      found = true;
    }
  };
  // Left alone, sax reports every error and reads on: a megabyte of garbage would hold the event loop for a second.
  parser.onerror = (error) => {
    throw error;
  };
  try {
    parser.write(xml).close();
  } catch {
    return false;
  }
  return found && NOT_FOUND_SENTENCE.test(sentence.trim());
}

/** The one place a SOAP success is interpreted: EMPTY, or repeated page elements. */
function readSoapResult(result: unknown): InteractPage[] {
  if (typeof result === 'string') {
    if (result.trim() === EMPTY_HISTORY_BODY || result.trim() === '') return [];
    throw new PayloadError('upstream SOAP response holds unexpected text');
  }
  if (typeof result !== 'object' || result === null) throw new PayloadError('upstream SOAP response is missing');
  const response = result as { page?: unknown; $value?: unknown };
  if (response.page === undefined) {
    if (response.$value === undefined || String(response.$value).trim() === EMPTY_HISTORY_BODY) return [];
    throw new PayloadError('upstream SOAP response holds unexpected text');
  }
  return readInteractPages(response.page);
}
