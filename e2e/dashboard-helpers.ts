// Browser-side helpers of the dashboard tests: signing in, watching a page for errors and CSP
// violations, axe, screenshots, and calling the API with the page's own session.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { browserStepTimeoutMs, repoRoot, watchErrors } from './browser.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Viewports every main page is checked at. */
export const viewports = {
  desktop: { width: 1280, height: 800 },
  mobile: { width: 375, height: 667 },
} as const;

/** A page plus what went wrong on it. */
export interface Watched {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors and console errors. */
  errors: string[];
  /** Content-Security-Policy violations reported in any frame. */
  csp: string[];
}

/** A fresh context (own storage) with one page that records errors and CSP violations. */
export async function openPage(browser: Browser, viewport: { width: number; height: number } = viewports.desktop, extra: Parameters<Browser['newContext']>[0] = {}): Promise<Watched> {
  // English unless a test asks for another language: the dashboard follows the browser's language.
  const context = await browser.newContext({ viewport, locale: 'en-US', ...extra });
  context.setDefaultTimeout(browserStepTimeoutMs);
  const page = await context.newPage();
  const errors = watchErrors(page);
  const csp: string[] = [];
  await page.exposeFunction('__cspViolation', (v: string) => csp.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      void (window as unknown as { __cspViolation(v: string): void }).__cspViolation(`${location.pathname}: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { context, page, errors, csp };
}

/** Opens a sign-in link and waits until the dashboard shows a signed-in page. */
export async function signIn(page: Page, link: string): Promise<void> {
  await page.goto(link);
  await page.locator('nav#nav').waitFor({ state: 'attached', timeout: 30_000 });
}

/** Waits until the page shows its heading and nothing is loading any more. */
export async function settle(page: Page): Promise<void> {
  await page.locator('main h1').first().waitFor();
  await expect.poll(() => page.locator('.loading').count(), { timeout: 20_000 }).toBe(0);
  await page.waitForLoadState('networkidle').catch(() => {});
}

/** Saves `artifacts/screenshots/<name>.png` (full page). */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.join(repoRoot, 'artifacts/screenshots');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return path.relative(repoRoot, file);
}

/** One axe finding, compact enough for an assertion message. */
export interface Finding {
  id: string;
  impact: string | null;
  targets: string[];
}

/** Runs axe-core in the page (and, separately, in the widget preview frame if there is one). */
export async function axe(page: Page): Promise<{ page: Finding[]; preview: Finding[] }> {
  type AxeResult = { violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] };
  const run = async (frame: Page | ReturnType<Page['frames']>[number]) => {
    await frame.evaluate(axeSource);
    const result = (await frame.evaluate(() =>
      (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<unknown> } }).axe.run(document, { resultTypes: ['violations'], iframes: false }),
    )) as AxeResult;
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => String(n.target)) }));
  };
  const previewFrame = page.frames().find((f) => f.url().includes('/app/preview.html'));
  return { page: await run(page), preview: previewFrame ? await run(previewFrame) : [] };
}

/** Only what the goal counts: serious and critical findings. */
export function severe(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
}

/** Calls the API from the page with its stored session (as the dashboard would). */
export async function apiFromPage<T>(page: Page, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  return page.evaluate(
    async ({ path, init }) => {
      const session = JSON.parse(localStorage.getItem('cloop.session') ?? '{}') as { accessToken?: string };
      const res = await fetch(`/api${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${session.accessToken}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
        body: init.body ? JSON.stringify(init.body) : null,
      });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    },
    { path, init },
  ) as Promise<{ status: number; body: T }>;
}

/** The workspace (tenant) of the page's session. */
export async function tenantOf(page: Page): Promise<string> {
  return page.evaluate(() => (JSON.parse(localStorage.getItem('cloop.session') ?? '{}') as { tenantId: string }).tenantId);
}
