import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Document, Spectral, type RulesetDefinition } from '@stoplight/spectral-core';
import * as Parsers from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO_IDS } from './support/simulator.js';
import { API_KEY_SCHEME, DOCS_PAGE_TITLE } from '../apps/gateway/src/docs/openapi.js';
import type { DocsDemoSettings } from '../apps/gateway/src/config/gateway.schema.js';
import { PHOTO_ID_PATTERN } from '../apps/gateway/src/flow/photo-id.js';
import { PROBLEM_TYPES } from '../apps/gateway/src/problems/problem-types.js';
import type { RunningGateway } from './support/gateway.js';
import { useTestbed } from './support/testbed.js';

const run = promisify(execFile);

const testbed = useTestbed();
let gateway: RunningGateway;
let document: {
  info: { description: string };
  servers: Array<{ url: string }>;
  paths: Record<
    string,
    Record<
      string,
      {
        summary?: string;
        operationId?: string;
        parameters?: Array<{ name: string; schema?: Record<string, unknown> }>;
        responses: Record<
          string,
          {
            content?: Record<string, { example?: unknown; examples?: Record<string, unknown>; schema?: unknown }>;
            headers?: Record<string, unknown>;
          }
        >;
      }
    >
  >;
  components?: {
    securitySchemes?: Record<string, { bearerFormat?: string; description?: string }>;
    headers?: Record<string, unknown>;
    schemas?: Record<string, Schema>;
  };
};

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema & { items?: unknown }>;
  required?: string[];
  oneOf?: unknown[];
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
}

const schema = (name: string): Schema => {
  const found = document.components?.schemas?.[name];
  if (!found) throw new Error(`no schema ${name}`);
  return found;
};

/** The schemas of the kinds of answer, as the Answer schema maps them. */
const answerSchemaNames = () =>
  Object.values(schema('Answer').discriminator?.mapping ?? {}).map((ref) => ref.split('/').pop()!);

beforeEach(async () => {
  gateway = await testbed.gateway();
  document = (await gateway.http().get('/docs/openapi.json').expect(200)).body;
});

describe('OpenAPI document', () => {
  it('passes Redocly’s recommended-strict rules with no warnings', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'openapi-'));
    const file = join(folder, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    try {
      // redocly.yaml extends recommended-strict, which makes every warning of recommended an error.
      const { stdout } = await run('npx', ['redocly', 'lint', file, '--config', 'redocly.yaml', '--format', 'json'], {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      }).catch((error: { stdout: string; stderr: string }) => {
        throw new Error(`redocly lint failed:\n${error.stdout}\n${error.stderr}`);
      });
      const report = JSON.parse(stdout) as { totals: object; problems: unknown[] };
      expect(report.problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('passes Spectral’s spectral:oas ruleset with no warnings', async () => {
    const spectral = new Spectral();
    spectral.setRuleset({ extends: [oas as RulesetDefinition] });
    const results = await spectral.run(new Document(JSON.stringify(document), Parsers.Json, 'openapi.json'));
    expect(results.map(({ code, message, path }) => `${String(code)} at ${path.join('.')}: ${message}`)).toEqual([]);
  });

  it('documents both flow operations with a summary and every response with a schema and an example', () => {
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/accounts/{accountId}/interactions/{interactionId}/flow',
        '/v1/accounts/{accountId}/caller-attributes/{callerAttribute}/flow',
        '/v1/accounts/{accountId}/interactions/{interactionId}/photos/{photoId}',
      ]),
    );
    for (const operation of operations) {
      expect(operation.summary).toBeTruthy();
      expect(operation.operationId).toBeTruthy();
      for (const [status, response] of Object.entries(operation.responses).filter(([code]) => code !== '304')) {
        const media = Object.values(response.content ?? {});
        expect(media.length, `${operation.operationId} ${status} has content`).toBeGreaterThan(0);
        for (const entry of media) {
          expect(entry.schema, `${operation.operationId} ${status} has a schema`).toBeDefined();
          expect(entry.example ?? entry.examples, `${operation.operationId} ${status} has an example`).toBeDefined();
        }
      }
    }
  });

  it('documents every problem the flow can answer with', () => {
    const flow = document.paths['/v1/accounts/{accountId}/interactions/{interactionId}/flow'].get;
    expect(Object.keys(flow.responses).sort()).toEqual([
      '200',
      '304',
      '400',
      '401',
      '403',
      '404',
      '405',
      '406',
      '414',
      '429',
      '431',
      '500',
      '502',
      '503',
      '504',
    ]);
    expect(Object.keys(flow.responses['404'].content ?? {})).toEqual(['application/problem+json']);
    expect(Object.keys(flow.responses['400'].content?.['application/problem+json']?.examples ?? {})).toEqual([
      'validation-failed',
      'bad-request',
    ]);
  });

  it('documents the headers a caller must read on a problem', () => {
    const flow = document.paths['/v1/accounts/{accountId}/interactions/{interactionId}/flow'].get;
    const headers = (status: string) => Object.keys(flow.responses[status].headers ?? {});
    const rateLimit = ['RateLimit-Policy', 'RateLimit'];
    expect(headers('401')).toEqual(['X-Request-Id', 'WWW-Authenticate']);
    expect(headers('405')).toEqual(['X-Request-Id', 'Allow']);
    expect(headers('429')).toEqual(['X-Request-Id', 'Retry-After', ...rateLimit]);
    expect(headers('503')).toEqual(['X-Request-Id', 'Retry-After', ...rateLimit]);
    expect(headers('404')).toEqual(['X-Request-Id', 'Cache-Status', 'Cache-Control', ...rateLimit]);
    // Required where every problem of the status carries it: a 404 caches only when the interaction is not found.
    const required = (status: string) =>
      Object.entries(flow.responses[status].headers ?? {})
        .filter(([, header]) => (header as { required?: boolean }).required)
        .map(([name]) => name);
    expect(required('401')).toEqual(['X-Request-Id', 'WWW-Authenticate']);
    expect(required('405')).toEqual(['X-Request-Id', 'Allow']);
    expect(required('429')).toEqual(['X-Request-Id', 'Retry-After']);
    expect(required('404')).toEqual(['X-Request-Id']);
    expect(required('200')).toEqual(['ETag', 'Cache-Control', 'Cache-Status', 'X-Request-Id']);
    expect(document.components?.securitySchemes?.[API_KEY_SCHEME]).toMatchObject({ bearerFormat: 'opaque API key' });
  });

  it('documents the RateLimit fields on every answer of the API that comes after the client is admitted', () => {
    const v1 = Object.entries(document.paths).filter(([path]) => path.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThanOrEqual(3);
    for (const [path, item] of v1)
      for (const [status, response] of Object.entries(item.get.responses)) {
        const expected = ['401', '403', '405', '414', '431'].includes(status) ? [] : ['RateLimit-Policy', 'RateLimit'];
        expect(
          Object.keys(response.headers ?? {}).filter((name) => name.startsWith('RateLimit')),
          `${path} ${status}`,
        ).toEqual(expected);
      }
    expect(document.components?.headers?.RateLimit).toMatchObject({
      schema: { type: 'string', example: '"per-minute";r=599;t=42' },
    });
  });

  it('tells the two 503s of a flow apart: upstream not asked, or the gateway too busy to read its answer', () => {
    for (const path of [
      '/v1/accounts/{accountId}/interactions/{interactionId}/flow',
      '/v1/accounts/{accountId}/caller-attributes/{callerAttribute}/flow',
    ]) {
      const problems = document.paths[path].get.responses['503'].content?.['application/problem+json'];
      expect(Object.keys(problems?.examples ?? {})).toEqual(['upstream-unavailable', 'gateway-overloaded']);
    }
  });

  it('says which fields of a flow may be null, and describes what real histories add', () => {
    const nullable = (name: string) =>
      Object.entries(schema(name).properties ?? {})
        .filter(([, property]) => [property.type].flat().includes('null'))
        .map(([field]) => field)
        .sort();
    expect(nullable('FlowPage')).toEqual(['footer', 'header', 'language', 'navigatedAt', 'referenceName', 'title']);
    for (const name of answerSchemaNames())
      expect(nullable(name)).toEqual(['choiceId', 'label', 'referenceName', 'section', 'selected', 'value', 'widget']);
    expect(nullable('FlowSection')).toEqual(['footer', 'header', 'id', 'label', 'referenceName']);
    expect(schema('FlowPage').properties?.sections).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/FlowSection' },
    });
    // Always present, if null: every field of a flow is required in the schema.
    for (const name of ['Flow', 'FlowLookup', 'FlowPage', 'FlowSection', 'FlowPhoto', ...answerSchemaNames()])
      expect(schema(name).required?.sort(), name).toEqual(Object.keys(schema(name).properties ?? {}).sort());
  });

  it('makes an answer one of its kinds, told apart by kind, each with the exact types of value and selected', () => {
    const answer = schema('Answer');
    const mapping = answer.discriminator?.mapping ?? {};
    expect(answer.discriminator?.propertyName).toBe('kind');
    expect(Object.keys(mapping).sort()).toEqual(['continue', 'list', 'option', 'other', 'photos', 'switch', 'text']);
    expect(answer.oneOf).toEqual(Object.values(mapping).map(($ref) => ({ $ref })));
    expect(schema('FlowPage').properties?.answers).toMatchObject({ items: { $ref: '#/components/schemas/Answer' } });
    const types = (kind: string) => {
      const { properties } = schema(mapping[kind].split('/').pop()!);
      return { kind: properties?.kind.enum, value: properties?.value.type, selected: properties?.selected.type };
    };
    const chosen = { value: ['string', 'null'], selected: ['boolean', 'null'] };
    expect(types('option')).toEqual({ kind: ['option'], ...chosen });
    expect(types('switch')).toEqual({ kind: ['switch'], ...chosen });
    expect(types('list')).toEqual({ kind: ['list'], ...chosen });
    expect(types('continue')).toEqual({ kind: ['continue'], ...chosen });
    expect(types('text')).toEqual({ kind: ['text'], value: ['string', 'null'], selected: 'null' });
    expect(types('other')).toEqual({ kind: ['other'], value: ['string', 'null'], selected: 'null' });
    expect(types('photos')).toEqual({ kind: ['photos'], value: 'null', selected: 'null' });
  });

  it('types integers as integers, ids with the rules validation applies, and widerSearch as a boolean', () => {
    const flow = document.paths['/v1/accounts/{accountId}/interactions/{interactionId}/flow'].get;
    const photo = document.paths['/v1/accounts/{accountId}/interactions/{interactionId}/photos/{photoId}'].get;
    const parameter = (operation: typeof flow, name: string) =>
      operation.parameters?.find((candidate) => candidate.name === name)?.schema;
    expect(parameter(flow, 'widerSearch')).toEqual({ type: 'boolean', default: false });
    expect(parameter(flow, 'accountId')).toMatchObject({
      pattern: '^[A-Za-z0-9_-]{1,64}$',
      minLength: 1,
      maxLength: 64,
    });
    expect(parameter(flow, 'interactionId')).toMatchObject({
      pattern: expect.any(String),
      minLength: 1,
      maxLength: 128,
    });
    const callerFlow = document.paths['/v1/accounts/{accountId}/caller-attributes/{callerAttribute}/flow'].get;
    expect(parameter(callerFlow, 'callerAttribute')).toEqual({
      ...parameter(flow, 'interactionId'),
      example: expect.any(String),
    });
    expect(parameter(photo, 'photoId')).toMatchObject({
      pattern: PHOTO_ID_PATTERN.source,
      minLength: 22,
      maxLength: 22,
    });
    expect(schema('FlowPhoto').properties?.id).toMatchObject({ pattern: PHOTO_ID_PATTERN.source });
    expect(parameter(photo, 'maxSize')).toMatchObject({ type: 'integer' });
    expect(schema('FlowPage').properties?.index.type).toBe('integer');
    expect(schema('Problem').properties?.status.type).toBe('integer');
    expect(flow.responses['429'].headers?.['Retry-After']).toMatchObject({ schema: { type: 'integer' } });
  });

  it('lists the problem types a caller can switch on, with an example of each status', async () => {
    expect(schema('Problem').properties?.type.enum).toEqual(
      Object.keys(PROBLEM_TYPES).map((slug) => `/problems/${slug}`),
    );
    const flow = document.paths['/v1/accounts/{accountId}/interactions/{interactionId}/flow'].get;
    for (const [status, response] of Object.entries(flow.responses).filter(([code]) => code >= '400'))
      for (const example of Object.values(response.content?.['application/problem+json']?.examples ?? {}))
        expect((example as { value: { status: number } }).value.status).toBe(Number(status));
    // Under a public base URL the gateway answers absolute type URIs, and the document says so.
    const absolute = await testbed.gateway({ publicBaseUrl: 'https://flows.example.test' });
    const served = (await absolute.http().get('/docs/openapi.json').expect(200)).body as typeof document;
    expect(served.components?.schemas?.Problem.properties?.type.enum).toEqual(
      Object.keys(PROBLEM_TYPES).map((slug) => `https://flows.example.test/problems/${slug}`),
    );
    const examples = served.paths['/v1/accounts/{accountId}/interactions/{interactionId}/flow'].get.responses['404']
      .content?.['application/problem+json']?.examples as Record<string, { value: { type: string } }>;
    expect(examples['interaction-not-found'].value.type).toBe(
      'https://flows.example.test/problems/interaction-not-found',
    );
  });

  it('gets descriptions Swagger UI renders as written: no text it would take for HTML, one problem a line', () => {
    const descriptions: string[] = [];
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (typeof value === 'object' && value !== null)
        for (const [key, inner] of Object.entries(value))
          if (key === 'description' && typeof inner === 'string') descriptions.push(inner);
          else collect(inner);
    };
    collect(document);
    // Markdown passes an HTML tag through, and Swagger UI's sanitizer then drops it and its text.
    expect(descriptions.filter((text) => /<[A-Za-z/!?]/.test(text))).toEqual([]);
    const flow = document.paths['/v1/accounts/{accountId}/interactions/{interactionId}/flow'].get;
    expect((flow.responses['400'] as { description?: string }).description).toBe(
      `One of these, each with an example below:\n\n- ${PROBLEM_TYPES['validation-failed'].title}\n- ${PROBLEM_TYPES['bad-request'].title}`,
    );
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await gateway.http().get('/docs').expect(200);
    expect(response.text).toContain('swagger-ui');
  });
});

/** The options Swagger UI starts with, as /docs/swagger-ui-init.js hands them to it. */
async function swaggerUiOptions(served: RunningGateway): Promise<Record<string, unknown>> {
  const script = (await served.http().get('/docs/swagger-ui-init.js').expect(200)).text;
  const start = script.indexOf('{', script.indexOf('let options = '));
  const options = JSON.parse(script.slice(start, script.indexOf('\n};', start) + 2)) as {
    customOptions: Record<string, unknown>;
  };
  return options.customOptions;
}

const demoJson = JSON.parse(readFileSync(new URL('../config/demo.json', import.meta.url), 'utf8')) as {
  docs: { demo: DocsDemoSettings };
};

describe('Swagger UI', () => {
  it('is titled for the service, opens schemas a level, and keeps the key in memory only', async () => {
    const page = (await gateway.http().get('/docs').expect(200)).text;
    expect(page).toContain(`<title>${DOCS_PAGE_TITLE}</title>`);
    expect(await swaggerUiOptions(gateway)).toEqual({
      persistAuthorization: false,
      defaultModelExpandDepth: 2,
      defaultModelsExpandDepth: 2,
    });
  });

  it('says what the service is, and outside a demo nothing of its accounts or keys', () => {
    expect(document.info.description).toMatch(/^What a customer did in a Uniphore Interact flow/);
    expect(document.info.description).not.toMatch(/12345678|12345679|demo|SOAP account/i);
    expect(document.components?.securitySchemes?.[API_KEY_SCHEME]?.description).toBe('The API key of your client.');
  });

  it('keeps the key across reloads when configured to', async () => {
    const persisting = await testbed.gateway({ docs: { persistAuthorization: true } });
    expect(await swaggerUiOptions(persisting)).toMatchObject({ persistAuthorization: true });
  });

  it('on a demo, gives its key, which account is REST and which SOAP, and the ids to try', async () => {
    const demo = await testbed.gateway({ docs: { persistAuthorization: false, demo: demoJson.docs.demo } });
    const served = (await demo.http().get('/docs/openapi.json').expect(200)).body as typeof document;
    const description = served.info.description;
    expect(description).toContain("Authorize with the demo client's key, `demo-key`.");
    expect(description).toContain('| `12345678` | REST |');
    expect(description).toContain('| `12345679` | SOAP |');
    expect(description).toContain(
      '| `040100713` | interactionId | Four pages: an option, a yes/no switch and a list, a text input, two photos and a continue |',
    );
    expect(description).toContain('| `112233` | callerAttribute | The history of 040100713 |');
    expect(served.components?.securitySchemes?.[API_KEY_SCHEME]?.description).toContain('`demo-key`');
  });

  it('lists, in the demo configuration, every id the simulator knows, under the path parameter it goes in', () => {
    const listed = demoJson.docs.demo.ids.map(({ id, lookup }) => [id, lookup]);
    const known = Object.entries(DEMO_IDS).map(([name, id]) => [
      id,
      name.endsWith('Attribute') ? 'callerAttribute' : 'interactionId',
    ]);
    expect(listed.sort()).toEqual(known.sort());
  });
});
