import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Piscina } from 'piscina';
import { UpstreamFailedError, fromUpstreamErrorData, type UpstreamAnswer } from '@app/interact-client';
import { ReadRefusedError } from '../accounts/resilient-transport.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { renderFlow, type FlowFrame, type RenderedFlow } from './flow-json.js';
import type { RenderResult, RenderTask } from './flow.worker.js';
import { PayloadDriftService } from './payload-drift.service.js';

/**
 * Answers up to this size are rendered on the event loop: at most about 2 ms of work (XML reads
 * at some 60 MB/s, JSON faster), which a trip to a worker would only lengthen. Larger ones would
 * hold every other request for as long as they take (7 MB of XML, a 5,000-page history, some
 * hundreds of milliseconds).
 */
const INLINE_MAX_BYTES = 128 * 1024;

/**
 * Each waiting answer holds its body (up to the account's maxResponseBytes) and waits for every
 * one ahead of it, some hundreds of milliseconds each for a 5,000-page history: a burst beyond
 * this is refused at once rather than swelling the process and ending in timeouts.
 */
const QUEUED_RENDERS_PER_THREAD = 4;

// Under Vitest this module runs from its TypeScript source, and so must its worker.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER = new URL(FROM_SOURCE ? './flow.worker.ts' : './flow.worker.js', import.meta.url);

/** Interact answered, but too many large answers were already waiting for the render pool. */
export class GatewayOverloadedError extends ReadRefusedError {
  constructor(retryAfterSeconds: number) {
    super('render_queue_full', retryAfterSeconds);
  }
}

const ownsItsBuffer = (bytes: Uint8Array) => bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;

/** Turns upstream answers into flow bytes, the large ones on a pool of worker threads. */
@Injectable()
export class FlowRenderer implements OnApplicationShutdown {
  private readonly pool: Piscina<RenderTask, RenderResult>;
  private readonly maxQueue: number;

  constructor(
    @Inject(GATEWAY_CONFIG) { renderThreads }: Pick<GatewayConfig, 'renderThreads'>,
    private readonly drift: PayloadDriftService,
  ) {
    this.maxQueue = renderThreads * QUEUED_RENDERS_PER_THREAD;
    this.pool = new Piscina<RenderTask, RenderResult>({
      filename: WORKER.href,
      execArgv: FROM_SOURCE ? ['--import', 'tsx'] : [],
      maxThreads: renderThreads,
      minThreads: 1,
      // A small young generation keeps the garbage of reading a history from swelling the process
      // (a 7 MB answer adds about 60 MB instead of 130 MB); the old generation still fits the
      // largest answer accepted (20 MB of XML by default needs about 180 MB).
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 },
    });
  }

  async render(answer: UpstreamAnswer, frame: FlowFrame): Promise<Buffer> {
    const { bytes, unknownFields } = await this.renderAnywhere(answer, frame);
    this.drift.record(frame.accountId, answer.transport, unknownFields);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private async renderAnywhere(answer: UpstreamAnswer, frame: FlowFrame): Promise<RenderedFlow> {
    if (answer.body.byteLength <= INLINE_MAX_BYTES) return renderFlow(answer, frame);
    // Bounded here, not with piscina's maxQueue, whose refusal is a bare Error that would end as a 500.
    if (this.pool.queueSize >= this.maxQueue) throw new GatewayOverloadedError(1);
    // A body with a buffer of its own is moved to the worker; a slice of a shared one must be copied.
    const transferList = ownsItsBuffer(answer.body) ? [answer.body.buffer as ArrayBuffer] : [];
    let result: RenderResult;
    try {
      result = await this.pool.run({ answer, frame }, { transferList });
    } catch (error) {
      // The pool replaces the worker; the request gets an answer that says what happened.
      if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY')
        throw new UpstreamFailedError('the answer is too large to read');
      throw error;
    }
    if ('failure' in result) throw fromUpstreamErrorData(result.failure);
    return result;
  }

  /** After the server has drained: a request still in flight may yet need a worker. */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}
