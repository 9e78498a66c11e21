import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createMemoryStateStore } from './memory.ts';
import { createRedisStateStore } from './redis.ts';
import type { StateStore } from './state-store.ts';

const redisUrl = process.env.CLOOP_TEST_REDIS_URL;

/** One home of the store: how to open it and how to let time pass for it. */
interface Home {
  name: string;
  enabled: boolean;
  open(): { store: StateStore; advance(ms: number): Promise<void> };
}

const homes: Home[] = [
  {
    name: 'memory',
    enabled: true,
    open() {
      let clock = 1_700_000_000_000;
      const store = createMemoryStateStore({ now: () => clock });
      return {
        store,
        advance: async (ms) => {
          clock += ms;
        },
      };
    },
  },
  {
    // Shown as skipped (not absent) when CLOOP_TEST_REDIS_URL is unset.
    name: 'redis',
    enabled: redisUrl !== undefined,
    open() {
      const store = createRedisStateStore(redisUrl ?? '', { keyPrefix: `cloop-test:${randomUUID()}:` });
      return { store, advance: (ms) => sleep(ms) };
    },
  },
];

/** Opens a store for this test only and closes it when the test ends. */
function openFor(home: Home): ReturnType<Home['open']> {
  const opened = home.open();
  onTestFinished(() => opened.store.close());
  return opened;
}

/** A fresh key, so tests sharing one Redis never see each other's state. */
const key = (): string => randomUUID();

for (const home of homes) {
  describe.runIf(home.enabled)(`${home.name} state store`, () => {
    it('allows exactly `limit` of 500 concurrent hits', async () => {
      const { store } = openFor(home);
      const k = key();
      const results = await Promise.all(Array.from({ length: 500 }, () => store.hit(k, 100, 60_000)));
      const allowed = results.filter((r) => r.allowed);
      expect(allowed).toHaveLength(100);
      expect(allowed.map((r) => r.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      for (const refused of results.filter((r) => !r.allowed)) {
        expect(refused.remaining).toBe(0);
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
      }
    });

    it('slides the window: refused until the oldest hit leaves it', async () => {
      const { store, advance } = openFor(home);
      const k = key();
      const windowMs = 400;
      expect((await store.hit(k, 2, windowMs)).allowed).toBe(true);
      await advance(200);
      expect((await store.hit(k, 2, windowMs)).allowed).toBe(true);
      const refused = await store.hit(k, 2, windowMs);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(windowMs - 200);
      // The first hit has left the window; the second still counts, so only one slot opens.
      await advance(refused.retryAfterMs + 20);
      expect(await store.hit(k, 2, windowMs)).toMatchObject({ allowed: true, remaining: 0 });
      expect((await store.hit(k, 2, windowMs)).allowed).toBe(false);
    });

    it('refuses every hit when the limit is 0', async () => {
      const { store } = openFor(home);
      const result = await store.hit(key(), 0, 1000);
      expect(result).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1000 });
    });

    it('keeps windows of different keys apart', async () => {
      const { store } = openFor(home);
      const [a, b] = [key(), key()];
      expect((await store.hit(a, 1, 60_000)).allowed).toBe(true);
      expect((await store.hit(a, 1, 60_000)).allowed).toBe(false);
      expect((await store.hit(b, 1, 60_000)).allowed).toBe(true);
    });

    it('reads a value until it expires', async () => {
      const { store, advance } = openFor(home);
      const k = key();
      expect(await store.get(k)).toBeNull();
      await store.set(k, 'hello', 300);
      expect(await store.get(k)).toBe('hello');
      await advance(400);
      expect(await store.get(k)).toBeNull();
    });

    it('deletes a value', async () => {
      const { store } = openFor(home);
      const k = key();
      await store.set(k, 'x', 60_000);
      await store.del(k);
      expect(await store.get(k)).toBeNull();
      await store.del(k);
    });

    it('gives a single-use value to exactly one of 50 concurrent takers', async () => {
      const { store } = openFor(home);
      const k = key();
      await store.set(k, 'code-123', 60_000);
      const taken = await Promise.all(Array.from({ length: 50 }, () => store.take(k)));
      expect(taken.filter((v) => v !== null)).toEqual(['code-123']);
      expect(await store.get(k)).toBeNull();
    });

    it('takes nothing once a value has expired', async () => {
      const { store, advance } = openFor(home);
      const k = key();
      await store.set(k, 'late', 200);
      await advance(300);
      expect(await store.take(k)).toBeNull();
    });

    it('accumulates a counter whose expiry is set once, on creation', async () => {
      const { store, advance } = openFor(home);
      const k = key();
      expect(await store.incr(k, 1, 600)).toBe(1);
      expect(await store.incr(k, 5, 600)).toBe(6);
      await advance(300);
      // A later incr does not push the expiry out.
      expect(await store.incr(k, 1, 600)).toBe(7);
      expect(await store.get(k)).toBe('7');
      await advance(400);
      expect(await store.get(k)).toBeNull();
      expect(await store.incr(k, 2, 600)).toBe(2);
    });

    it('counts 200 concurrent increments', async () => {
      const { store } = openFor(home);
      const k = key();
      await Promise.all(Array.from({ length: 200 }, () => store.incr(k, 1, 60_000)));
      expect(await store.get(k)).toBe('200');
    });

    it('admits through windows in order: the first refused one ends the check, earlier ones counted', async () => {
      const { store } = openFor(home);
      const [a, b, c, slot] = [key(), key(), key(), key()];
      const admission = { windows: [{ key: a, limit: 3, windowMs: 60_000 }, { key: b, limit: 1, windowMs: 60_000 }, { key: c, limit: 5, windowMs: 60_000 }], slot: { key: slot, max: 10, ttlMs: 60_000 } };
      expect(await store.admit(admission)).toEqual({ admitted: true, reserved: 'none' });
      const refused = await store.admit(admission);
      expect(refused).toMatchObject({ admitted: false, refused: 'window', window: 1 });
      expect(refused.admitted === false && refused.refused === 'window' && refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.admitted === false && refused.refused === 'window' && refused.retryAfterMs).toBeLessThanOrEqual(60_000);
      // `a` counted both times, `c` only the first; the refused admission took no slot.
      expect(await store.hit(a, 3, 60_000)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await store.hit(c, 5, 60_000)).toMatchObject({ allowed: true, remaining: 3 });
      expect(await store.get(slot)).toBe('1');
    });

    it('admits up to `max` slots of 300 concurrent admissions, gives a refused one back, frees by incr -1', async () => {
      const { store } = openFor(home);
      const slot = { key: key(), max: 50, ttlMs: 60_000 };
      const results = await Promise.all(Array.from({ length: 300 }, () => store.admit({ windows: [], slot })));
      expect(results.filter((r) => r.admitted)).toHaveLength(50);
      expect(results.filter((r) => !r.admitted).every((r) => r.admitted === false && r.refused === 'slot')).toBe(true);
      expect(await store.get(slot.key)).toBe('50');
      await store.incr(slot.key, -1, slot.ttlMs);
      expect(await store.admit({ windows: [], slot })).toEqual({ admitted: true, reserved: 'none' });
      expect(await store.admit({ windows: [], slot })).toEqual({ admitted: false, refused: 'slot' });
    });

    it('reserves only on a ready counter, never past the cap, of 300 concurrent admissions', async () => {
      const { store } = openFor(home);
      const [counter, ready] = [key(), key()];
      const slot = { key: key(), max: 10_000, ttlMs: 60_000 };
      const reserve = { key: counter, by: 7, cap: 700, ttlMs: 60_000, readyKey: ready };
      expect(await store.admit({ windows: [], slot, reserve })).toEqual({ admitted: true, reserved: 'unready' });
      expect(await store.get(counter)).toBeNull();
      await store.set(ready, '1', 60_000);
      await store.incr(counter, 14, 60_000);
      const results = await Promise.all(Array.from({ length: 300 }, () => store.admit({ windows: [], slot, reserve })));
      expect(results.filter((r) => r.admitted && r.reserved === 'taken')).toHaveLength(98);
      expect(results.filter((r) => r.admitted && r.reserved === 'over')).toHaveLength(202);
      expect(await store.get(counter)).toBe('700');
      // A window refusal or a full slot reserves nothing.
      await store.incr(counter, -7, 60_000);
      expect(await store.admit({ windows: [{ key: key(), limit: 0, windowMs: 1000 }], slot, reserve })).toMatchObject({ admitted: false, refused: 'window', window: 0 });
      expect(await store.admit({ windows: [], slot: { key: key(), max: 0, ttlMs: 1000 }, reserve })).toEqual({ admitted: false, refused: 'slot' });
      expect(await store.get(counter)).toBe('693');
    });

    it('answers ping', async () => {
      const { store } = openFor(home);
      await expect(store.ping()).resolves.toBeUndefined();
      expect(store.kind).toBe(home.name);
    });
  });
}

describe('memory state store, exact sliding log', () => {
  it('counts a hit until exactly windowMs has passed', async () => {
    let now = 0;
    const store = createMemoryStateStore({ now: () => now });
    onTestFinished(() => store.close());
    for (const t of [0, 100, 200]) {
      now = t;
      expect((await store.hit('k', 3, 300)).allowed).toBe(true);
    }
    now = 250;
    expect(await store.hit('k', 3, 300)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 50 });
    now = 299;
    expect(await store.hit('k', 3, 300)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1 });
    now = 300;
    expect(await store.hit('k', 3, 300)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    now = 301;
    expect(await store.hit('k', 3, 300)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 99 });
  });

  it('stays exact over many windows (deque compaction)', async () => {
    let now = 0;
    const store = createMemoryStateStore({ now: () => now });
    onTestFinished(() => store.close());
    // One hit per ms against 50 per 100 ms: the first 50 of every 100 ms are allowed, in step.
    for (; now < 10_000; now++) {
      const { allowed } = await store.hit('k', 50, 100);
      expect(allowed).toBe(now % 100 < 50);
    }
  });
});

/** A TCP proxy in front of Redis that a test can cut or silence to stage an outage. */
async function startProxy(target: URL, port = 0): Promise<{ url: string; port: number; silence(): void; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let silent = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', drop);
      s.on('close', drop);
    }
    client.on('data', (d) => silent || upstream.write(d));
    upstream.on('data', (d) => silent || client.write(d));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as net.AddressInfo).port;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(bound);
  return {
    url: url.toString(),
    port: bound,
    silence: () => {
      silent = true;
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Asserts that a call rejects, and does so within `ms`. */
async function rejectsWithin(call: () => Promise<unknown>, ms: number): Promise<void> {
  const started = Date.now();
  await expect(call()).rejects.toThrow();
  expect(Date.now() - started).toBeLessThan(ms);
}

describe.runIf(redisUrl !== undefined)('redis state store during an outage', () => {
  it('rejects within 2 s when Redis cannot be reached, without crashing', async () => {
    const errors: Error[] = [];
    const store = createRedisStateStore('redis://127.0.0.1:1', { onError: (err) => errors.push(err) });
    onTestFinished(() => store.close());
    await rejectsWithin(() => store.ping(), 2000);
    await rejectsWithin(() => store.hit(key(), 10, 1000), 2000);
    await rejectsWithin(() => store.take(key()), 2000);
    await sleep(500);
    await rejectsWithin(() => store.ping(), 2000);
    // Reconnect attempts keep failing; their errors reach the listener instead of crashing the process.
    expect(errors.length).toBeGreaterThan(0);
  });

  it('fails fast while Redis is gone and recovers by itself', async () => {
    const proxy = await startProxy(new URL(redisUrl ?? ''));
    const store = createRedisStateStore(proxy.url, { keyPrefix: `cloop-test:${randomUUID()}:` });
    onTestFinished(() => store.close());
    const k = key();
    // Right after creation the first call waits for the connection instead of failing.
    expect((await store.hit(k, 10, 60_000)).allowed).toBe(true);

    await proxy.stop();
    await rejectsWithin(() => store.hit(k, 10, 60_000), 2000);
    await rejectsWithin(() => store.ping(), 2000);

    const back = await startProxy(new URL(redisUrl ?? ''), proxy.port);
    onTestFinished(() => back.stop());
    await expect.poll(() => store.ping().then(() => true, () => false), { timeout: 5000, interval: 100 }).toBe(true);
    expect(await store.hit(k, 10, 60_000)).toMatchObject({ allowed: true, remaining: 8 });
  });

  it('rejects instead of hanging when the connection goes silent', async () => {
    const proxy = await startProxy(new URL(redisUrl ?? ''));
    onTestFinished(() => proxy.stop());
    const store = createRedisStateStore(proxy.url, { keyPrefix: `cloop-test:${randomUUID()}:`, commandTimeoutMs: 500 });
    onTestFinished(() => store.close());
    await store.ping();
    proxy.silence();
    await rejectsWithin(() => store.hit(key(), 10, 1000), 2000);
    await rejectsWithin(() => store.get(key()), 2000);
  });

  it('shares one limit between several processes', async () => {
    const prefix = `cloop-test:${randomUUID()}:`;
    const stores = Array.from({ length: 5 }, () => createRedisStateStore(redisUrl ?? '', { keyPrefix: prefix }));
    onTestFinished(() => Promise.all(stores.map((s) => s.close())).then(() => undefined));
    const k = key();
    const results = await Promise.all(stores.flatMap((s) => Array.from({ length: 100 }, () => s.hit(k, 100, 60_000))));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
  });
});
