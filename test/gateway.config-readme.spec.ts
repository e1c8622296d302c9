import { readFileSync } from 'node:fs';
import { jsonSchemaOf, type JsonSchema, type SettingsType } from '@app/config';
import { describe, expect, it } from 'vitest';
import {
  AccountSettings,
  ClientSettings,
  DocsSettings,
  GatewayEnvironment,
} from '../apps/gateway/src/config/gateway.schema.js';
import { SimulatorEnvironment } from '../apps/interact-simulator/src/simulator.config.js';

/** The README's configuration tables say what the schema says: every setting, and its default. */

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Each row of the first table under `heading`: the names its first cell lists, and its default cell. */
function rows(heading: string): { names: string[]; defaults: string }[] {
  const lines = readme.slice(readme.indexOf(`\n${heading}\n`)).split('\n');
  const header = lines.findIndex((line) => line.startsWith('|'));
  const body = lines.slice(header + 2);
  return body
    .slice(
      0,
      body.findIndex((line) => !line.startsWith('|')),
    )
    .map((line) => {
      const [first, defaults] = line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
      // `resilience.retryInitialDelayMs`, `retryMaxDelayMs`: the later names share the first one's group.
      const listed = [...first.matchAll(/`([^`]+)`/g)].map(([, name]) => name);
      const group = listed[0].includes('.') ? listed[0].slice(0, listed[0].lastIndexOf('.') + 1) : '';
      return { names: listed.map((name, index) => (index > 0 && !name.includes('.') ? group + name : name)), defaults };
    });
}

/** What a setting's default cell reads: "`0.5`" after "`100`, " in a row that names several. */
function documentedDefaults(heading: string): Map<string, string> {
  return new Map(
    rows(heading).flatMap(({ names, defaults }) => {
      const each = defaults.split(', ');
      return names.map((name, index) => [name, each.length === names.length ? each[index] : defaults]);
    }),
  );
}

interface ObjectSchema {
  properties: Record<string, JsonSchema>;
  required?: string[];
}

/** The settings of a schema as the README names them, and the default cell each must have. */
function expectedDefaults(schema: ObjectSchema, group = ''): [string, string][] {
  return Object.entries(schema.properties).flatMap(([name, setting]): [string, string][] => {
    if (setting.type === 'object') return expectedDefaults(setting as unknown as ObjectSchema, `${group}${name}.`);
    if (schema.required?.includes(name)) return [[group + name, 'required']];
    const value = setting.default;
    const unset = value === undefined || (Array.isArray(value) && value.length === 0);
    return [[group + name, unset ? 'unset' : `\`${String(value)}\``]];
  });
}

/** Defaults the gateway works out from other settings or the machine, which the README describes in words. */
const DERIVED = [
  'RENDER_THREADS',
  'resilience.retryDeadlineMs',
  'applicationKeyEnv',
  'applicationKeyFile',
  'wsdl',
  'soapEndpoint',
];

const TABLES: { heading: string; type: SettingsType; outside: string[] }[] = [
  {
    heading: '### Gateway',
    type: GatewayEnvironment,
    // Read by tracing.ts before anything else, and named by each account.
    outside: ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME', 'INTERACT_APPLICATION_KEY_<id>'],
  },
  { heading: 'The configuration file, YAML or JSON (see `config/demo.json`):', type: AccountSettings, outside: [] },
  {
    heading: 'And what Swagger UI at `/docs` tells a visitor and keeps, under `docs`:',
    type: DocsSettings,
    outside: [],
  },
  { heading: '### Simulator', type: SimulatorEnvironment, outside: [] },
];

describe.each(TABLES)('the README table after "$heading"', ({ heading, type, outside }) => {
  const documented = documentedDefaults(heading);
  const expected = expectedDefaults(jsonSchemaOf(type) as unknown as ObjectSchema);

  it('lists every setting of the schema, and no other', () => {
    expect([...documented.keys()].filter((name) => !outside.includes(name)).sort()).toEqual(
      expected.map(([name]) => name).sort(),
    );
  });

  it('gives each setting the default of the schema', () => {
    const literal = expected.filter(([name]) => !DERIVED.includes(name));
    expect(literal.map(([name]) => [name, documented.get(name)])).toEqual(literal);
  });
});

it('shows the default rate limit in the clients example', () => {
  expect(readme).toContain(`rateLimitPerMinute: ${new ClientSettings().rateLimitPerMinute} # the default`);
});
