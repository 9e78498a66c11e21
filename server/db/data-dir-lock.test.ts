import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.ts';

describe('data directory lock', () => {
  it('refuses a second owner while the first lives, and frees the directory on release', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cloop-lock-'));
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(path.join(dir, 'cloop.lock'), String(other.pid));
      expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
      expect(() => lockDataDir(dir)).toThrow(/Another Cloop process/);
    } finally {
      other.kill();
    }
    await new Promise((r) => other.once('exit', r));
    // The owner is gone: its stale lock is taken over.
    const release = lockDataDir(dir);
    expect(readFileSync(path.join(dir, 'cloop.lock'), 'utf8')).toBe(String(process.pid));
    release();
    const again = lockDataDir(dir);
    again();
  });
});
