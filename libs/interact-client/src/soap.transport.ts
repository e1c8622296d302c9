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
} from './upstream.errors.js';

type SoapOperation = (args: object, options: object, headers: object) => Promise<[unknown, string]>;

/**
 * SOAP "Get Full Interaction Flow" with the soap package: one client per account, built once from
 * the account's WSDL and reused. Credentials travel as per-call HTTP headers, never on the client.
 */
export class SoapFlowTransport implements FlowTransport {
  readonly kind = 'soap';
  private client?: Promise<soap.Client>;

  constructor(private readonly account: UpstreamAccount) {}

  async fetchFlow(lookup: FlowLookup): Promise<InteractPage[]> {
    const { account } = this;
    const operation = SOAP_OPERATIONS[lookup.kind];
    const client = await this.loadClient();
    const call = client[`${operation.operation}Async`] as SoapOperation;
    const args = { [operation.field]: lookup.value, ...(lookup.widerSearch ? { widerSearch: true } : {}) };
    let result: unknown;
    try {
      [result] = await call.call(
        client,
        args,
        { timeout: account.timeoutMs, maxContentLength: account.maxResponseBytes, maxRedirects: 0 },
        {
          [CREDENTIAL_HEADERS.tenantId]: account.tenantId,
          [CREDENTIAL_HEADERS.applicationKey]: account.applicationKey,
          [CREDENTIAL_HEADERS.environmentName]: account.environmentName,
        },
      );
    } catch (error) {
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
    try {
      const client = await soap.createClientAsync(location, {
        wsdl_options: { timeout: account.timeoutMs, maxContentLength: account.maxResponseBytes, maxRedirects: 0 },
      });
      if (account.soapEndpoint) client.setEndpoint(account.soapEndpoint);
      return client;
    } catch (error) {
      const timedOut = ['ECONNABORTED', 'ETIMEDOUT'].includes((error as { code?: string }).code ?? '');
      if (timedOut) throw new UpstreamTimeoutError(`WSDL not loaded within ${account.timeoutMs} ms`);
      throw new UpstreamFailedError('WSDL could not be loaded');
    }
  }
}

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
    return new UpstreamFailedError(`upstream fault ${code.slice(0, 64)}`);
  }
  const status = failure.response?.status;
  if (status === 200 && typeof failure.body === 'string') {
    return isNotFoundEnvelope(failure.body)
      ? new UpstreamNotFoundError('history not found')
      : new PayloadError('upstream SOAP body cannot be parsed');
  }
  if (status === 401) return new UpstreamUnauthorizedError('upstream answered 401');
  if (status !== undefined) return new UpstreamFailedError(`upstream answered ${status}`);
  return new UpstreamFailedError(`request failed: ${failure.code ?? 'network error'}`);
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
  parser.ondoctype = () => {
    throw new PayloadError('upstream SOAP body carries a DOCTYPE');
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
