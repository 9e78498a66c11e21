import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AdmissionResult, HitResult, StateStore } from './state-store.ts';

/** Options for the Redis store. */
export interface RedisStateStoreOptions {
  /** Prepended to every key (default `cloop:`), so several apps can share one Redis. */
  keyPrefix?: string;
  /** Receives connection errors; they are otherwise swallowed so an outage never crashes the process. */
  onError?: (err: Error) => void;
  /** A command that gets no reply within this many milliseconds rejects (default 2000). */
  commandTimeoutMs?: number;
}

// The steps every script shares, as Lua functions. `hit`: one sliding-window check in server time
// (every API process shares one clock); an entry counts while its time > now - window, matching the
// in-memory store. `incr`: the TTL is set only when INCRBY created the key (it has none yet), so
// later increments never extend it.
const LUA_STEPS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function hit(key, limit, window, member, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count < limit then
    redis.call('ZADD', key, now, now .. '-' .. member)
    redis.call('PEXPIRE', key, window)
    return {1, limit - count - 1, 0}
  end
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if oldest[2] == nil then return {0, 0, window} end
  return {0, 0, tonumber(oldest[2]) + window - now}
end
local function incr(key, by, ttl)
  local value = redis.call('INCRBY', key, by)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ttl) end
  return value
end
`;

// One round trip per check.
const HIT_LUA = `${LUA_STEPS}
return hit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], now_ms())
`;

const INCR_LUA = `${LUA_STEPS}
return incr(KEYS[1], ARGV[1], ARGV[2])
`;

// An admission in one round trip: `hit` for each window, then `incr` for the slot and the
// reservation. KEYS: the windows', the slot, then (when reserving) the counter and its ready key.
// ARGV: member, window count, (limit, window) per window, slot max and TTL, then by, cap and TTL.
// Returns {0, window index (1-based), retry after} | {1} (slot refused) | {2, 0 taken, 1 over, 2 unready, 3 none}.
const ADMIT_LUA = `${LUA_STEPS}
local member = ARGV[1]
local n = tonumber(ARGV[2])
local now = now_ms()
for i = 1, n do
  local r = hit(KEYS[i], tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i]), member, now)
  if r[1] == 0 then return {0, i, r[3]} end
end
local a = 3 + 2 * n
local slot = KEYS[n + 1]
if incr(slot, 1, ARGV[a + 1]) > tonumber(ARGV[a]) then
  incr(slot, -1, ARGV[a + 1])
  return {1}
end
local counter = KEYS[n + 2]
if counter == nil then return {2, 3} end
if redis.call('EXISTS', KEYS[n + 3]) == 0 then return {2, 2} end
if incr(counter, ARGV[a + 2], ARGV[a + 4]) > tonumber(ARGV[a + 3]) then
  incr(counter, -tonumber(ARGV[a + 2]), ARGV[a + 4])
  return {2, 1}
end
return {2, 0}
`;

const reservedAs = ['taken', 'over', 'unready', 'none'] as const;

/** The client with the scripts registered by `defineCommand`. */
type ScriptedRedis = Redis & {
  cloopHit(key: string, limit: number, windowMs: number, member: string): Promise<[number, number, number]>;
  cloopIncr(key: string, by: number, ttlMs: number): Promise<number>;
  cloopAdmit(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
};

/** Longest that requests made during start-up wait for the first connection attempt. */
const BOOT_WAIT_MS = 1000;

/** Clamps a TTL to a whole number of milliseconds, at least 1, as `PX`/`PEXPIRE` require. */
function ttl(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

/** Creates the Redis-backed state store; it fails fast while Redis is down and reconnects by itself. */
export function createRedisStateStore(url: string, opts: RedisStateStoreOptions = {}): StateStore {
  const prefix = opts.keyPrefix ?? 'cloop:';
  const redis = new Redis(url, {
    // Fail fast: while disconnected, commands reject at once instead of queueing.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
    // A connection that goes silent (no RST) would otherwise hold a request forever.
    commandTimeout: opts.commandTimeoutMs ?? 2000,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  }) as ScriptedRedis;
  redis.on('error', (err: Error) => opts.onError?.(err));
  redis.defineCommand('cloopHit', { numberOfKeys: 1, lua: HIT_LUA });
  redis.defineCommand('cloopIncr', { numberOfKeys: 1, lua: INCR_LUA });
  // The number of keys varies with the admission: given first at each call.
  redis.defineCommand('cloopAdmit', { lua: ADMIT_LUA });

  // Requests made while the first connection attempt is in flight wait for its outcome, briefly;
  // after that, every command fails fast whenever the client is not connected.
  let booting: Promise<void> | undefined = new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done).off('close', done);
      booting = undefined;
      resolve();
    };
    const timer = setTimeout(done, BOOT_WAIT_MS);
    timer.unref();
    redis.once('ready', done).once('close', done);
  });
  async function booted(): Promise<void> {
    if (booting) await booting;
  }

  // Members of one window must be unique even when two hits share a millisecond.
  const instance = randomBytes(6).toString('hex');
  let sequence = 0;

  return {
    kind: 'redis',

    async hit(key, limit, windowMs): Promise<HitResult> {
      const member = `${instance}-${sequence++}`;
      await booted();
      const [allowed, remaining, retryAfterMs] = await redis.cloopHit(prefix + key, limit, ttl(windowMs), member);
      return { allowed: allowed === 1, remaining, retryAfterMs };
    },

    async set(key, value, ttlMs) {
      await booted();
      await redis.set(prefix + key, value, 'PX', ttl(ttlMs));
    },

    async get(key) {
      await booted();
      return redis.get(prefix + key);
    },

    async take(key) {
      await booted();
      return redis.getdel(prefix + key);
    },

    async del(key) {
      await booted();
      await redis.del(prefix + key);
    },

    async incr(key, by, ttlMs) {
      await booted();
      return redis.cloopIncr(prefix + key, by, ttl(ttlMs));
    },

    async admit({ windows, slot, reserve }): Promise<AdmissionResult> {
      const member = `${instance}-${sequence++}`;
      const keys = windows.map((w) => prefix + w.key);
      keys.push(prefix + slot.key);
      const args: (string | number)[] = [member, windows.length];
      for (const w of windows) args.push(w.limit, ttl(w.windowMs));
      args.push(slot.max, ttl(slot.ttlMs));
      if (reserve) {
        if (!Number.isSafeInteger(reserve.by)) throw new Error(`increment for ${reserve.key} is not an integer`);
        keys.push(prefix + reserve.key, prefix + reserve.readyKey);
        args.push(reserve.by, reserve.cap, ttl(reserve.ttlMs));
      }
      await booted();
      const [kind, a, b] = await redis.cloopAdmit(keys.length, ...keys, ...args);
      if (kind === 0) return { admitted: false, refused: 'window', window: (a as number) - 1, retryAfterMs: b as number };
      if (kind === 1) return { admitted: false, refused: 'slot' };
      return { admitted: true, reserved: reservedAs[a as number]! };
    },

    async ping() {
      await booted();
      await redis.ping();
    },

    async close() {
      // QUIT rejects while disconnected; then just stop the reconnect loop.
      if (redis.status === 'ready') {
        try {
          await redis.quit();
          return;
        } catch {
          // fall through
        }
      }
      redis.disconnect();
    },
  };
}
