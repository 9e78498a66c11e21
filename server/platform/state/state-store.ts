/** Result of one rate-limit check against a sliding window. */
export interface HitResult {
  allowed: boolean;
  /** Requests still allowed in the current window after this one. */
  remaining: number;
  /** When refused: milliseconds until the oldest counted request leaves the window. */
  retryAfterMs: number;
}

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
  /** Throws when the store is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
