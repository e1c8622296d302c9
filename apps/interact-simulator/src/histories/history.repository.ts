import { Injectable } from '@nestjs/common';
import type { LookupKind } from '@app/interact';
import { demoHistories, type SeededHistory } from './demo-histories.js';
import type { RecordedPage } from './recorded-histories.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Interact searches three months back by default, a year with widerSearch. */
const DEFAULT_WINDOW_MS = 92 * DAY_MS;
const WIDER_WINDOW_MS = 366 * DAY_MS;

export type HistoryLookup =
  | { status: 'found'; history: SeededHistory; pages: readonly object[]; recorded: boolean }
  | { status: 'empty' }
  | { status: 'not-found' }
  | { status: 'internal-error' };

@Injectable()
export class HistoryRepository {
  private readonly byId = new Map<string, SeededHistory>();
  private readonly byAttribute = new Map<string, SeededHistory>();
  /** Serialized once: a 5,000-page answer must not cost the simulator a stringify per request. */
  private readonly jsonCache = new WeakMap<SeededHistory, string>();

  constructor() {
    for (const history of demoHistories(Date.now())) {
      this.byId.set(history.uniqueId, history);
      for (const attribute of history.callerAttributes) this.byAttribute.set(attribute, history);
    }
  }

  /**
   * Adds or replaces a history of pages in any shape, completed now, for tests that feed the
   * gateway histories they generate. The pages are served as they are, on both transports.
   */
  seed(uniqueId: string, pages: RecordedPage[]): void {
    this.byId.set(uniqueId, {
      uniqueId,
      callerAttributes: [],
      completedAt: Date.now(),
      outcome: { kind: 'recorded', pages },
    });
  }

  find(kind: LookupKind, value: string, widerSearch: boolean, now = Date.now()): HistoryLookup {
    const history = (kind === 'interactionId' ? this.byId : this.byAttribute).get(value);
    const window = widerSearch ? WIDER_WINDOW_MS : DEFAULT_WINDOW_MS;
    if (!history || now - history.completedAt > window) return { status: 'not-found' };
    switch (history.outcome.kind) {
      case 'empty':
        return { status: 'empty' };
      case 'internal-error':
        return { status: 'internal-error' };
      case 'pages':
      case 'recorded':
        return {
          status: 'found',
          history,
          pages: history.outcome.pages,
          recorded: history.outcome.kind === 'recorded',
        };
    }
  }

  json(history: SeededHistory, pages: readonly object[]): string {
    let json = this.jsonCache.get(history);
    if (json === undefined) {
      json = JSON.stringify(pages);
      this.jsonCache.set(history, json);
    }
    return json;
  }
}
