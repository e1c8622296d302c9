import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { GatewayConfig } from '../config/gateway.config.js';

/** Name of the security scheme in the document; Swagger UI's Authorize button fills it. */
export const API_KEY_SCHEME = 'apiKey';

export function buildOpenApiDocument(app: INestApplication, config: GatewayConfig): OpenAPIObject {
  const info = new DocumentBuilder()
    .setTitle('Interact Flow Gateway')
    .setDescription(
      'What a customer did in a Uniphore Interact flow, as one versioned JSON API. Errors are RFC 9457 problem details (application/problem+json); each problem type URI has a page under /problems.',
    )
    .setVersion('1.0.0')
    .setLicense('Proprietary', 'https://www.uniphore.com/')
    .setContact('Interact Flow Gateway maintainers', '', 'interact-flow-gateway@example.com')
    .addServer(config.publicBaseUrl ?? '/', 'This gateway')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        // Not the JWT the decorator assumes: keys are opaque strings, known to the gateway by their SHA-256.
        bearerFormat: 'opaque API key',
        description: "The API key of your client (the demo client's is demo-key).",
      },
      API_KEY_SCHEME,
    )
    .addTag('flows', 'Full interaction flows, by interaction id or caller attribute')
    .addTag('problems', 'Descriptions of the problem types the API answers with')
    .build();
  return SwaggerModule.createDocument(app, info);
}

/** Swagger UI at /docs, the document at /docs/openapi.json. */
export function serveDocs(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    swaggerOptions: { persistAuthorization: true },
  });
}
