import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from './support/simulator.js';
import { API_KEY_SCHEME } from '../apps/gateway/src/docs/openapi.js';
import { demoAccounts, startGateway, type RunningGateway } from './support/gateway.js';

const run = promisify(execFile);

let simulator: RunningSimulator;
let gateway: RunningGateway;
let document: {
  servers: Array<{ url: string }>;
  paths: Record<
    string,
    Record<
      string,
      {
        summary?: string;
        operationId?: string;
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
    securitySchemes?: Record<string, { bearerFormat?: string }>;
    schemas?: Record<string, { properties: Record<string, Record<string, unknown>>; required?: string[] }>;
  };
};

beforeAll(async () => {
  simulator = await startSimulator();
  gateway = await startGateway({ accounts: demoAccounts(simulator) });
  document = (await gateway.http().get('/docs/openapi.json').expect(200)).body;
});
afterAll(async () => {
  await gateway?.close();
  await simulator?.close();
});

describe('OpenAPI document', () => {
  it('passes Redocly’s recommended rules with no errors', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'openapi-'));
    const file = join(folder, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    try {
      const { stdout, stderr } = await run(
        'npx',
        ['redocly', 'lint', file, '--config', 'redocly.yaml', '--format', 'stylish'],
        {
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      ).catch((error: { stdout: string; stderr: string }) => {
        throw new Error(`redocly lint failed:\n${error.stdout}\n${error.stderr}`);
      });
      expect(`${stdout}${stderr}`).not.toMatch(/\berror\b/i);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
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
      '414',
      '429',
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
    expect(headers('401')).toEqual(['WWW-Authenticate']);
    expect(headers('429')).toEqual(['Retry-After']);
    expect(headers('503')).toEqual(['Retry-After']);
    expect(headers('404')).toEqual(['Cache-Status', 'Cache-Control']);
    expect(document.components?.securitySchemes?.[API_KEY_SCHEME]).toMatchObject({ bearerFormat: 'opaque API key' });
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
    const schema = (name: string) => document.components?.schemas?.[name];
    const nullable = (name: string) =>
      Object.entries(schema(name)?.properties ?? {})
        .filter(([, property]) => property.nullable === true)
        .map(([field]) => field)
        .sort();
    expect(nullable('FlowPageDto')).toEqual(['footer', 'header', 'language', 'navigatedAt', 'referenceName', 'title']);
    expect(nullable('FlowAnswerDto')).toEqual([
      'choiceId',
      'label',
      'referenceName',
      'section',
      'selected',
      'value',
      'widget',
    ]);
    expect(nullable('FlowSectionDto')).toEqual(['footer', 'header', 'id', 'label', 'referenceName']);
    expect(schema('FlowAnswerDto')?.properties.kind.enum).toContain('other');
    expect(schema('FlowPageDto')?.properties.sections).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/FlowSectionDto' },
    });
    // Always present, if null: every field of a flow is required in the schema.
    for (const name of ['FlowPageDto', 'FlowAnswerDto', 'FlowSectionDto'])
      expect(schema(name)?.required?.sort()).toEqual(Object.keys(schema(name)?.properties ?? {}).sort());
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await gateway.http().get('/docs').expect(200);
    expect(response.text).toContain('swagger-ui');
  });
});
