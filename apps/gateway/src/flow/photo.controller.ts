import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { API_KEY_SCHEME } from '../docs/openapi.js';
import { Produces } from '../media-types.js';
import { ApiProblemResponses, REQUEST_ID_HEADER, type HeaderDoc } from '../problems/problem.dto.js';
import { ACCOUNT_ROUTE } from './flow.lookups.js';
import { FLOW_PROBLEMS } from './flow.controller.js';
import { PhotoParams, PhotoQuery } from './photo.dto.js';
import { PhotoService, photoFileName, type PhotoResponse } from './photo.service.js';

// A photo is read through its interaction's flow, so it can fail as the flow does, or be missing itself.
const PHOTO_PROBLEMS = [...FLOW_PROBLEMS, 'photo-not-found'] as const;

/** What an answer about a photo carries, the image or a 304. */
const PHOTO_HEADERS: Record<string, HeaderDoc> = {
  ETag: {
    description: 'Strong validator of the photo; send it back in If-None-Match.',
    required: true,
    schema: { type: 'string', example: '"0cY1oZ6q8Qe2Hn5bT3fJ7wK9sVx"' },
  },
  'Cache-Control': {
    description:
      '`private, max-age=N, immutable`, N being the seconds a photo is kept: an uploaded photo never changes.',
    required: true,
    schema: { type: 'string', example: 'private, max-age=86400, immutable' },
  },
  'X-Content-Type-Options': {
    description: 'nosniff',
    required: true,
    schema: { type: 'string', example: 'nosniff' },
  },
  'X-Request-Id': REQUEST_ID_HEADER,
};

/** What only the image carries. */
const IMAGE_HEADERS: Record<string, HeaderDoc> = {
  ...PHOTO_HEADERS,
  'Content-Disposition': {
    description: 'inline, with a file name made of the photo id.',
    required: true,
    schema: { type: 'string', example: 'inline; filename="photo-cgNfCv18QzqrmozmD6ctD4.png"' },
  },
  'Cache-Status': {
    description: 'RFC 9211: hit or fwd=miss, with the photo kept or not.',
    required: true,
    schema: { type: 'string', example: 'interact-flow-gateway; hit' },
  },
};

/**
 * The photos a flow lists. A Nest route alone: no cache-hit hook answers it before Nest, since a
 * photo's hit still needs its flow read (to prove the photo is listed) and its bytes sent.
 */
@ApiTags('flows')
@ApiBearerAuth(API_KEY_SCHEME)
@Controller(ACCOUNT_ROUTE)
export class PhotoController {
  constructor(private readonly photos: PhotoService) {}

  @Get('interactions/:interactionId/photos/:photoId')
  // Whichever image type the photo's bytes prove; problems are sent whatever Accept says.
  @Produces('image/*')
  @ApiOperation({
    operationId: 'getInteractionPhoto',
    summary: 'Get a photo the customer uploaded',
    description:
      'The image of a photo that the interaction’s flow lists, by the `id` (or simply the `href`) the flow gives it. Only photos of flows found by interaction id have one. Small photos are cached; larger ones are streamed, up to the account’s size limit.',
  })
  @ApiHeader({
    name: 'If-None-Match',
    required: false,
    description: 'An ETag from an earlier answer: 304 when it still matches.',
  })
  @ApiResponse({
    status: 200,
    description: 'The image, as JPEG, PNG, GIF, WebP or HEIC.',
    headers: IMAGE_HEADERS,
    // The bytes themselves, which a JSON document cannot show: Swagger UI's Try it out displays the image.
    content: { 'image/*': { schema: { type: 'string', format: 'binary' }, example: '(the image bytes)' } },
  })
  @ApiResponse({
    status: 304,
    description: 'Not modified: the If-None-Match ETag still matches.',
    headers: PHOTO_HEADERS,
  })
  @ApiProblemResponses(PHOTO_PROBLEMS)
  async getInteractionPhoto(
    @Param() params: PhotoParams,
    @Query() query: PhotoQuery,
    @Headers() headers: Record<string, string | undefined>,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const photo = await this.photos.getPhoto(params.accountId, params.interactionId, params.photoId, {
      maxSize: query.maxSize === undefined ? undefined : Number(query.maxSize),
      ifNoneMatch: headers['if-none-match'],
      requestId: reply.request.id,
      // AuthAndRateLimitHook identified the client of every request under /v1/ before it came here.
      clientId: reply.request.client!.id,
    });
    return sendPhoto(reply, photo);
  }
}

function sendPhoto(reply: FastifyReply, photo: PhotoResponse): FastifyReply {
  void reply.headers({
    etag: photo.etag,
    'cache-control': `private, max-age=${photo.maxAgeSeconds}, immutable`,
    'x-content-type-options': 'nosniff',
  });
  if (photo.kind === 'not-modified') return reply.status(304).send();
  void reply.headers({
    'cache-status': `interact-flow-gateway; ${photo.cacheStatus}`,
    // The name is the gateway's own (id and type), never the device path: nothing to quote or escape.
    'content-disposition': `inline; filename="${photoFileName(photo, photo.contentType)}"`,
  });
  // A stream that fails after its headers went (the photo passed its size limit, upstream broke
  // off) makes Fastify destroy the connection: the caller sees a broken response, never a short 200.
  return reply.status(200).type(photo.contentType).send(photo.body);
}
