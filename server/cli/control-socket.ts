import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { AuthDeps } from '../auth/auth.service.ts';
import { signinLinkFor } from '../auth/auth.service.ts';

/** The socket the running server answers CLI commands on (only the same OS user can reach it). */
export function controlSocketPath(dataDir: string): string {
  return path.join(dataDir, 'control.sock');
}

const request = z.discriminatedUnion('cmd', [z.object({ cmd: z.literal('signin-link'), email: z.email() })]);

/** Runs one CLI command against the live deps. */
export async function runCommand(deps: AuthDeps, input: unknown): Promise<Record<string, unknown>> {
  const req = request.parse(input);
  switch (req.cmd) {
    case 'signin-link':
      return { url: await signinLinkFor(deps, req.email) };
  }
}

/**
 * Serves CLI commands on a Unix socket in the data directory (mode 0600): the embedded database
 * can be open in one process only, so the CLI asks the running server. One JSON line each way.
 */
export async function startControlSocket(deps: AuthDeps, dataDir: string): Promise<() => Promise<void>> {
  const file = controlSocketPath(dataDir);
  if (existsSync(file)) unlinkSync(file); // left by a crash; the data-dir lock says we own the directory
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > 10_000) return socket.destroy();
      const newline = buffer.indexOf('\n');
      if (newline === -1) return;
      const line = buffer.slice(0, newline);
      runCommand(deps, JSON.parse(line))
        .then((result) => socket.end(`${JSON.stringify({ ok: true, ...result })}\n`))
        .catch((err: Error) => socket.end(`${JSON.stringify({ ok: false, error: err.message })}\n`));
    });
  });
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(file, resolve));
  } finally {
    process.umask(previous);
  }
  chmodSync(file, 0o600);
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      if (existsSync(file)) unlinkSync(file);
    });
}

/** Sends one command to a running server; null when no server answers on the socket. */
export async function askRunningServer(dataDir: string, command: Record<string, unknown>): Promise<Record<string, unknown> | null> {
  const file = controlSocketPath(dataDir);
  if (!existsSync(file)) return null;
  return new Promise((resolve, reject) => {
    const socket = net.connect(file);
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(command)}\n`));
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(reply) as Record<string, unknown>);
      } catch (err) {
        reject(err);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? resolve(null) : reject(err)));
  });
}
