import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { GatewayAccount, GatewayConfig } from '../config/gateway.config.js';
import type { DocsDemoSettings, DocsSettings } from '../config/gateway.schema.js';
import { ANSWER_SCHEMA, ANSWER_SCHEMA_NAME } from '../flow/flow.dto.js';
import { resolveProblemTypes } from '../problems/problem.dto.js';

/** Name of the security scheme in the document; Swagger UI's Authorize button fills it. */
export const API_KEY_SCHEME = 'apiKey';

/** The browser tab's title of Swagger UI, in place of "Swagger UI". */
export const DOCS_PAGE_TITLE = 'Interact Flow Gateway API';

const SERVICE = `What a customer did in a Uniphore Interact flow, every page, answer and uploaded photo, as one versioned JSON API. The gateway reads it from Interact's Get Full Interaction Flow, over REST or SOAP as each account is configured, caches it, and answers the same JSON either way.

To try an operation: **Authorize** with your client's API key, open the operation, **Try it out**, give an account id and an interaction id or caller attribute, then **Execute**.

Every operation also answers \`HEAD\`: the same status and headers as its \`GET\`, without the body.

Errors are RFC 9457 problem details (\`application/problem+json\`); each problem type URI has a page under \`/problems\`.`;

/** Statuses answered before the client is admitted (or even known): they carry no RateLimit fields. */
const BEFORE_ADMISSION = new Set(['401', '403', '405', '414', '431']);

/** draft-ietf-httpapi-ratelimit-headers, as the gateway fills it in: one policy, a client's requests per minute. */
const RATE_LIMIT_HEADERS = {
  'RateLimit-Policy': {
    description:
      'The client\'s quota: `q` requests in every window of `w` seconds, under the policy named "per-minute" (draft-ietf-httpapi-ratelimit-headers).',
    schema: { type: 'string', example: '"per-minute";q=600;w=60' },
  },
  RateLimit: {
    description:
      'What remains of the quota: `r` more requests within the next `t` seconds, when the window starts again. `r` is what this gateway instance knows without asking the others, exact while one instance serves the client. On a 429, `r` is 0 and `t` is the Retry-After.',
    schema: { type: 'string', example: '"per-minute";r=599;t=42' },
  },
};

/**
 * Every answer of the API after the client was admitted carries the RateLimit fields (the
 * authentication hook sets them on both paths of a request): documented here once, on every
 * response of every /v1 operation that can come after admission.
 */
function documentRateLimits(document: OpenAPIObject): OpenAPIObject {
  const refs = Object.fromEntries(
    Object.keys(RATE_LIMIT_HEADERS).map((name) => [name, { $ref: `#/components/headers/${name}` }]),
  );
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith('/v1/')) continue;
    for (const operation of Object.values(item) as Array<{ responses?: Record<string, { headers?: object }> }>) {
      for (const [status, response] of Object.entries(operation.responses ?? {}))
        if (!BEFORE_ADMISSION.has(status)) response.headers = { ...response.headers, ...refs };
    }
  }
  document.components = { ...document.components, headers: { ...document.components?.headers, ...RATE_LIMIT_HEADERS } };
  return document;
}

const TRANSPORTS: Record<GatewayAccount['transport'], string> = { rest: 'REST', soap: 'SOAP' };

/** Markdown, as Swagger UI renders the description: the demo's key, its accounts, and the ids to try. */
function demoSection(demo: DocsDemoSettings, accounts: GatewayAccount[]): string {
  const rows = (cells: string[][]) => cells.map((row) => `| ${row.join(' | ')} |`).join('\n');
  const lines = [
    '## Demo',
    `This is a demo deployment. Authorize with the demo client's key, \`${demo.apiKey}\`.`,
    'Its accounts, each read from Interact over its own transport:',
    rows([
      ['Account', 'Transport'],
      ['---', '---'],
      ...accounts.map((account) => [`\`${account.accountId}\``, TRANSPORTS[account.transport]]),
    ]),
  ];
  if (demo.ids.length > 0)
    lines.push(
      'Ids that upstream knows, on every account:',
      rows([
        ['Id', 'Path parameter', 'What it gives'],
        ['---', '---', '---'],
        ...demo.ids.map(({ id, lookup, gives }) => [`\`${id}\``, lookup, gives]),
      ]),
    );
  return lines.join('\n\n');
}

export function buildOpenApiDocument(app: INestApplication, config: GatewayConfig): OpenAPIObject {
  const demo = config.docs.demo;
  const info = new DocumentBuilder()
    .setTitle('Interact Flow Gateway')
    .setDescription(demo ? `${SERVICE}\n\n${demoSection(demo, config.accounts)}` : SERVICE)
    .setVersion('1.0.0')
    .setLicense('Proprietary', 'https://www.uniphore.com/')
    .addServer(config.publicBaseUrl ?? '/', 'This gateway')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        // Not the JWT the decorator assumes: keys are opaque strings, known to the gateway by their SHA-256.
        bearerFormat: 'opaque API key',
        description: demo
          ? `The API key of your client (the demo client's is \`${demo.apiKey}\`).`
          : 'The API key of your client.',
      },
      API_KEY_SCHEME,
    )
    .addTag('flows', 'Full interaction flows, by interaction id or caller attribute')
    .addTag('problems', 'Descriptions of the problem types the API answers with')
    // 3.1: its schemas are JSON Schema 2020-12, which says "null" where 3.0 needed nullable, and
    // which the tests' validator and client generators read as they are.
    .setOpenAPIVersion('3.1.0')
    .build();
  const document = SwaggerModule.createDocument(app, {
    ...info,
    // Not setContact, which always writes a url: an empty one is no URI, and the maintainers have only an address.
    info: {
      ...info.info,
      contact: { name: 'Interact Flow Gateway maintainers', email: 'interact-flow-gateway@example.com' },
    },
    components: { ...info.components, schemas: { [ANSWER_SCHEMA_NAME]: ANSWER_SCHEMA } },
  });
  return resolveProblemTypes(documentRateLimits(document), config.publicBaseUrl);
}

/** Where Swagger UI and the document are served. */
const DOCS_PATH = 'docs';
const DOCS_URL = new RegExp(`^/${DOCS_PATH}(?:[/?]|$)`);

/** Whether a request URL is Swagger UI's page, one of its assets, or the document. */
export const isDocsUrl = (url: string) => DOCS_URL.test(url);

/** Swagger UI at /docs, the document at /docs/openapi.json. */
export function serveDocs(app: INestApplication, document: OpenAPIObject, docs: DocsSettings): void {
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: `${DOCS_PATH}/openapi.json`,
    yamlDocumentUrl: `${DOCS_PATH}/openapi.yaml`,
    customSiteTitle: DOCS_PAGE_TITLE,
    swaggerOptions: {
      persistAuthorization: docs.persistAuthorization,
      // At Swagger UI's default of 1 a schema shows its fields each folded as [...]; at 2 they show,
      // the schemas nested in them folded.
      defaultModelExpandDepth: 2,
      defaultModelsExpandDepth: 2,
    },
  });
}
