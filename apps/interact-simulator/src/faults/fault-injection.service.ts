import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { LookupKind } from '@app/interact';
import {
  SIMULATOR_CONFIG,
  type SimulatorConfig,
  type SimulatorTransport,
  type TransportFaults,
} from '../simulator.config.js';
import type { SoapDialect } from '../soap/soap-dialect.js';
import { writeAnswer, type HostileAnswer, type HostilePayload } from './hostile-payloads.js';

const TRACEPARENTS_KEPT = 20;

export interface TransportStats {
  requests: number;
  injectedErrors: number;
  hostileAnswers: number;
  /** Bytes of hostile answers handed to connections: how far clients read before hanging up. */
  hostileBytesSent: number;
  /** W3C traceparent headers of the latest requests, newest last, so tests can follow a trace upstream. */
  traceparents: string[];
  /** The latest request's Accept-Encoding, null when it sent none. */
  acceptEncoding: string | null;
  /** The latest request's W3C baggage, null when it sent none. */
  baggage: string | null;
  /** The latest full-flow request's lookup as the simulator read it off the wire, so tests can prove what arrived. */
  lookup: RecordedLookup | null;
}

export interface RecordedLookup {
  kind: LookupKind;
  value: string;
  widerSearch: boolean;
}

/** The request headers the simulator keeps a record of. */
export interface RecordedHeaders {
  traceparent?: string;
  acceptEncoding?: string;
  baggage?: string;
}

/** A photo request as the simulator read it off the wire: the path with its encodings taken off. */
export interface RecordedPhoto {
  accountId: string;
  uniqueId: string;
  path: string;
  maxSize: number | null;
}

export interface SimulatorStats {
  rest: TransportStats;
  soap: TransportStats & { wsdlRequests: number };
  /** "Get Interaction Photo" calls, counted apart from the full flows of `total`. */
  photos: { requests: number; latest: RecordedPhoto | null };
  total: number;
  /** Fetches of the URL the xxe payload declares as an external entity. */
  entityFetches: number;
}

export interface FaultSettings extends TransportFaults {
  /** What authorised full-flow requests are answered with instead of their history. */
  hostile: HostilePayload;
}

/** How photos are answered: after latencyMs, each 64 KiB chunk after dripMs, and failed (an empty 500) at errorRate. */
export interface PhotoFaults {
  latencyMs: number;
  dripMs: number;
  errorRate: number;
}

const NO_PHOTO_FAULTS: PhotoFaults = { latencyMs: 0, dripMs: 0, errorRate: 0 };

export interface Faults extends Record<SimulatorTransport, FaultSettings> {
  photos: PhotoFaults;
  /** How found histories are written on SOAP: null for the soap package's own way. */
  soapDialect: SoapDialect | null;
}

export type FaultsUpdate = Partial<Record<SimulatorTransport, Partial<FaultSettings>>> & {
  soapDialect?: SoapDialect | null;
  photos?: Partial<PhotoFaults>;
};

/**
 * Latency, error and hostile-payload injection per transport, and counters of what reached the
 * simulator, so that tests and benchmarks can prove how many calls the gateway made upstream.
 */
@Injectable()
export class FaultInjectionService {
  private faults!: Faults;
  private stats!: SimulatorStats;

  constructor(@Inject(SIMULATOR_CONFIG) private readonly config: SimulatorConfig) {
    this.reset();
  }

  get soapDialect(): SoapDialect | null {
    return this.faults.soapDialect;
  }

  currentFaults(): Faults {
    return structuredClone(this.faults);
  }

  setFaults(update: FaultsUpdate): void {
    for (const transport of ['rest', 'soap'] as const) {
      this.faults[transport] = { ...this.faults[transport], ...update[transport] };
    }
    if (update.soapDialect !== undefined) this.faults.soapDialect = update.soapDialect;
    this.faults.photos = { ...this.faults.photos, ...update.photos };
  }

  /** Back to the configured faults, no hostile payloads, the soap package's own dialect, and zeroed counters. */
  reset(): void {
    const { rest, soap } = this.config.faults;
    this.faults = {
      rest: { ...rest, hostile: 'none' },
      soap: { ...soap, hostile: 'none' },
      soapDialect: null,
      photos: { ...NO_PHOTO_FAULTS },
    };
    const zeroed = (): TransportStats => ({
      requests: 0,
      injectedErrors: 0,
      hostileAnswers: 0,
      hostileBytesSent: 0,
      traceparents: [],
      acceptEncoding: null,
      baggage: null,
      lookup: null,
    });
    this.stats = {
      rest: zeroed(),
      soap: { ...zeroed(), wsdlRequests: 0 },
      photos: { requests: 0, latest: null },
      total: 0,
      entityFetches: 0,
    };
  }

  snapshot(): SimulatorStats {
    return structuredClone(this.stats);
  }

  countWsdlRequest(): void {
    this.stats.soap.wsdlRequests += 1;
  }

  countEntityFetch(): void {
    this.stats.entityFetches += 1;
  }

  /**
   * Counts the request, waits the injected latency, and says whether to fail it and which hostile
   * payload, if any, to answer it with.
   */
  async admit(
    transport: SimulatorTransport,
    { traceparent, acceptEncoding, baggage }: RecordedHeaders,
    lookup: RecordedLookup,
  ): Promise<{ fail: boolean; hostile: HostilePayload }> {
    this.stats[transport].requests += 1;
    this.stats[transport].lookup = { ...lookup };
    this.stats[transport].acceptEncoding = acceptEncoding ?? null;
    this.stats[transport].baggage = baggage ?? null;
    if (traceparent)
      this.stats[transport].traceparents = [...this.stats[transport].traceparents, traceparent].slice(
        -TRACEPARENTS_KEPT,
      );
    this.stats.total += 1;
    const { latencyMs, errorRate, hostile } = this.faults[transport];
    if (latencyMs > 0) await sleep(latencyMs);
    const fail = errorRate > 0 && Math.random() < errorRate;
    if (fail) this.stats[transport].injectedErrors += 1;
    return { fail, hostile };
  }

  /** Counts a photo request and says how to slow it down. */
  admitPhoto(): PhotoFaults {
    this.stats.photos.requests += 1;
    return { ...this.faults.photos };
  }

  recordPhoto(photo: RecordedPhoto): void {
    this.stats.photos.latest = photo;
  }

  failPhoto(): boolean {
    const { errorRate } = this.faults.photos;
    return errorRate > 0 && Math.random() < errorRate;
  }

  /** Writes a hostile answer, counting it and how much of it the client took. */
  async sendHostile(transport: SimulatorTransport, res: ServerResponse, answer: HostileAnswer): Promise<void> {
    this.stats[transport].hostileAnswers += 1;
    await writeAnswer(res, answer, (bytes) => {
      this.stats[transport].hostileBytesSent += bytes;
    });
  }
}
