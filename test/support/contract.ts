import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Client, Dispatcher } from 'undici';
import { isDocsUrl } from '../../apps/gateway/src/docs/openapi.js';

/** A response as the contract sees it, whichever client received it. */
export interface ContractResponse {
  method: string;
  /** The request's URL, or its path and query. */
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as received: text, bytes, empty for none; undefined when a client left it unread. */
  body: string | Buffer | undefined;
}

interface SchemaHolder {
  schema?: object;
}

interface HeaderObject extends SchemaHolder {
  required?: boolean;
}

interface ResponseObject {
  headers?: Record<string, HeaderObject | Reference>;
  content?: Record<string, SchemaHolder>;
}

interface Operation {
  responses: Record<string, ResponseObject | Reference>;
}

interface Reference {
  $ref: string;
}

/**
 * What the gateway answers for a request that matches no path of the document: malformed or
 * over-long URLs and header sections refused before routing, and routes it does not have. Always a
 * problem.
 */
const UNROUTED_STATUSES = new Set([400, 404, 414, 431]);

const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Where the document's component schemas live once they are one JSON Schema 2020-12 document. */
const COMPONENTS_ID = 'urn:openapi:components';

const isJson = (mediaType: string) => /^application\/(?:[\w.-]+\+)?json$/.test(mediaType);

/** The media type of a Content-Type, lowercased, without its parameters. */
const essence = (contentType: string) => contentType.split(';')[0].trim().toLowerCase();

/** The documented media type that covers a received one: itself, `type/*` or `*\/*`. */
function documentedMediaType(documented: string[], received: string): string | undefined {
  return [received, `${received.split('/')[0]}/*`, '*/*'].find((candidate) => documented.includes(candidate));
}

/** A header's text as the type its schema names: a number for an integer, as a client would read it. */
function headerValue(text: string, schema: { type?: unknown } | undefined): unknown {
  if ((schema?.type === 'integer' || schema?.type === 'number') && /^-?\d+(?:\.\d+)?$/.test(text)) return Number(text);
  return text;
}

const describeErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map(
    (error) => `  ${error.instancePath || '(root)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
  );

/**
 * The OpenAPI document as a contract on responses: the operation, the status, the media type, the
 * body by its schema (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 has it) and the headers.
 */
export class Contract {
  // The discriminator picks the one schema of a oneOf to report on, instead of all of them.
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true, discriminator: true });
  private readonly pathItems: { template: string; pattern: RegExp; operations: Map<string, Operation> }[];
  private readonly validators = new Map<object, ValidateFunction>();

  constructor(readonly document: OpenAPIObject) {
    if (!document.openapi.startsWith('3.1.'))
      throw new Error(`the contract reads OpenAPI 3.1 schemas, not ${document.openapi}`);
    // A CommonJS module: its default export, as Node's ESM loader hands it over, is the module object.
    ajvFormats.default(this.ajv);
    // Binary bodies are not validated; the format only names them.
    this.ajv.addFormat('binary', true);
    // OpenAPI's own keywords, annotations only.
    for (const keyword of ['example', 'xml', 'externalDocs']) this.ajv.addKeyword(keyword);
    this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: this.local(document.components?.schemas ?? {}) });
    this.pathItems = Object.entries(document.paths).map(([template, item]) => ({
      template,
      // A path parameter is one segment, as the gateway's router matches it.
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      operations: new Map(
        Object.entries(item as Record<string, Operation>).map(([method, operation]) => [
          method.toUpperCase(),
          operation,
        ]),
      ),
    }));
  }

  /** Every way the response breaks the document; none when it keeps it. */
  check(response: ContractResponse): string[] {
    // As sent: URL parsing would resolve the dot segments and encodings that hostile requests hold.
    const path = response.url.replace(/^https?:\/\/[^/]*/, '').split(/[?#]/)[0];
    // Swagger UI and the document itself describe the API; the document does not describe them.
    if (isDocsUrl(path)) return [];
    const item = this.pathItems.find((candidate) => candidate.pattern.test(path));
    if (!item) return this.checkUnrouted(response, path);
    const method = response.method.toUpperCase();
    // The document says every operation answers HEAD as its GET, without the body.
    const operation = item.operations.get(method) ?? (method === 'HEAD' ? item.operations.get('GET') : undefined);
    if (!operation) return this.checkOtherMethod(response, item.template, [...item.operations.values()]);
    const name = `${method} ${item.template}`;
    const documented =
      operation.responses[String(response.status)] ??
      operation.responses[`${String(response.status)[0]}XX`] ??
      operation.responses.default;
    if (!documented) return [`${name}: status ${response.status} is not documented`];
    return this.checkResponse(name, response, this.resolve(documented));
  }

  /** Throws, naming the request and every mismatch, when the response breaks the document. */
  assert(response: ContractResponse): void {
    const mismatches = this.check(response);
    if (mismatches.length > 0)
      throw new Error(
        `${response.method.toUpperCase()} ${response.url} answered ${response.status}, which the OpenAPI document does not allow:\n${mismatches.join('\n')}`,
      );
  }

  /** A method the path does not take: the 405 its operations document, if they do. */
  private checkOtherMethod(response: ContractResponse, template: string, operations: Operation[]): string[] {
    const name = `${response.method.toUpperCase()} ${template} (a method the path does not take)`;
    const documented = operations.map((operation) => operation.responses['405']).find(Boolean);
    if (!documented || response.status !== 405)
      return [`${name}: status ${response.status}, where ${documented ? '405 is' : 'nothing is'} documented`];
    return this.checkResponse(name, response, this.resolve(documented));
  }

  private checkResponse(name: string, response: ContractResponse, documented: ResponseObject): string[] {
    return [
      ...this.checkHeaders(name, response, documented.headers ?? {}),
      ...this.checkContent(`${name} ${response.status}`, response, documented.content ?? {}),
    ];
  }

  private checkUnrouted(response: ContractResponse, path: string): string[] {
    const name = `${response.method.toUpperCase()} ${path} (no operation of the document)`;
    if (!UNROUTED_STATUSES.has(response.status)) return [`${name}: status ${response.status} for no operation`];
    return this.checkContent(`${name} ${response.status}`, response, {
      [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } },
    });
  }

  private checkHeaders(
    name: string,
    response: ContractResponse,
    headers: Record<string, HeaderObject | Reference>,
  ): string[] {
    return Object.entries(headers).flatMap(([header, object]) => {
      const { required, schema } = this.resolve(object);
      const received = response.headers[header.toLowerCase()];
      if (received === undefined)
        return required ? [`${name} ${response.status}: required header ${header} is missing`] : [];
      const value = headerValue(Array.isArray(received) ? received.join(', ') : received, schema as { type?: unknown });
      const validate = schema && this.validator(schema);
      if (!validate || validate(value)) return [];
      return [
        `${name} ${response.status}: header ${header}: ${JSON.stringify(value)}`,
        ...describeErrors(validate.errors),
      ];
    });
  }

  private checkContent(name: string, response: ContractResponse, content: Record<string, SchemaHolder>): string[] {
    const contentType = response.headers['content-type'];
    const hasBody = response.body === undefined ? contentType !== undefined : response.body.length > 0;
    // HEAD's answer has GET's Content-Type, without the body.
    const head = response.method.toUpperCase() === 'HEAD';
    const documented = Object.keys(content);
    if (!hasBody && !(head && contentType !== undefined))
      return documented.length > 0 && !head
        ? [`${name}: no body, where the document gives ${documented.join(', ')}`]
        : [];
    if (typeof contentType !== 'string') return [`${name}: a body without a Content-Type`];
    const mediaType = documentedMediaType(documented, essence(contentType));
    if (!mediaType)
      return [`${name}: Content-Type ${contentType} is not documented (${documented.join(', ') || 'no content'})`];
    if (!hasBody) return [];
    const { schema } = content[mediaType];
    // Binary bodies (the photos) are checked by their status, type and headers alone.
    if (!schema || response.body === undefined || Buffer.isBuffer(response.body)) return [];
    let body: unknown = response.body;
    if (isJson(essence(contentType))) {
      try {
        body = JSON.parse(response.body as string);
      } catch {
        return [`${name}: the ${mediaType} body is not JSON: ${String(response.body).slice(0, 200)}`];
      }
    }
    const validate = this.validator(schema);
    if (validate(body)) return [];
    return [`${name}: the ${mediaType} body breaks its schema`, ...describeErrors(validate.errors)];
  }

  /** A response or header the document gives by reference to its components, or in place. */
  private resolve<T extends object>(object: T | Reference): T {
    if (!('$ref' in object)) return object;
    const found = object.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], this.document);
    if (!found) throw new Error(`the document has no ${object.$ref}`);
    return found as T;
  }

  /** A schema of the document, compiled once, its references pointing into the components. */
  private validator(schema: object): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) this.validators.set(schema, (validate = this.ajv.compile(this.local(schema))));
    return validate;
  }

  /**
   * A copy whose references to components/schemas resolve in the components' own JSON Schema
   * document, and whose discriminators leave out their mapping: Ajv takes none, and reads the same
   * from each schema's own `kind`.
   */
  private local<T>(schema: T): T {
    return JSON.parse(JSON.stringify(schema), (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/'))
        return `${COMPONENTS_ID}#/$defs/${value.slice('#/components/schemas/'.length)}`;
      if (key === 'discriminator' && typeof value === 'object' && value !== null)
        return { ...value, mapping: undefined };
      return value;
    }) as T;
  }
}

const contracts = new Map<string, Contract>();

/** The contract of a document, compiled once for every gateway that serves the same one. */
export function contractOf(document: OpenAPIObject): Contract {
  const key = JSON.stringify(document);
  let contract = contracts.get(key);
  if (!contract) contracts.set(key, (contract = new Contract(JSON.parse(key) as OpenAPIObject)));
  return contract;
}

/** fetch, failing when the response breaks the contract; a binary body is left unread, for the caller to read. */
export async function keptFetch(contract: Contract, url: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, init);
  const contentType = response.headers.get('content-type');
  const textual = contentType !== null && /^(?:text\/|application\/(?:[\w.-]+\+)?json)/i.test(contentType);
  contract.assert({
    method: init.method ?? 'GET',
    url,
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: textual ? await response.clone().text() : contentType === null ? '' : undefined,
  });
  return response;
}

/** An answer read whole by keptRequest. */
export interface KeptAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * An undici request, its path sent exactly as written (fetch and URL parsing would resolve ".."
 * and "%2e%2e" first), its answer read whole and checked against the contract.
 */
export async function keptRequest(
  contract: Contract,
  client: Client,
  options: { method: string; path: string; headers?: Record<string, string> },
): Promise<KeptAnswer> {
  const response = await client.request({ ...options, method: options.method as Dispatcher.HttpMethod });
  const answer = { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  contract.assert({ method: options.method, url: options.path, ...answer, body: answer.text });
  return answer;
}
