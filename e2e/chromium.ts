// Chromium and the widget build, for browser tests and `npm run bench:widget` (no test-runner imports here).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where scripts/setup-chromium.sh puts the browser (override with CLOOP_CHROMIUM). */
export const chromiumPath = process.env.CLOOP_CHROMIUM ?? '/usr/bin/chromium';

/** Chromium flags measured to work in containers (../shared/STACK-NOTES.md). */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium with a fresh profile (playwright gives every launch a new temporary user-data-dir). */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: run scripts/setup-chromium.sh`);
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 60_000 });
}

/**
 * Builds the widget into `out`, by default a new directory (parallel runs never read each other's
 * half-written files; the build also writes atomically). Returns the directory.
 */
export function buildWidget(out = mkdtempSync(path.join(os.tmpdir(), 'cloop-widget-build-'))): string {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build-widget.mjs')], {
    env: { ...process.env, CLOOP_WIDGET_OUT_DIR: out },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`build-widget failed:\n${result.stdout}\n${result.stderr}`);
  return out;
}
