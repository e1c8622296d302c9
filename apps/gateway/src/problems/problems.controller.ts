import { Controller, Get, Header, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from './problem.dto.js';
import { PROBLEM_TYPES, isProblemSlug } from './problem-types.js';
import { ProblemException } from './problem.js';

const escapeHtml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Human-readable pages behind the problem type URIs. */
@ApiTags('problems')
@Controller('problems')
export class ProblemsController {
  @Get(':slug')
  @Header('content-type', 'text/html; charset=utf-8')
  @ApiOperation({
    summary: 'Describe a problem type',
    description: 'The page behind a problem type URI: its title, status and what it means. Needs no API key.',
    operationId: 'getProblemType',
    security: [],
  })
  @ApiParam({ name: 'slug', description: 'The slug that ends a problem type URI.', example: 'interaction-not-found' })
  @ApiProduces('text/html')
  @ApiResponse({
    status: 200,
    description: 'A short page describing the problem type.',
    content: {
      'text/html': {
        schema: { type: 'string' },
        example: '<!doctype html><title>Interaction history not found</title><h1>Interaction history not found</h1>',
      },
    },
  })
  @ApiProblemResponses(['not-found', 'method-not-allowed'])
  describe(@Param('slug') slug: string): string {
    if (!isProblemSlug(slug)) throw new ProblemException('not-found', 'No such problem type.');
    const { title, status, description } = PROBLEM_TYPES[slug];
    return [
      '<!doctype html>',
      `<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`,
      `<body><h1>${escapeHtml(title)}</h1>`,
      `<p>HTTP status ${status}. Problem type <code>${escapeHtml(slug)}</code>.</p>`,
      `<p>${escapeHtml(description)}</p></body></html>`,
    ].join('\n');
  }
}
