/** Result of one rate-limit check against a sliding window. */
export interface HitResult {
  allowed: boolean;
  /** Requests still allowed in the current window after this one. */
  remaining: number;
  /** When refused: milliseconds until the oldest counted request leaves the window. */
  retryAfterMs: number;
}

/** A sliding window to count one request in, as `hit` counts it. */
export interface WindowCheck {
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * Everything one request takes from the store before it runs, checked in this order in one atomic
 * step: the windows (each allowed one counts; the first refused one ends the check), then a slot of
 * a concurrency counter (`incr` by 1; refused, and given back, past `max`), then a reservation on
 * a counter (`incr` by `by`; refused, and given back, past `cap`) made only when `readyKey` exists.
 */
export interface Admission {
  windows: WindowCheck[];
  slot: { key: string; max: number; ttlMs: number };
  reserve?: { key: string; by: number; cap: number; ttlMs: number; readyKey: string };
}

/**
 * What `admit` did. Refused by a window (its index in `windows`) or the slot: nothing after it was
 * tried. Admitted: the slot is taken; `reserved` is `taken`, `over` (past the cap, nothing added),
 * `unready` (no `readyKey`, nothing tried) or `none` (no reservation asked).
 */
export type AdmissionResult =
  | { admitted: false; refused: 'window'; window: number; retryAfterMs: number }
  | { admitted: false; refused: 'slot' }
  | { admitted: true; reserved: 'taken' | 'over' | 'unready' | 'none' };

/**
 * Short-lived shared state: rate-limit windows, counters, single-use codes.
 * Two homes: in-process (`memory.ts`, embedded default) and Redis (`redis.ts`).
 */
export interface StateStore {
  readonly kind: 'memory' | 'redis';
  /** Counts one request for `key` in a sliding window; exact (a sliding log), atomic. */
  hit(key: string, limit: number, windowMs: number): Promise<HitResult>;
  /** Stores a string value that expires after `ttlMs`. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Reads a value, or null when missing or expired. */
  get(key: string): Promise<string | null>;
  /** Reads and deletes a value atomically (single-use codes): only one caller ever gets it. */
  take(key: string): Promise<string | null>;
  /** Deletes a value. */
  del(key: string): Promise<void>;
  /** Adds `by` to an integer counter that expires after `ttlMs` (set on creation); returns the new value. */
  incr(key: string, by: number, ttlMs: number): Promise<number>;
  /** Checks and takes an admission's windows, slot and reservation atomically (one round trip on Redis). */
  admit(admission: Admission): Promise<AdmissionResult>;
  /** Throws when the store is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
