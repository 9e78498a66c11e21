// What every benchmark shares: progress on stderr, and the one JSON line of results on stdout.

/** A logger for progress lines on stderr, tagged with the benchmark's name (stdout carries only the JSON line). */
export function benchLog(name: string): (message: string) => void {
  return (message) => process.stderr.write(`[${name}] ${message}\n`);
}

/** Runs a benchmark's `main`: its result as one JSON line on stdout and exit 0, or the failure on stderr and exit 1. */
export async function runBench(name: string, main: () => Promise<Record<string, unknown>>): Promise<never> {
  try {
    const result = await main();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  } catch (err) {
    benchLog(name)(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  }
}

/** A seeded PRNG (mulberry32): the same seed gives the same data, queries and schedules in every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
