import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  LEGACY_PHOTO_DOT,
  PHOTO_CONTENT_TYPE,
  PHOTO_NOT_FOUND_SENTENCE,
  UNAUTHORIZED_BODY,
  UNAUTHORIZED_REASON_HEADER,
  invalidParameterSentence,
} from '@app/interact';
import { CredentialsService } from '../credentials/credentials.service.js';
import { FaultInjectionService } from '../faults/fault-injection.service.js';
import { photoBytes } from './photo-library.js';

/** What Interact sends a photo in: chunked, a piece at a time. */
const CHUNK_BYTES = 64 * 1024;

/** Interact's REST "Get Interaction Photo", with its quirks. */
@Controller('interact/agent/version/:version/account/:accountId/photo')
export class PhotoController {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly faults: FaultInjectionService,
  ) {}

  @Get(':uniqueId/:imgPath')
  async photo(
    @Param('accountId') accountId: string,
    @Param('uniqueId') uniqueId: string,
    @Param('imgPath') imgPath: string,
    @Query('maxSize') maxSizeText: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { latencyMs, dripMs } = this.faults.admitPhoto();
    const credentials = this.credentials.check(request.headers, accountId);
    if (!credentials.ok) {
      await reply.code(401).header(UNAUTHORIZED_REASON_HEADER, credentials.reason).send(UNAUTHORIZED_BODY);
      return;
    }
    const refuse = (name: 'uid' | 'path' | 'maxSize') =>
      reply.code(400).type('text/plain;charset=UTF-8').send(invalidParameterSentence(name));
    if (!/^[\w.-]{1,128}$/.test(uniqueId)) return void (await refuse('uid'));
    // The router took one encoding off; a path sent encoded once has its slashes back by now.
    if (imgPath.includes('/')) return void (await refuse('path'));
    let path: string;
    try {
      path = decodeURIComponent(imgPath);
    } catch {
      return void (await refuse('path'));
    }
    if (!path.startsWith('/')) return void (await refuse('path'));
    // Older versions wanted the file name's dots sent this way; both are still understood.
    path = path.replaceAll(LEGACY_PHOTO_DOT, '.');
    let maxSize: number | undefined;
    if (maxSizeText !== undefined) {
      if (!/^[1-9]\d{0,3}$/.test(maxSizeText)) return void (await refuse('maxSize'));
      maxSize = Number(maxSizeText);
    }
    this.faults.recordPhoto({ accountId, uniqueId, path, maxSize: maxSize ?? null });
    if (latencyMs > 0) await sleep(latencyMs);
    if (this.faults.failPhoto()) {
      // Interact's 500 has an empty body.
      await reply.code(500).send();
      return;
    }
    const bytes = photoBytes(path, maxSize);
    if (!bytes) {
      await reply.code(404).type('text/plain;charset=UTF-8').send(PHOTO_NOT_FOUND_SENTENCE);
      return;
    }
    // Written on the raw response: chunked, with Interact's type, dripped when a test asks.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': PHOTO_CONTENT_TYPE, 'transfer-encoding': 'chunked' });
    for (let at = 0; at < bytes.length && !res.destroyed; at += CHUNK_BYTES) {
      if (!res.write(bytes.subarray(at, at + CHUNK_BYTES))) await drained(res);
      if (dripMs > 0) await sleep(dripMs);
    }
    res.end();
  }
}

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
