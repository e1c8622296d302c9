// Writes config/gateway.schema.json from the settings classes of the build (npm run config:schema
// builds first), formatted as the repository's other files are, so that `prettier --check` passes.
import { writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { gatewayFileSchema } from '../dist/apps/gateway/src/config/gateway.schema.js';

const target = new URL('../config/gateway.schema.json', import.meta.url);
const text = JSON.stringify(gatewayFileSchema(), null, 2);
writeFileSync(target, await format(text, { ...(await resolveConfig(target)), parser: 'json' }));
console.log(`wrote ${target.pathname}`);
