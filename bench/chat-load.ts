import { readFileSync, statSync } from 'node:fs';
import { benchQuestions, openChat, type ChatResult } from './chat-client.ts';
import { seededRandom } from './run.ts';

// The two load shapes of `npm run bench:chat`, and reading the server's memory.
//  - paced: `n` conversations open at once as visitors hold them: each visitor opens the chat at a
//    moment spread over the first seconds, sends a message, reads the streamed answer, thinks, and
//    sends the next. The headline latency figures come from this shape.
//  - burst: every first message fired in the same millisecond, then every second one as soon as its
//    first answer ended: a stress figure, reported separately.

export { seededRandom };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How the paced visitors behave. */
export interface Pacing {
  /** Messages each visitor sends. */
  messages: number;
  /** Visitors open their chat at a uniformly random moment in [0, rampMs). */
  rampMs: number;
  /** After an answer ends, the visitor sends the next message after uniform [min, max] ms. */
  thinkMs: [number, number];
  seed: number;
}

/** What a load run saw. */
export interface LoadRun {
  results: ChatResult[];
  seconds: number;
  /** Most conversations open at once (from a visitor's first message to the end of their last answer). */
  openMax: number;
  /** Most answers streaming at once. */
  streamingMax: number;
}

/** Most intervals overlapping at one moment. */
function maxOverlap(intervals: [number, number][]): number {
  const edges = intervals.flatMap(([a, b]) => [[a, 1] as const, [b, -1] as const]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (now += d));
  return max;
}

/** Each token's visitor holds one conversation of `pacing.messages` messages, paced as a person would. */
export async function pacedConversations(base: string, embedKey: string, tokens: string[], pacing: Pacing): Promise<LoadRun> {
  const random = seededRandom(pacing.seed);
  const plan = tokens.map(() => ({ start: random() * pacing.rampMs, thinks: Array.from({ length: pacing.messages }, () => pacing.thinkMs[0] + random() * (pacing.thinkMs[1] - pacing.thinkMs[0])) }));
  const started = performance.now();
  const conversations: [number, number][] = [];
  const streams: [number, number][] = [];
  const results = (
    await Promise.all(
      tokens.map(async (token, i) => {
        const { start, thinks } = plan[i]!;
        await sleep(start);
        const opened = performance.now();
        const out: ChatResult[] = [];
        let conversationId: string | undefined;
        for (let m = 0; m < pacing.messages; m++) {
          if (m > 0) await sleep(thinks[m]!);
          const sent = performance.now();
          const r = await openChat(base, embedKey, token, { message: benchQuestions[(i + m) % benchQuestions.length]!, ...(conversationId ? { conversationId } : {}) }).done;
          streams.push([sent, r.closedAt ?? performance.now()]);
          out.push(r);
          if (!r.conversationId) break;
          conversationId = r.conversationId;
        }
        conversations.push([opened, performance.now()]);
        return out;
      }),
    )
  ).flat();
  return { results, seconds: (performance.now() - started) / 1000, openMax: maxOverlap(conversations), streamingMax: maxOverlap(streams) };
}

/** Every visitor's first message at once, then each one's second as soon as its first answer ended. */
export async function burstConversations(base: string, embedKey: string, tokens: string[]): Promise<LoadRun> {
  const started = performance.now();
  const streams: [number, number][] = [];
  const one = async (token: string, message: string, conversationId?: string) => {
    const sent = performance.now();
    const r = await openChat(base, embedKey, token, { message, ...(conversationId ? { conversationId } : {}) }).done;
    streams.push([sent, r.closedAt ?? performance.now()]);
    return r;
  };
  const results = (
    await Promise.all(
      tokens.map(async (token, i) => {
        const first = await one(token, benchQuestions[i % benchQuestions.length]!);
        if (!first.conversationId) return [first];
        return [first, await one(token, benchQuestions[(i + 1) % benchQuestions.length]!, first.conversationId)];
      }),
    )
  ).flat();
  return { results, seconds: (performance.now() - started) / 1000, openMax: tokens.length, streamingMax: maxOverlap(streams) };
}

/** Resident memory of a process now, or its peak (`VmHWM`), in MB, from /proc. */
export function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** The server's `process.memoryUsage()` after a full GC (bench/chat-server.ts answers SIGUSR2 by writing it to `file`). */
export async function heapAfterGc(pid: number, file: string): Promise<NodeJS.MemoryUsage> {
  const before = (() => {
    try {
      return statSync(file).mtimeMs;
    } catch {
      return 0;
    }
  })();
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 400; i++) {
    await sleep(25);
    try {
      if (statSync(file).mtimeMs !== before) return JSON.parse(readFileSync(file, 'utf8')) as NodeJS.MemoryUsage;
    } catch {
      // not written yet (or half written)
    }
  }
  throw new Error('the server did not report its memory within 10 s');
}

/** CPU time (user + system) a process has used so far, in ms, from /proc. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks (100 Hz).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * A new, empty database on the server `url` names, for one run (the seeded signing keys are sealed
 * with the run's random secret, so a database cannot be reused); `drop` removes it.
 */
export async function freshDatabase(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  const name = `cloop_bench_chat_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return { url: fresh.href, drop: () => admin(`drop database if exists ${name} with (force)`) };
}
