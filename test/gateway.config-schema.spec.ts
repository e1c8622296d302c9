import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError, loadGatewayConfig } from '../apps/gateway/src/config/gateway.config.js';
import { gatewayFileSchema } from '../apps/gateway/src/config/gateway.schema.js';

/**
 * config/gateway.schema.json is what editors check a configuration file against; the gateway checks
 * it with the rules of gateway.schema.ts. Both come from those rules, and a real JSON Schema
 * validator holds the published file to them.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const published = JSON.parse(read('config/gateway.schema.json')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(published);

const scratch = mkdtempSync(join(tmpdir(), 'gateway-config-schema-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Ajv's errors as the gateway names settings: `/accounts/0` missing `id` is `accounts[0].id`. */
function schemaPaths(errors: ErrorObject[]): string[] {
  const paths = errors.map(({ instancePath, params }) => {
    const path = instancePath
      .split('/')
      .slice(1)
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
      .join('');
    const child =
      (params as { additionalProperty?: string; missingProperty?: string }).additionalProperty ??
      (params as { missingProperty?: string }).missingProperty;
    return `${path}${child === undefined ? '' : `.${child}`}`.replace(/^\./, '');
  });
  return [...new Set(paths)].sort();
}

/** The settings the gateway refuses a file for, by the paths its messages name. */
function loaderPaths(document: object): string[] {
  const file = join(scratch, 'gateway.json');
  writeFileSync(file, JSON.stringify(document));
  try {
    loadGatewayConfig({ GATEWAY_CONFIG_FILE: file, INTERACT_APPLICATION_KEY_x: 'key' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const prefix = 'GATEWAY_CONFIG_FILE: ';
    return [
      ...new Set((error as ConfigError).problems.map((problem) => problem.slice(prefix.length).split(' ')[0])),
    ].sort();
  }
  return expect.unreachable('the gateway took the file');
}

describe('the JSON Schema of the configuration file', () => {
  it('is the one the settings classes generate (npm run config:schema writes it)', () => {
    expect(published, 'config/gateway.schema.json is out of date: npm run config:schema').toEqual(gatewayFileSchema());
  });

  it.each(['config/demo.json', 'config/compose.yaml', 'deploy/base/gateway.yaml'])('validates %s', (path) => {
    // YAML is a superset of JSON: one parser reads both, as the gateway does.
    const valid = validate(parseYaml(read(path)));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('names the same settings as the gateway in a file with a mistake in each of them', () => {
    const document = {
      $schema: './gateway.schema.json',
      accounts: [
        {
          id: '1/2',
          transport: 'grpc',
          baseUrl: 'ftp://interact',
          tenantId: '  ',
          environmentName: '',
          applicationKey: 'in the file',
          timeoutMs: 0,
          cacheTTLSeconds: 60,
          resilience: { retryMaxAtempts: 5, breakerFailureRatio: 1, breakerMinimumRps: 0, bulkheadMaxQueue: 1.5 },
        },
        { transport: 'soap', baseUrl: 'https://interact.example', apiVersion: '2', soapEndpoint: 'relative' },
        { id: 'x', transport: 'rest', baseUrl: 'https://interact.example', tenantId: 't', resilience: [] },
      ],
      clients: [{ id: 'desk', keySha256: 'not-hex', accounts: [], rateLimitPerMin: 60 }],
      clinets: [],
    };
    const paths = loaderPaths(document);
    expect(validate(document)).toBe(false);
    expect(schemaPaths(validate.errors!)).toEqual(paths);
    expect(paths).toEqual(
      [
        'accounts[0].id',
        'accounts[0].transport',
        'accounts[0].baseUrl',
        'accounts[0].tenantId',
        'accounts[0].environmentName',
        'accounts[0].applicationKey',
        'accounts[0].timeoutMs',
        'accounts[0].cacheTTLSeconds',
        'accounts[0].resilience.retryMaxAtempts',
        'accounts[0].resilience.breakerFailureRatio',
        'accounts[0].resilience.breakerMinimumRps',
        'accounts[0].resilience.bulkheadMaxQueue',
        'accounts[1].id',
        'accounts[1].tenantId',
        'accounts[1].apiVersion',
        'accounts[1].soapEndpoint',
        'accounts[2].resilience',
        'clients[0].keySha256',
        'clients[0].accounts',
        'clients[0].rateLimitPerMin',
        'clinets',
      ].sort(),
    );
  });
});
