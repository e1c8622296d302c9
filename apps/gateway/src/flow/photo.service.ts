import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { OwnFailure } from '@app/cache';
import { UpstreamError, readPhotoHead, type ImageType, type PartialPhoto, type WholePhoto } from '@app/interact-client';
import { AccountsService, type ConfiguredAccount } from '../accounts/accounts.service.js';
import { UpstreamUnavailableError } from '../accounts/resilient-transport.js';
import { photoChunkPassed } from './streamed-chunks.js';
import { PhotoCacheService, photoCacheKey, photoEtag, type PhotoLoaded } from '../cache/photo-cache.service.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { ProblemException } from '../problems/problem.js';
import { matchesIfNoneMatch } from './flow.http.js';
import type { FlowPage } from './flow.model.js';
import { FlowService } from './flow.service.js';

export interface PhotoRequestOptions {
  maxSize: number | undefined;
  ifNoneMatch: string | undefined;
  requestId: string;
  clientId: string;
}

interface PhotoHeaders {
  etag: string;
  maxAgeSeconds: number;
  /** What the caller's file is called when it saves the photo: the id and the type's extension, nothing of the device path. */
  fileName: string;
}

/** A photo's headers while it is fetched, with the problem that answers it when Interact no longer holds it. */
interface PhotoContext extends PhotoHeaders {
  gone(cacheStatus: string): ProblemException;
}

export type PhotoResponse = PhotoHeaders &
  (
    | { kind: 'not-modified' }
    | { kind: 'bytes'; contentType: ImageType; body: Buffer; cacheStatus: string }
    | { kind: 'stream'; contentType: ImageType; body: Readable; cacheStatus: string }
  );

const EXTENSIONS: Record<ImageType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/heic': 'heic',
};

/** Flows whose photo lists were read lately, by ETag: a burst of photos of one flow reads its JSON once. */
const LISTS_KEPT = 256;

/**
 * The photos of interactions: only those the interaction's own flow lists, read through the flow
 * cache, then from the photo cache or Interact. Small photos are cached; larger ones stream
 * through, each bounded by its account's maxPhotoBytes.
 */
@Injectable()
export class PhotoService {
  private readonly lists = new Map<string, Map<string, string>>();

  constructor(
    private readonly accounts: AccountsService,
    private readonly flows: FlowService,
    private readonly cache: PhotoCacheService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async getPhoto(
    accountId: string,
    interactionId: string,
    photoId: string,
    options: PhotoRequestOptions,
  ): Promise<PhotoResponse> {
    const configured = this.accounts.find(accountId);
    if (!configured) throw new ProblemException('account-not-found', `No Interact account ${accountId} is configured.`);
    const path = await this.listedPath(accountId, interactionId, photoId, options);
    const key = photoCacheKey(this.config.cache.keyPrefix, configured.account, interactionId, path, options.maxSize);
    const maxAgeSeconds = Math.floor(this.config.cache.photoTtlMs / 1000);
    const context: PhotoContext = {
      etag: photoEtag(key),
      maxAgeSeconds,
      fileName: `photo-${photoId}`,
      gone: (status: string) => this.gone(interactionId, photoId, status),
    };
    const { gone, ...headers } = context;
    if (matchesIfNoneMatch(options.ifNoneMatch, headers.etag)) return { ...headers, kind: 'not-modified' };

    const stored = await this.cache.read(key);
    if (stored?.kind === 'photo')
      return { ...headers, kind: 'bytes', contentType: stored.contentType, body: stored.body, cacheStatus: 'hit' };
    if (stored?.kind === 'not-found') throw gone('hit');
    const request = { uniqueId: interactionId, path, maxSize: options.maxSize };
    // Known too large to cache: no load to share, every caller streams its own. Still a miss to
    // RFC 9211: the cache knew the size, yet the request went upstream.
    if (stored?.kind === 'large')
      return this.streamed(context, await this.fetch(configured, request, 0, options), 'fwd=miss');

    const { entry, stream } = await this.cache.load(key, configured.account, async () => {
      const read = await this.fetch(configured, request, this.config.cache.photoMaxBytes, options);
      if (read === 'not-found') return { loaded: { kind: 'not-found' } };
      if (read.kind === 'whole') return { loaded: { ...read, kind: 'photo' } satisfies PhotoLoaded };
      return { loaded: { kind: 'large' }, stream: read };
    });
    switch (entry.kind) {
      case 'photo':
        return { ...headers, kind: 'bytes', contentType: entry.contentType, body: entry.body, cacheStatus: 'fwd=miss' };
      case 'not-found':
        throw gone('fwd=miss');
      case 'large': {
        // The caller whose load read it streams it; those that joined the load fetch their own.
        const own = stream?.claim() ?? (await this.fetch(configured, request, 0, options));
        return this.streamed(context, own, 'fwd=miss');
      }
    }
  }

  private streamed(
    { gone, ...headers }: PhotoContext,
    read: WholePhoto | PartialPhoto | 'not-found',
    status: string,
  ): PhotoResponse {
    if (read === 'not-found') throw gone(status);
    if (read.kind === 'whole')
      return { ...headers, kind: 'bytes', contentType: read.contentType, body: read.body, cacheStatus: status };
    return { ...headers, kind: 'stream', contentType: read.contentType, body: read.stream(), cacheStatus: status };
  }

  /**
   * One upstream call within the account's circuit, deadline and photo bulkhead: read whole up to
   * bufferBytes, else partly, for its caller to stream. Failures are the flow's LoadFailures.
   */
  private async fetch(
    { account, transport }: ConfiguredAccount,
    request: { uniqueId: string; path: string; maxSize: number | undefined },
    bufferBytes: number,
    { requestId, clientId }: PhotoRequestOptions,
  ): Promise<WholePhoto | PartialPhoto | 'not-found'> {
    try {
      return await transport.callPhoto(
        request,
        (answer) => readPhotoHead(answer, { bufferBytes, maxBytes: account.maxPhotoBytes, passed: photoChunkPassed }),
        clientId,
      );
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === 'not-found') return 'not-found';
      const failed = this.flows.failureOf(error, account.accountId, account.timeoutMs, requestId);
      if (error instanceof UpstreamUnavailableError && error.reason === 'client_share_full')
        throw new OwnFailure(failed);
      throw failed;
    }
  }

  private gone(interactionId: string, photoId: string, cacheStatus: string): ProblemException {
    return new ProblemException(
      'photo-not-found',
      `Interact no longer holds photo ${photoId} of interaction ${interactionId}.`,
      {},
      { 'cache-status': `interact-flow-gateway; ${cacheStatus}` },
    );
  }

  /** The device path of a photo the interaction's flow lists; photo-not-found for any other id. */
  private async listedPath(
    accountId: string,
    interactionId: string,
    photoId: string,
    { requestId, clientId }: PhotoRequestOptions,
  ): Promise<string> {
    const lookup = { kind: 'interactionId' as const, value: interactionId, widerSearch: false };
    const context = { noCache: false, requestId, clientId };
    let flow;
    try {
      flow = await this.flows.getFlow(accountId, lookup, context);
    } catch (error) {
      // A photo link outlives the 3 months of the default search: its interaction may be older.
      if (!(error instanceof ProblemException && error.slug === 'interaction-not-found')) throw error;
      flow = await this.flows.getFlow(accountId, { ...lookup, widerSearch: true }, context);
    }
    const path = this.photoList(flow.etag, flow.body).get(photoId);
    if (path === undefined)
      throw new ProblemException(
        'photo-not-found',
        `The flow of interaction ${interactionId} lists no photo ${photoId}.`,
      );
    return path;
  }

  private photoList(etag: string, body: Buffer): Map<string, string> {
    let list = this.lists.get(etag);
    if (!list) {
      const { pages } = JSON.parse(body.toString('utf8')) as { pages: FlowPage[] };
      list = new Map(pages.flatMap((page) => page.photos.map((photo) => [photo.id, photo.path] as const)));
      if (this.lists.size >= LISTS_KEPT) this.lists.delete(this.lists.keys().next().value!);
      this.lists.set(etag, list);
    }
    return list;
  }
}

export const photoFileName = (response: PhotoHeaders, contentType: ImageType) =>
  `${response.fileName}.${EXTENSIONS[contentType]}`;
