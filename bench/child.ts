import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A server under test, running in its own node process. */
export interface Server {
  name: string;
  child: ChildProcess;
  /** Resolves with the port the child printed once listening; rejects if it exits first. */
  port: Promise<number>;
  /** The URL autocannon loads (valid once `port` resolved). */
  url: string;
}

/**
 * Starts `node --import tsx <file>` directly (no npx or tsx wrapper), so `child.pid` is the server
 * whose memory we read; `tsx: false` runs a built JavaScript file on node alone, as `npm start` does.
 * stdout carries only the port line; stderr passes through to ours.
 */
export function spawnServer(opts: { name: string; file: string; cwd: string; env: Record<string, string>; urlPath: string; nodeArgs?: string[]; tsx?: boolean }): Server {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...(opts.tsx === false ? [] : ['--import', 'tsx']), opts.file], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const server: Server = { name: opts.name, child, url: '', port: Promise.resolve(0) };
  server.port = new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n');
      if (line.length < 2) return;
      const port = Number(line[0]);
      if (!Number.isInteger(port) || port <= 0) return reject(new Error(`${opts.name}: expected a port on stdout, got ${JSON.stringify(line[0])}`));
      server.url = `http://127.0.0.1:${port}${opts.urlPath}`;
      child.stdout?.off('data', onData).resume();
      resolve(port);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`${opts.name}: exited before listening (code ${code}, signal ${signal})`)));
    child.once('error', reject);
  });
  server.port.catch(() => {}); // awaited by the caller; this keeps an early exit from being "unhandled"
  return server;
}

/** Asks the child to stop (SIGTERM and closing its stdin), then kills it if it lingers; returns how it ended. */
export async function stopServer(server: Server, graceMs = 15_000): Promise<string> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return `already exited (${child.exitCode ?? child.signalCode})`;
  const started = performance.now();
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  child.stdin?.end();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const [code, signal] = await exited;
  clearTimeout(timer);
  return `exited ${signal ?? code} after ${Math.round(performance.now() - started)} ms`;
}
