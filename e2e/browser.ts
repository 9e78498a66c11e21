// Browser-test plumbing: Debian's Chromium driven by playwright-core, and a fresh widget build.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe } from 'vitest';
import { chromiumPath, repoRoot } from './chromium.ts';

export { buildWidget, chromiumArgs, chromiumPath, launchBrowser, repoRoot } from './chromium.ts';

const hasChromium = existsSync(chromiumPath);
const mustRun = Boolean(process.env.CI);
if (!hasChromium && !mustRun) {
  console.warn(`[e2e] SKIPPED: no Chromium at ${chromiumPath}. Run scripts/setup-chromium.sh (in CI these tests always run).`);
}

/**
 * How long one browser step (a click, a wait for an element) may take: well under a test's time, so
 * a step that hangs fails naming its locator instead of the whole test timing out without a word.
 */
export const browserStepTimeoutMs = 20_000;

/**
 * `describe` when Chromium is installed or in CI (where a missing browser must fail); else
 * `describe.skip`. A browser test gets 60 s (CI runs it beside another suite on two cores), and in
 * CI one retry: a test that fails twice fails the run, one that passes on retry is reported as flaky.
 */
export function describeBrowser(name: string, fn: () => void): void {
  (hasChromium || mustRun ? describe : describe.skip)(name, { timeout: 60_000, retry: mustRun ? 1 : 0 }, fn);
}

/** Saves a screenshot to artifacts/ (gitignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = path.join(repoRoot, 'artifacts');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

/**
 * Collects uncaught errors and console errors: the widget must never throw into the host page.
 * Chromium's own "Failed to load resource" lines for answers like 429 are not errors of the page.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(`console: ${msg.text()}`);
  });
  return errors;
}
