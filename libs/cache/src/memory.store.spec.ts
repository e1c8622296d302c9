import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory.store.js';

const bytes = (n: number, fill = 'x') => Buffer.alloc(n, fill);

describe('MemoryStore', () => {
  it('evicts the least recently used entries once it holds more bytes than allowed', async () => {
    const store = new MemoryStore(300);
    await store.set('a', bytes(100), 60_000);
    await store.set('b', bytes(100), 60_000);
    await store.set('c', bytes(100), 60_000);
    await store.get('a'); // a is now the most recently used
    await store.set('d', bytes(100), 60_000);
    expect(await store.get('b')).toBeNull();
    expect(await store.get('a')).not.toBeNull();
    expect(await store.get('c')).not.toBeNull();
    expect(await store.get('d')).not.toBeNull();
    expect(store.size).toEqual({ entries: 3, bytes: 300 });
  });

  it('counts a replaced value once and refuses a value larger than the whole store', async () => {
    const store = new MemoryStore(150);
    await store.set('a', bytes(100), 60_000);
    await store.set('a', bytes(50), 60_000);
    expect(store.size).toEqual({ entries: 1, bytes: 50 });
    await store.set('huge', bytes(151), 60_000);
    expect(await store.get('huge')).toBeNull();
    expect(await store.get('a')).toEqual(bytes(50));
  });

  it('forgets entries and locks after their TTL', async () => {
    let now = 1_000;
    const store = new MemoryStore(1_000, () => now);
    await store.set('a', bytes(10), 100);
    const token = await store.tryLock('a', 100);
    expect(token).not.toBeNull();
    expect(await store.tryLock('a', 100)).toBeNull();
    now += 100;
    expect(await store.get('a')).toBeNull();
    expect(store.size.bytes).toBe(0);
    expect(await store.isLocked('a')).toBe(false);
  });

  it('releases a lock only for its holder', async () => {
    const store = new MemoryStore(1_000);
    const token = await store.tryLock('k', 60_000);
    await store.unlock('k', 'someone else');
    expect(await store.isLocked('k')).toBe(true);
    await store.unlock('k', token!);
    expect(await store.isLocked('k')).toBe(false);
  });
});
