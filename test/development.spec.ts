import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../apps/gateway/src/config/gateway.config.js';
import { GatewayEnvironment } from '../apps/gateway/src/config/gateway.schema.js';

const read = (path: string) => readFileSync(path, 'utf8');

describe('.env.example', () => {
  const example = parseEnv(read('.env.example'));

  it('sets only variables the gateway reads, and starts it on the demo accounts', () => {
    const config = loadGatewayConfig(example);
    const accounts = config.accounts.map(({ accountId }) => accountId);
    expect(accounts).toEqual(['12345678', '12345679']);
    const known = [
      ...Object.keys(new GatewayEnvironment()),
      'GATEWAY_CONFIG_FILE',
      ...accounts.map((id) => `INTERACT_APPLICATION_KEY_${id}`),
    ];
    // A misspelt name would be ignored without a word, the gateway taking the default instead.
    expect(Object.keys(example).filter((name) => !known.includes(name))).toEqual([]);
  });

  it('is read by npm run start:dev alone, never by what runs in production', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(scripts['start:dev']).toBe('node scripts/dev.mjs');
    expect(read('scripts/dev.mjs')).toContain("'--env-file-if-exists=.env'");
    for (const [name, command] of Object.entries(scripts))
      expect([name, command]).not.toEqual([name, expect.stringMatching(/env-file/)]);
    expect(read('Dockerfile')).not.toMatch(/env-file|COPY[^\n]*\.env/);
    // The build context is an allow-list: a developer's .env never reaches an image.
    expect(read('.dockerignore').split('\n')).not.toContain('!.env');
    expect(read('.gitignore').split('\n')).toContain('.env');
  });
});
