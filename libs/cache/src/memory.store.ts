import { randomUUID } from 'node:crypto';
import type { SharedStore, StoreHealth } from './shared-store.js';

interface Slot {
  value: Buffer;
  expiresAt: number;
}

/** A least-recently-used store bounded by the bytes it holds, for a single replica. */
export class MemoryStore implements SharedStore {
  readonly kind = 'memory';
  private readonly slots = new Map<string, Slot>();
  private readonly locks = new Map<string, { token: string; expiresAt: number }>();
  private readonly windows = new Map<string, { hits: number; resetsAt: number }>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<Buffer | null> {
    const slot = this.slots.get(key);
    if (!slot) return null;
    this.remove(key, slot);
    if (slot.expiresAt <= this.now()) return null;
    // Re-inserting moves the key to the young end of the Map's order.
    this.insert(key, slot);
    return slot.value;
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    const existing = this.slots.get(key);
    if (existing) this.remove(key, existing);
    if (value.length > this.maxBytes) return;
    this.insert(key, { value, expiresAt: this.now() + ttlMs });
    for (const [oldestKey, oldest] of this.slots) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldestKey, oldest);
    }
  }

  async tryLock(key: string, ttlMs: number): Promise<string | null> {
    if (await this.isLocked(key)) return null;
    const token = randomUUID();
    this.locks.set(key, { token, expiresAt: this.now() + ttlMs });
    return token;
  }

  async unlock(key: string, token: string): Promise<void> {
    if (this.locks.get(key)?.token === token) this.locks.delete(key);
  }

  async renewLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    const lock = (await this.isLocked(key)) ? this.locks.get(key) : undefined;
    if (lock?.token !== token) return false;
    lock.expiresAt = this.now() + ttlMs;
    return true;
  }

  async isLocked(key: string): Promise<boolean> {
    const lock = this.locks.get(key);
    if (lock && lock.expiresAt <= this.now()) this.locks.delete(key);
    return this.locks.has(key);
  }

  async countHits(key: string, windowMs: number, hits = 1): Promise<{ hits: number; resetInMs: number }> {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.resetsAt <= now) {
      // Expired windows are dropped as they are met, so the map holds only live callers.
      for (const [other, { resetsAt }] of this.windows) if (resetsAt <= now) this.windows.delete(other);
      window = { hits: 0, resetsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.hits += hits;
    return { hits: window.hits, resetInMs: window.resetsAt - now };
  }

  health(): StoreHealth {
    return { state: 'up' };
  }

  async waitUntilUp(): Promise<boolean> {
    return true;
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.slots.size, bytes: this.bytes };
  }

  async close(): Promise<void> {
    this.slots.clear();
    this.locks.clear();
    this.windows.clear();
    this.bytes = 0;
  }

  private insert(key: string, slot: Slot): void {
    this.slots.set(key, slot);
    this.bytes += slot.value.length;
  }

  private remove(key: string, slot: Slot): void {
    this.slots.delete(key);
    this.bytes -= slot.value.length;
  }
}
