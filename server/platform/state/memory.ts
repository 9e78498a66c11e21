import type { AdmissionResult, HitResult, StateStore } from './state-store.ts';

/** Options for the in-process store; `now` lets tests drive a fake clock. */
export interface MemoryStateStoreOptions {
  now?: () => number;
  /** How often expired values and empty windows are swept (default 30 s). */
  sweepIntervalMs?: number;
}

/** Accepted request times for one key, oldest first: a deque kept as an array plus a head index. */
interface Window {
  times: number[];
  head: number;
  windowMs: number;
}

interface Entry {
  value: string;
  expiresAt: number;
}

/** Drops timestamps at or before `cutoff` from the front; compacts once the dead prefix is over half the array. */
function evict(w: Window, cutoff: number): void {
  while (w.head < w.times.length && (w.times[w.head] as number) <= cutoff) w.head++;
  if (w.head === w.times.length) {
    w.times = [];
    w.head = 0;
  } else if (w.head > w.times.length / 2) {
    w.times = w.times.slice(w.head);
    w.head = 0;
  }
}

/** Clamps a TTL to a whole number of milliseconds, at least 1, as Redis `PX` requires. */
function ttl(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

/** Creates the in-process state store: exact sliding-log rate limits and expiring values, atomic because single-threaded. */
export function createMemoryStateStore(opts: MemoryStateStoreOptions = {}): StateStore {
  const now = opts.now ?? Date.now;
  const windows = new Map<string, Window>();
  const values = new Map<string, Entry>();

  function live(key: string, at: number): Entry | undefined {
    const entry = values.get(key);
    if (entry && entry.expiresAt <= at) {
      values.delete(key);
      return undefined;
    }
    return entry;
  }

  function hitAt(key: string, limit: number, windowMs: number, at: number): HitResult {
    let w = windows.get(key);
    if (!w) {
      w = { times: [], head: 0, windowMs };
      windows.set(key, w);
    }
    w.windowMs = windowMs;
    evict(w, at - windowMs);
    const count = w.times.length - w.head;
    if (count < limit) {
      w.times.push(at);
      return { allowed: true, remaining: limit - count - 1, retryAfterMs: 0 };
    }
    const oldest = w.times[w.head];
    // With no oldest entry (limit <= 0) nothing will ever leave the window; suggest a full window.
    const retryAfterMs = oldest === undefined ? windowMs : oldest + windowMs - at;
    if (count === 0) windows.delete(key);
    return { allowed: false, remaining: 0, retryAfterMs };
  }

  function incrAt(key: string, by: number, ttlMs: number, at: number): number {
    if (!Number.isSafeInteger(by)) throw new Error(`increment for ${key} is not an integer`);
    const entry = live(key, at);
    if (!entry) {
      values.set(key, { value: String(by), expiresAt: at + ttl(ttlMs) });
      return by;
    }
    const current = Number(entry.value);
    // Same rule as Redis INCRBY: only integer values can be incremented.
    if (!Number.isSafeInteger(current) || !/^-?\d+$/.test(entry.value)) {
      throw new Error(`value at ${key} is not an integer`);
    }
    const next = current + by;
    entry.value = String(next);
    return next;
  }

  // Lazy expiry alone would keep keys that are never read again; the sweep bounds memory.
  function sweep(): void {
    const at = now();
    for (const [key, entry] of values) if (entry.expiresAt <= at) values.delete(key);
    for (const [key, w] of windows) {
      evict(w, at - w.windowMs);
      if (w.head === w.times.length) windows.delete(key);
    }
  }
  const timer = setInterval(sweep, opts.sweepIntervalMs ?? 30_000);
  timer.unref();

  return {
    kind: 'memory',

    async hit(key, limit, windowMs): Promise<HitResult> {
      return hitAt(key, limit, windowMs, now());
    },

    async set(key, value, ttlMs) {
      values.set(key, { value, expiresAt: now() + ttl(ttlMs) });
    },

    async get(key) {
      return live(key, now())?.value ?? null;
    },

    async take(key) {
      const entry = live(key, now());
      values.delete(key);
      return entry?.value ?? null;
    },

    async del(key) {
      values.delete(key);
    },

    async incr(key, by, ttlMs) {
      return incrAt(key, by, ttlMs, now());
    },

    // The same steps as redis.ts's ADMIT_LUA; atomic because nothing awaits in between.
    async admit({ windows: checks, slot, reserve }): Promise<AdmissionResult> {
      const at = now();
      for (let i = 0; i < checks.length; i++) {
        const { key, limit, windowMs } = checks[i]!;
        const hit = hitAt(key, limit, windowMs, at);
        if (!hit.allowed) return { admitted: false, refused: 'window', window: i, retryAfterMs: hit.retryAfterMs };
      }
      if (incrAt(slot.key, 1, slot.ttlMs, at) > slot.max) {
        incrAt(slot.key, -1, slot.ttlMs, at);
        return { admitted: false, refused: 'slot' };
      }
      if (!reserve) return { admitted: true, reserved: 'none' };
      if (!live(reserve.readyKey, at)) return { admitted: true, reserved: 'unready' };
      if (incrAt(reserve.key, reserve.by, reserve.ttlMs, at) > reserve.cap) {
        incrAt(reserve.key, -reserve.by, reserve.ttlMs, at);
        return { admitted: true, reserved: 'over' };
      }
      return { admitted: true, reserved: 'taken' };
    },

    async ping() {},

    async close() {
      clearInterval(timer);
      windows.clear();
      values.clear();
    },
  };
}
