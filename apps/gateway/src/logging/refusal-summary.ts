/** Who a refusal was for: the client when its key was known (429), the remote address otherwise (401). */
export type Caller = { client: string } | { ip: string };

interface Tally {
  status: number;
  caller: Caller | { callers: 'others' };
  /** Refusals since the last line, the first one not included: it was logged as it was. */
  count: number;
}

/** Callers tracked at once; past it, every other caller's refusals share one count per status. */
export const MAX_TRACKED_CALLERS = 1_000;

/**
 * Refusals that repeat (a client over its rate limit, a wrong key retried) would write a line
 * each: a burst of 15,700 rate-limited requests wrote 15,700 lines in 2 s. The first refusal of a
 * caller and status is logged as any request is; the next ones are only counted, and each interval
 * one line per caller and status says how many there were. A caller quiet for a whole interval is
 * forgotten, so that its next refusal is logged whole again. Memory is bounded: past
 * MAX_TRACKED_CALLERS, the other callers' refusals share one count per status.
 */
export class RefusalSummary {
  private readonly tallies = new Map<string, Tally>();
  /** Runs only while some caller is tracked: an idle gateway has no timer of this. */
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly write: (fields: object) => void,
    readonly intervalMs = 10_000,
  ) {}

  /** Counts the refusal; true when it is the first of its caller and status, to be logged whole. */
  first(status: number, caller: Caller): boolean {
    const id = 'client' in caller ? `${status} client ${caller.client}` : `${status} ip ${caller.ip}`;
    const tracked = this.tallies.has(id) || this.tallies.size < MAX_TRACKED_CALLERS;
    const key = tracked ? id : `${status} others`;
    const tally = this.tallies.get(key);
    if (tally) {
      tally.count += 1;
      return false;
    }
    this.tallies.set(key, { status, caller: tracked ? caller : { callers: 'others' }, count: 0 });
    this.timer ??= setInterval(() => this.flush(), this.intervalMs).unref();
    return true;
  }

  /** One line for each caller refused again since the last; callers refused no more are forgotten. */
  flush(): void {
    for (const [key, tally] of this.tallies) {
      if (tally.count === 0) {
        this.tallies.delete(key);
        continue;
      }
      this.write({ ...tally.caller, status: tally.status, refused: tally.count, intervalMs: this.intervalMs });
      tally.count = 0;
    }
    if (this.tallies.size === 0) this.stop();
  }

  /** At shutdown: the counts not yet written are written now. */
  close(): void {
    this.flush();
    this.tallies.clear();
    this.stop();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
