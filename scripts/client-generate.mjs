// Writes clients/typescript/gateway-api.ts, the TypeScript types of the gateway's OpenAPI document
// (openapi-typescript), from the build: npm run client:generate builds first. The document is the
// demo configuration's without its demo text (keys, accounts, ids), so that the file changes with
// the API alone. With --check it writes nothing, and fails when the committed file is not what it
// would write.
import { readFileSync, writeFileSync } from 'node:fs';
import openapiTS, { COMMENT_HEADER, astToString } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';
import { loadGatewayConfig } from '../dist/apps/gateway/src/config/gateway.config.js';
import { buildOpenApiDocument } from '../dist/apps/gateway/src/docs/openapi.js';
import { createGatewayApp } from '../dist/apps/gateway/src/gateway.app.js';

const target = new URL('../clients/typescript/gateway-api.ts', import.meta.url);
const check = process.argv.includes('--check');

const demo = loadGatewayConfig({
  GATEWAY_CONFIG_FILE: new URL('../config/demo.json', import.meta.url).pathname,
  // The document says nothing of the keys: any will do.
  INTERACT_APPLICATION_KEY_12345678: 'unused',
  INTERACT_APPLICATION_KEY_12345679: 'unused',
  LOG_LEVEL: 'silent',
});
const config = { ...demo, docs: { ...demo.docs, demo: undefined } };
const app = await createGatewayApp(config);
let document;
try {
  await app.init();
  document = buildOpenApiDocument(app, config);
} finally {
  await app.close();
}

const source = `${COMMENT_HEADER}${astToString(await openapiTS(document, { silent: true }))}`;
const generated = await format(source, { ...(await resolveConfig(target)), parser: 'typescript' });
if (check) {
  if (readFileSync(target, 'utf8') !== generated) {
    console.error(`${target.pathname} is stale: npm run client:generate`);
    process.exit(1);
  }
} else {
  writeFileSync(target, generated);
  console.log(`wrote ${target.pathname}`);
}
