import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ExponentialBackoff,
  SamplingBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  fullJitterGenerator,
  handleWhen,
  retry,
  timeout,
  wrap,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import {
  UpstreamError,
  UpstreamFailedError,
  UpstreamTimeoutError,
  type FlowLookup,
  type FlowTransport,
  type PhotoAnswer,
  type PhotoRequest,
  type RestPhotoTransport,
  type UpstreamAnswer,
} from '@app/interact-client';
import type { GatewayAccount } from '../config/gateway.config.js';
import type { MetricsService, Operation } from '../metrics/metrics.service.js';

export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/**
 * Upstream cannot be asked right now: its circuit is open, its bulkhead is full, or the caller's
 * client holds its whole share of the bulkhead.
 */
export class UpstreamUnavailableError extends Error {
  constructor(
    readonly reason: 'circuit_open' | 'bulkhead_full' | 'client_share_full',
    readonly retryAfterSeconds: number,
  ) {
    super(reason);
  }
}

/**
 * A call's reader refused to read Interact's answer for a cause of the gateway's own, such as its
 * overload: the breaker, the retries and the upstream metrics must not hold it against Interact.
 * The readers (the flow renderer's GatewayOverloadedError) extend it: this module knows none of them.
 */
export class ReadRefusedError extends Error {
  constructor(
    readonly reason: string,
    readonly retryAfterSeconds: number,
  ) {
    super(reason);
  }
}

/** The overall deadline of a call and its retries passed. */
export class UpstreamDeadlineError extends UpstreamTimeoutError {}

/** Only reads that failed on the network or with 502/503/504 are worth another try. */
const retryable = (error: unknown) => error instanceof UpstreamFailedError && error.retryable;

/**
 * Failures, timeouts and calls the deadline cut off are what the breaker counts against Interact.
 * Not-found and rejected credentials are answers: they reach the breaker as Answered values, so that
 * it counts them as successes (cockatiel counts an error it does not handle as nothing at all).
 */
const unhealthy = (error: unknown) =>
  error instanceof UpstreamFailedError || error instanceof UpstreamTimeoutError || error instanceof TaskCancelledError;

/** A bulkhead and the places each client holds in it, within its share. */
interface Compartment {
  /** What its calls are for, as the metrics name it. */
  readonly operation: Operation;
  readonly bulkhead: BulkheadPolicy;
  readonly clientShare: number;
  /** Places each client holds in the bulkhead; a client is removed when it holds none. */
  readonly held: Map<string, number>;
}

/**
 * Most of a bulkhead, calls in flight and queued, that one client may hold: an equal part for
 * each client allowed on the account. Any client can ask for histories nobody else asked for,
 * each a miss and so a call (no-cache or not); without a share, one busy or hostile client would
 * fill the bulkhead and every other client's misses on the account would be refused. A fixed
 * part rather than whatever others leave free: a client's share is there whenever it comes.
 * A lone client is bounded by the bulkhead itself, whose refusal then says so.
 */
function compartment(
  operation: Operation,
  maxConcurrent: number,
  maxQueue: number,
  clientsAllowed: number,
): Compartment {
  return {
    operation,
    bulkhead: bulkhead(maxConcurrent, maxQueue),
    clientShare: clientsAllowed > 1 ? Math.ceil((maxConcurrent + maxQueue) / clientsAllowed) : Infinity,
    held: new Map(),
  };
}

/** An answer of Interact that is not a history, carried through the policies as a value. */
class Answered {
  constructor(readonly error: UpstreamError) {}
}

/** Rejects once the signal aborts. */
function cancelledOn(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(new TaskCancelledError()), { once: true }),
  );
}

function outcomeOf(error: unknown): string {
  if (!(error instanceof UpstreamError)) return 'error';
  return { 'not-found': 'not_found', unauthorized: 'unauthorized', failed: 'error', timeout: 'timeout' }[error.kind];
}

/**
 * One account's transport behind its bulkhead, circuit breaker, overall deadline and retries, in
 * that order: the bulkhead bounds everything, the breaker counts a call once whatever its retries.
 * Reading the answer is part of the call, so that a body that is not a history, a SOAP fault or
 * SOAP's "not found" counts in the breaker and the metrics as what it is. Photos go through the
 * same breaker and deadline, since they reach the same Interact, but through a bulkhead of their
 * own: a burst of photos must not leave flow lookups queued behind it.
 */
export class ResilientTransport {
  readonly kind: FlowTransport['kind'];
  private readonly breaker: CircuitBreakerPolicy;
  private readonly flows: Compartment;
  private readonly photos: Compartment;
  /** The breaker, the deadline and the retries, run inside a bulkhead (see callShared). */
  private readonly policy: IPolicy;
  private openedAt = 0;

  constructor(
    private readonly inner: FlowTransport,
    private readonly account: GatewayAccount,
    private readonly metrics: MetricsService,
    clientsAllowed: number,
    private readonly photoTransport?: RestPhotoTransport,
  ) {
    this.kind = inner.kind;
    const r = account.resilience;
    this.flows = compartment('flow', r.bulkheadMaxConcurrent, r.bulkheadMaxQueue, clientsAllowed);
    this.photos = compartment('photo', r.photoBulkheadMaxConcurrent, r.photoBulkheadMaxQueue, clientsAllowed);
    const labels = { account: account.accountId, transport: inner.kind };
    this.breaker = circuitBreaker(handleWhen(unhealthy), {
      halfOpenAfter: r.breakerHalfOpenAfterMs,
      breaker: new SamplingBreaker({
        threshold: r.breakerFailureRatio,
        duration: r.breakerWindowMs,
        minimumRps: r.breakerMinimumRps,
      }),
    });
    this.breaker.onBreak(() => {
      this.openedAt = Date.now();
    });
    this.breaker.onStateChange((state) => metrics.circuitState.set(labels, state));
    metrics.circuitState.set(labels, CircuitState.Closed);
    this.policy = wrap(
      this.breaker,
      // The caller's deadline (see callShared) ends it, sooner when the call waited in the queue:
      // this makes that end the breaker's failure and cuts the attempt in flight. Its signal matters
      // only once the deadline passed: aborting it after every call as well (a DOMException and its
      // stack each time, a fiftieth of a miss's CPU) would be waste.
      timeout(r.retryDeadlineMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false }),
      retry(handleWhen(retryable), {
        maxAttempts: r.retryMaxAttempts - 1,
        backoff: new ExponentialBackoff({
          initialDelay: r.retryInitialDelayMs,
          maxDelay: r.retryMaxDelayMs,
          generator: fullJitterGenerator,
        }),
      }),
    );
  }

  get circuitState(): CircuitStateName {
    return STATE_NAMES[this.breaker.state];
  }

  /** A call on behalf of clientId, within that client's share of the bulkhead. */
  call<T>(lookup: FlowLookup, read: (answer: UpstreamAnswer) => Promise<T>, clientId: string): Promise<T> {
    return this.within(this.flows, clientId, this.inner.kind, async (signal) =>
      read(await this.inner.fetchAnswer(lookup, signal)),
    );
  }

  /**
   * A photo call on behalf of clientId, within the photo bulkhead. It ends when `read` does: what
   * `read` leaves of the body to stream afterwards is bounded by the caller, not by the deadline.
   */
  callPhoto<T>(request: PhotoRequest, read: (answer: PhotoAnswer) => Promise<T>, clientId: string): Promise<T> {
    const photos = this.photoTransport;
    if (!photos) throw new Error(`account ${this.account.accountId} has no photo transport`);
    // Photos are REST whatever the account's own wire.
    return this.within(this.photos, clientId, 'rest', async (signal) => read(await photos.fetchPhoto(request, signal)));
  }

  private async within<T>(
    room: Compartment,
    clientId: string,
    wire: string,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const held = room.held.get(clientId) ?? 0;
    if (held >= room.clientShare)
      throw this.refused(room.operation, new UpstreamUnavailableError('client_share_full', 1));
    room.held.set(clientId, held + 1);
    try {
      return await this.callShared(room, wire, work);
    } finally {
      const left = (room.held.get(clientId) ?? 1) - 1;
      if (left > 0) room.held.set(clientId, left);
      else room.held.delete(clientId);
    }
  }

  /**
   * The deadline runs from the call's arrival, time waiting in the bulkhead's queue included: a
   * slow but healthy upstream would otherwise hold a caller for the queue's wait and then the whole
   * deadline. When it passes, a call still queued is answered at once (it is skipped when its turn
   * comes) and the attempt in flight is cancelled, so that nothing of the call outlives its answer
   * or its place in the bulkhead.
   */
  private async callShared<T>(
    { bulkhead: room, operation }: Compartment,
    wire: string,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.account.resilience.retryDeadlineMs);
    let settled: T | Answered;
    try {
      // Not given the deadline's signal: cockatiel's bulkhead drops a call whose signal aborted
      // when its turn comes without passing the turn on, and the calls queued behind it would
      // wait for another call to end. It is taken and given back at once instead.
      const running = room.execute(() =>
        deadline.signal.aborted
          ? Promise.reject(new TaskCancelledError())
          : this.policy.execute(({ signal }) => this.attempt(operation, wire, work, signal), deadline.signal),
      );
      settled = await Promise.race([running, cancelledOn(deadline.signal)]);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        const reopensIn = this.openedAt + this.account.resilience.breakerHalfOpenAfterMs - Date.now();
        const retryAfter = Math.max(1, Math.ceil(reopensIn / 1000));
        throw this.refused(operation, new UpstreamUnavailableError('circuit_open', retryAfter));
      }
      if (error instanceof BulkheadRejectedError)
        throw this.refused(operation, new UpstreamUnavailableError('bulkhead_full', 1));
      if (error instanceof ReadRefusedError) throw this.refused(operation, error);
      if (error instanceof TaskCancelledError) {
        throw new UpstreamDeadlineError(`no answer within the ${this.account.resilience.retryDeadlineMs} ms deadline`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (settled instanceof Answered) throw settled.error;
    return settled;
  }

  async close(): Promise<void> {
    await Promise.all([this.inner.close(), this.photoTransport?.close()]);
  }

  private refused<E extends UpstreamUnavailableError | ReadRefusedError>(operation: Operation, error: E): E {
    this.metrics.refusals.inc({ account: this.account.accountId, operation, reason: error.reason });
    return error;
  }

  private async attempt<T>(
    operation: Operation,
    wire: string,
    work: (signal: AbortSignal) => Promise<T>,
    deadline: AbortSignal,
  ): Promise<T | Answered> {
    // cockatiel starts a retry whose backoff outlasted the deadline: it must not reach Interact.
    if (deadline.aborted) throw new TaskCancelledError();
    const labels = { account: this.account.accountId, transport: wire, operation };
    const started = performance.now();
    let outcome: string | undefined = 'success';
    try {
      return await work(deadline);
    } catch (error) {
      // What Interact would have answered is unknown when its answer went unread: the refusal is
      // counted on its own (see call), not as an attempt of some outcome.
      outcome = error instanceof ReadRefusedError ? undefined : outcomeOf(error);
      if (error instanceof UpstreamError && !unhealthy(error)) return new Answered(error);
      throw error;
    } finally {
      if (outcome) {
        const withOutcome = { ...labels, outcome };
        this.metrics.upstreamRequests.inc(withOutcome);
        this.metrics.upstreamRequestDuration.observe(withOutcome, (performance.now() - started) / 1000);
      }
    }
  }
}
