import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { buildWidget, launchBrowser } from '../e2e/chromium.ts';

// `npm run bench:widget`: what the widget costs a customer's page. Prints one JSON line on stdout;
// progress goes to stderr.
//
// Sizes: the freshly built bundles, gzip level 9 (what the server sends; brotli is smaller still).
// Main-thread time, measured in Chromium on a blank loopback page with a Chrome trace
// (categories toplevel + devtools.timeline) of each fresh visit (new context, nothing cached):
//   - page window = the CPU time (thread time, robust to other load on the machine) of the renderer
//     main thread's top-level tasks from the start of the script's evaluation (EvaluateScript of its
//     URL) until 300 ms after the load event: the script, its idle callback drawing the launcher, and
//     the style/layout/paint that follows;
//   - baseline: the same page with an empty async script instead of the loader, measured the same
//     way in the same run, interleaved; loader_main_thread_ms = median(widget) − median(baseline);
//   - loader_script_ms: median of the loader's own script events (EvaluateScript + its FunctionCalls);
//   - open_main_thread_ms: main-thread tasks in the 600 ms after a click on the launcher (fetching and
//     running app.js, one /config call, drawing the panel). No playwright code runs in the page
//     while a window is measured (its injected scripts would count as page work).
// Knobs: BENCH_RUNS (default 15 per page), BENCH_CPU_THROTTLE (CDP CPU slowdown factor, default 1).

const runs = Number(process.env.BENCH_RUNS ?? 15);
const cpuThrottle = Number(process.env.BENCH_CPU_THROTTLE ?? 1);
const settleMs = 300;
const siteKey = 'ck_bench_bench_bench_bench_bench_bench';
const categories = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute'];

const log = (message: string) => process.stderr.write(`[bench:widget] ${message}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

const config = {
  siteName: 'Bench',
  greeting: 'Hi!',
  starterQuestions: ['One?', 'Two?'],
  languages: ['en'],
  colors: { primary: '#2563eb', text: '#ffffff' },
  position: 'bottom-right',
  emailCapture: 'off',
  showBranding: true,
};

/** A loopback server: the two pages, the bundles, an empty script and the config endpoint. */
async function startServer(dir: string): Promise<{ origin: string; close(): Promise<void> }> {
  const page = (script: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title></head><body><p>A page.</p>${script}</body></html>`;
  const files: Record<string, [string, string | Buffer]> = {
    '/baseline.html': ['text/html', page('<script src="/empty.js" async></script>')],
    '/widget.html': ['text/html', page(`<script src="/widget.js" data-site="${siteKey}" async></script>`)],
    '/empty.js': ['text/javascript', ''],
    '/widget.js': ['text/javascript', readFileSync(path.join(dir, 'widget.js'))],
    '/widget/v1/app.js': ['text/javascript', readFileSync(path.join(dir, 'app.js'))],
    '/widget/v1/config': ['application/json', JSON.stringify(config)],
  };
  const server = http.createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0]!];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  /** Thread (CPU) time of the event, µs. */
  tdur?: number;
  pid: number;
  tid: number;
  args?: { data?: { url?: string } };
}

/**
 * Main-thread CPU milliseconds (trace `tdur`: thread time, so other processes on a busy machine do not
 * inflate it) of the top-level tasks on the thread that evaluated `scriptPath`, from `from` on.
 */
function mainThreadMs(events: TraceEvent[], scriptPath: string, from: 'script' | number): { ms: number; scriptMs: number } {
  const evaluate = events.find((e) => e.name === 'EvaluateScript' && e.args?.data?.url?.includes(scriptPath));
  if (!evaluate) throw new Error(`no EvaluateScript for ${scriptPath} in the trace`);
  const onThread = events.filter((e) => e.pid === evaluate.pid && e.tid === evaluate.tid && e.ph === 'X' && e.dur !== undefined);
  const start = from === 'script' ? evaluate.ts : from;
  const cpu = (e: TraceEvent) => e.tdur ?? e.dur!;
  // Top-level tasks do not nest; the one running the script's evaluation is included.
  const ms = onThread.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && e.ts + e.dur! > start).reduce((sum, e) => sum + cpu(e), 0);
  const scriptMs = onThread
    .filter((e) => (e.name === 'EvaluateScript' || e.name === 'FunctionCall') && e.args?.data?.url?.includes(scriptPath))
    .reduce((sum, e) => sum + cpu(e), 0);
  return { ms: ms / 1000, scriptMs: scriptMs / 1000 };
}

async function traced<T>(browser: Browser, page: Page, fn: () => Promise<T>): Promise<{ value: T; events: TraceEvent[] }> {
  await browser.startTracing(page, { categories });
  const value = await fn();
  const buffer = await browser.stopTracing();
  const parsed = JSON.parse(buffer.toString('utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  return { value, events: Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []) };
}

/** One fresh visit: main-thread time of the page window and, for the widget, of opening the chat. */
async function visit(browser: Browser, url: string, script: string, widget: boolean): Promise<{ ms: number; scriptMs: number; open?: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const session = await context.newCDPSession(page);
  if (cpuThrottle > 1) await session.send('Emulation.setCPUThrottlingRate', { rate: cpuThrottle });
  const loaded = await traced(browser, page, async () => {
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForTimeout(settleMs);
  });
  const { ms, scriptMs } = mainThreadMs(loaded.events, script, 'script');
  let open: number | undefined;
  if (widget) {
    const drawn = await page.evaluate('document.querySelector("cloop-widget")?.shadowRoot?.querySelector("button") != null');
    if (!drawn) throw new Error(`the launcher was not drawn within ${settleMs} ms of the load event`);
    const opened = await traced(browser, page, async () => {
      // A CDP click on the launcher's centre (bottom-right, 20 px margins, 56 px wide).
      for (const type of ['mousePressed', 'mouseReleased'] as const) {
        await session.send('Input.dispatchMouseEvent', { type, x: 1280 - 48, y: 800 - 48, button: 'left', clickCount: 1 });
      }
      await page.waitForTimeout(settleMs * 2);
    });
    // From the first input event the page handled (the press) to the end of the window.
    const press = opened.events.filter((e) => e.name === 'EventDispatch').sort((a, b) => a.ts - b.ts)[0];
    open = mainThreadMs(opened.events, '/widget/v1/app.js', press?.ts ?? 0).ms;
    const shown = await page.evaluate('document.querySelector("cloop-widget").shadowRoot.querySelector(".chip") != null');
    if (!shown) throw new Error('the chat panel did not open');
  }
  await context.close();
  return { ms, scriptMs, open };
}

async function main(): Promise<void> {
  const dir = buildWidget();
  const loaderBytes = readFileSync(path.join(dir, 'widget.js'));
  const appBytes = readFileSync(path.join(dir, 'app.js'));
  const loaderGz = gzipSync(loaderBytes, { level: 9 }).length;
  const appGz = gzipSync(appBytes, { level: 9 }).length;
  log(`bundles: loader ${loaderBytes.length} B (${loaderGz} B gz), app ${appBytes.length} B (${appGz} B gz)`);

  const server = await startServer(dir);
  const browser = await launchBrowser();
  try {
    const baseline: number[] = [];
    const widget: number[] = [];
    const widgetScript: number[] = [];
    const open: number[] = [];
    // One warm-up of each (browser start-up noise), then interleaved rounds.
    await visit(browser, `${server.origin}/baseline.html`, '/empty.js', false);
    await visit(browser, `${server.origin}/widget.html`, '/widget.js', true);
    for (let i = 0; i < runs; i++) {
      baseline.push((await visit(browser, `${server.origin}/baseline.html`, '/empty.js', false)).ms);
      const w = await visit(browser, `${server.origin}/widget.html`, '/widget.js', true);
      widget.push(w.ms);
      widgetScript.push(w.scriptMs);
      open.push(w.open!);
      log(`round ${i + 1}/${runs}: baseline ${baseline.at(-1)!.toFixed(2)} ms, widget ${w.ms.toFixed(2)} ms (script ${w.scriptMs.toFixed(2)}), open ${w.open!.toFixed(1)} ms`);
    }
    const baselineMs = median(baseline);
    const widgetMs = median(widget);
    console.log(
      JSON.stringify({
        loader_gz_bytes: loaderGz,
        widget_gz_bytes: loaderGz + appGz,
        loader_main_thread_ms: round2(Math.max(0, widgetMs - baselineMs)),
        app_gz_bytes: appGz,
        baseline_main_thread_ms: round2(baselineMs),
        loader_page_main_thread_ms: round2(widgetMs),
        loader_script_ms: round2(median(widgetScript)),
        open_main_thread_ms: round2(median(open)),
        runs,
        cpu_throttle: cpuThrottle,
        method: 'chrome trace: main-thread task CPU time from script evaluation to load+300ms, median, minus empty-script page',
      }),
    );
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
