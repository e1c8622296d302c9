import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiSchema,
  getSchemaPath,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { ACCEPTABLE_REQUEST_ID } from '../request-id.js';
import { PROBLEM_CONTENT_TYPE } from './problem.filter.js';
import { PROBLEM_SLUGS, PROBLEM_TYPES, problemTypeUri, type ProblemSlug } from './problem-types.js';

@ApiSchema({ name: 'FieldError' })
export class FieldErrorDto {
  @ApiProperty({ description: 'The path segment or query parameter at fault.', example: 'interactionId' })
  field!: string;

  @ApiProperty({
    description: 'What is wrong with it.',
    example:
      'interactionId must not contain "/", "\\", control or invisible formatting characters, line or paragraph separators, U+FFFE, U+FFFF or percent-encoded sequences',
  })
  message!: string;
}

/**
 * The problem type URIs as the document states them: relative, as the gateway sends them without a
 * public base URL. buildOpenApiDocument makes them absolute, examples included, for a gateway with one.
 */
const PROBLEM_TYPE_URIS = PROBLEM_SLUGS.map((slug) => problemTypeUri(slug, undefined));

@ApiSchema({ name: 'Problem' })
export class ProblemDto {
  @ApiProperty({
    description: 'URI of the problem type, ending in its slug; GET it for a description.',
    enum: PROBLEM_TYPE_URIS,
    example: problemTypeUri('interaction-not-found', undefined),
  })
  type!: string;

  @ApiProperty({
    description: 'Short summary of the problem type.',
    example: PROBLEM_TYPES['interaction-not-found'].title,
  })
  title!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 400,
    maximum: 599,
    description: 'The HTTP status code.',
    example: 404,
  })
  status!: number;

  @ApiProperty({
    description: 'What happened in this occurrence.',
    example: 'No history for interaction 000000000 in the last 3 months.',
  })
  detail!: string;

  @ApiProperty({
    description:
      "The request path this occurrence belongs to; empty (the request's own URL) on a 431 whose request line could not be read.",
    example: '/v1/accounts/12345678/interactions/000000000/flow',
  })
  instance!: string;

  @ApiProperty({
    description: 'Identifies the request in the gateway logs; echoed in the X-Request-Id header.',
    pattern: ACCEPTABLE_REQUEST_ID.source,
    example: '5f0c6f4e-8a53-4c51-9a8e-2a1f0b1c9d77',
  })
  requestId!: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description: 'For validation-failed: each field and what was wrong with it.',
  })
  errors?: FieldErrorDto[];
}

const EXAMPLE_DETAILS: Record<ProblemSlug, string> = {
  'validation-failed': 'The request has 1 invalid field.',
  'bad-request': 'The request was rejected before it reached the API.',
  unauthorized: 'Send an API key as Authorization: Bearer <key>.',
  'invalid-api-key': 'The API key is not valid.',
  forbidden: 'Client desk-app may not read this account.',
  'rate-limited': 'Client desk-app sent more than 600 requests this minute.',
  'uri-too-long': 'The request URL is longer than 12288 characters.',
  'method-not-allowed': '/v1/accounts/12345678/interactions/040100713/flow does not take POST; it takes GET, HEAD.',
  'not-acceptable': "The request's Accept admits none of application/json, application/problem+json.",
  'headers-too-large': "The request's header section is larger than 16384 bytes.",
  'not-found': 'No route for GET /v1/nothing.',
  'account-not-found': 'No Interact account 99999999 is configured.',
  'interaction-not-found':
    'No history for interaction 000000000 in the last 3 months. Retry with widerSearch=true to search the last 12 months.',
  'photo-not-found': 'Interact no longer holds photo cgNfCv18QzqrmozmD6ctD4 of interaction 040100713.',
  'upstream-unauthorized': 'Interact rejected the credentials configured for account 12345678.',
  'upstream-error': 'Interact failed to answer for account 12345678.',
  'upstream-timeout': 'Interact did not answer within 10000 ms for account 12345678.',
  'upstream-unavailable': 'Interact is failing for account 12345678; its circuit is open. Retry in 8 s.',
  'gateway-overloaded': 'Too many large histories are waiting to be read. Retry in 1 s.',
  'internal-error': 'The gateway failed unexpectedly.',
};

function example(slug: ProblemSlug) {
  const { status, title } = PROBLEM_TYPES[slug];
  return {
    type: problemTypeUri(slug, undefined),
    title,
    status,
    detail: EXAMPLE_DETAILS[slug],
    instance: '/v1/accounts/12345678/interactions/040100713/flow',
    requestId: '5f0c6f4e-8a53-4c51-9a8e-2a1f0b1c9d77',
    ...(slug === 'validation-failed' && {
      errors: [{ field: 'widerSearch', message: 'widerSearch must be "true" or "false"' }],
    }),
  };
}

/** A response header as the document describes it; `required` when every answer it is given for carries it. */
export interface HeaderDoc {
  description: string;
  required?: boolean;
  schema: { type: string; example?: unknown; minimum?: number; pattern?: string };
}

/** On every answer of the gateway, problems included. */
export const REQUEST_ID_HEADER: HeaderDoc = {
  description: 'Identifies the request in the logs: the caller’s own X-Request-Id when it is a plain token.',
  required: true,
  schema: { type: 'string', pattern: ACCEPTABLE_REQUEST_ID.source, example: '5f0c6f4e-8a53-4c51-9a8e-2a1f0b1c9d77' },
};

const RETRY_AFTER: HeaderDoc = {
  description: 'Seconds to wait before trying again.',
  required: true,
  schema: { type: 'integer', minimum: 0, example: 8 },
};

type ProblemHeaders = Partial<Record<ProblemSlug, Record<string, HeaderDoc>>>;

const WWW_AUTHENTICATE: Record<string, HeaderDoc> = {
  'WWW-Authenticate': {
    description: 'The Bearer scheme, with error="invalid_token" when a key was sent but is not valid.',
    required: true,
    schema: { type: 'string', example: 'Bearer realm="interact-flow-gateway", error="invalid_token"' },
  },
};

/** Headers that come with a problem, as a caller needs to read them. */
const PROBLEM_HEADERS: ProblemHeaders = {
  unauthorized: WWW_AUTHENTICATE,
  'invalid-api-key': WWW_AUTHENTICATE,
  'method-not-allowed': {
    Allow: {
      description: 'The methods the path takes.',
      required: true,
      schema: { type: 'string', example: 'GET, HEAD' },
    },
  },
  'rate-limited': { 'Retry-After': RETRY_AFTER },
  'upstream-unavailable': { 'Retry-After': RETRY_AFTER },
  'gateway-overloaded': { 'Retry-After': RETRY_AFTER },
};

/**
 * One problem's title; several as a Markdown list, which Swagger UI renders as one: joined in a
 * line, two titles read as one garbled sentence ("The request is not valid; The request could not
 * be read").
 */
function describeStatus(group: ProblemSlug[]): string {
  const titles = group.map((slug) => PROBLEM_TYPES[slug].title);
  return titles.length === 1
    ? titles[0]
    : `One of these, each with an example below:\n\n${titles.map((title) => `- ${title}`).join('\n')}`;
}

/**
 * The headers of a status's problems: X-Request-Id, and each header of one of them, required only
 * when every problem of the status carries it.
 */
function headersOf(group: ProblemSlug[], headers: ProblemHeaders): Record<string, HeaderDoc> {
  const declared = group.map((slug) => ({ ...PROBLEM_HEADERS[slug], ...headers[slug] }));
  const names = [...new Set(declared.flatMap((byName) => Object.keys(byName)))];
  return {
    'X-Request-Id': REQUEST_ID_HEADER,
    ...Object.fromEntries(
      names.map((name) => {
        const { required, ...header } = declared.find((byName) => byName[name])![name];
        const always = required === true && declared.every((byName) => byName[name]?.required === true);
        return [name, always ? { ...header, required } : header];
      }),
    ),
  };
}

/**
 * Documents the given problems as application/problem+json responses, one entry per status, with
 * their headers: those every problem of a type carries, and those the operation adds (`headers`).
 */
export function ApiProblemResponses(slugs: readonly ProblemSlug[], headers: ProblemHeaders = {}) {
  const byStatus = new Map<number, ProblemSlug[]>();
  for (const slug of slugs) {
    const status = PROBLEM_TYPES[slug].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), slug]);
  }
  return applyDecorators(
    ApiExtraModels(ProblemDto, FieldErrorDto),
    ...[...byStatus].map(([status, group]) =>
      ApiResponse({
        status,
        description: describeStatus(group),
        headers: headersOf(group, headers),
        content: {
          [PROBLEM_CONTENT_TYPE]: {
            schema: { $ref: getSchemaPath(ProblemDto) },
            examples: Object.fromEntries(
              group.map((slug) => [slug, { summary: PROBLEM_TYPES[slug].title, value: example(slug) }]),
            ),
          },
        },
      }),
    ),
  );
}

/**
 * The document as a gateway under a public base URL answers: its problem types absolute, in the
 * Problem schema and in every example. Only they are values equal to a relative problem type URI.
 */
export function resolveProblemTypes(document: OpenAPIObject, publicBaseUrl: string | undefined): OpenAPIObject {
  if (publicBaseUrl === undefined) return document;
  const relative = new Set<unknown>(PROBLEM_TYPE_URIS);
  return JSON.parse(JSON.stringify(document), (_key, value: unknown) =>
    relative.has(value) ? `${publicBaseUrl}${value as string}` : value,
  ) as OpenAPIObject;
}
