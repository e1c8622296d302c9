import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import {
  SIMULATOR_CONFIG,
  type SimulatorConfig,
  type SimulatorTransport,
  type TransportFaults,
} from '../simulator.config.js';

export interface TransportStats {
  requests: number;
  injectedErrors: number;
}

export interface SimulatorStats {
  rest: TransportStats;
  soap: TransportStats & { wsdlRequests: number };
  total: number;
}

/**
 * Latency and error injection per transport, and counters of what reached the simulator, so that
 * tests and benchmarks can prove how many calls the gateway made upstream.
 */
@Injectable()
export class FaultInjectionService {
  private faults: Record<SimulatorTransport, TransportFaults>;
  private stats!: SimulatorStats;

  constructor(@Inject(SIMULATOR_CONFIG) private readonly config: SimulatorConfig) {
    this.faults = structuredClone(config.faults);
    this.resetStats();
  }

  currentFaults(): Record<SimulatorTransport, TransportFaults> {
    return structuredClone(this.faults);
  }

  setFaults(update: Partial<Record<SimulatorTransport, Partial<TransportFaults>>>): void {
    for (const transport of ['rest', 'soap'] as const) {
      this.faults[transport] = { ...this.faults[transport], ...update[transport] };
    }
  }

  /** Back to the configured faults and zeroed counters. */
  reset(): void {
    this.faults = structuredClone(this.config.faults);
    this.resetStats();
  }

  snapshot(): SimulatorStats {
    return structuredClone(this.stats);
  }

  countWsdlRequest(): void {
    this.stats.soap.wsdlRequests += 1;
  }

  /** Counts the request, waits the injected latency, and says whether to fail it. */
  async admit(transport: SimulatorTransport): Promise<{ fail: boolean }> {
    this.stats[transport].requests += 1;
    this.stats.total += 1;
    const { latencyMs, errorRate } = this.faults[transport];
    if (latencyMs > 0) await sleep(latencyMs);
    const fail = errorRate > 0 && Math.random() < errorRate;
    if (fail) this.stats[transport].injectedErrors += 1;
    return { fail };
  }

  private resetStats(): void {
    this.stats = {
      rest: { requests: 0, injectedErrors: 0 },
      soap: { requests: 0, injectedErrors: 0, wsdlRequests: 0 },
      total: 0,
    };
  }
}
