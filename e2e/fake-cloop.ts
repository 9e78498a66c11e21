// Loopback servers for the widget's UI tests: a scripted fake of the widget API (contracts/widget.ts)
// next to the real asset routes, and a "customer site" on another origin that embeds the loader.
// The fake is only for UI-level tests; the real API is tested in server/widget/.
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { ChatEvent, CitedSource, HistoryMessage, WidgetConfig } from '../contracts/widget.ts';
import { browserStepTimeoutMs, buildWidget, launchBrowser, watchErrors } from './browser.ts';
import { widgetAssetsRoutes } from '../server/widget-assets/assets.routes.ts';

/** How the fake answers one chat message. */
export interface ScriptedAnswer {
  tokens: string[];
  sources?: CitedSource[];
  askEmail?: boolean;
  answered?: boolean;
  /** Pause between tokens (streaming is visible to the test). */
  tokenDelayMs?: number;
  /** Awaited after the last token and before the end of the answer: lets a test look at the streaming state without racing a clock. */
  holdBeforeEnd?: Promise<void>;
  /** An `error` event after the tokens. */
  error?: { code: string; message: string };
  /** Refuse the request before streaming, with this status and error code. */
  refuse?: { status: number; code: string };
}

/** One request the fake received. */
export interface SeenRequest {
  method: string;
  /** Path and query. */
  url: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

/** The fake Cloop server. */
export interface FakeCloop {
  origin: string;
  key: string;
  config: WidgetConfig;
  answer: (message: string) => ScriptedAnswer;
  requests: SeenRequest[];
  conversations: Map<string, HistoryMessage[]>;
  leads: { conversationId: string; email: string }[];
  /** Tokens the fake issued; clear it to make every token invalid (expiry). */
  tokens: Set<string>;
  close(): Promise<void>;
}

/** The default site settings of the fake. */
export function defaultConfig(): WidgetConfig {
  return {
    siteName: 'Acme Outdoor',
    greeting: 'Hi! Ask me anything about **Acme** gear.',
    starterQuestions: ['What is your return policy?', 'Do you ship to Finland?'],
    languages: ['en', 'fi', 'sv', 'de', 'fr', 'es'],
    colors: { primary: '#0f766e', text: '#ffffff' },
    position: 'bottom-right',
    emailCapture: 'on_request',
    showBranding: true,
  };
}

/** The default answer: Markdown with a citation and a PDF source, in a few tokens. */
export function defaultAnswer(message: string): ScriptedAnswer {
  return {
    tokens: ['You asked: ', message.slice(0, 80), '.\n\n', 'Returns are **free** within 30 days [1].', '\n\n- Keep the receipt\n- Use the ', 'original box [2]'],
    sources: [
      { n: 1, title: 'Returns', url: 'https://acme.example/returns', page: null },
      { n: 2, title: 'Warranty (PDF)', url: 'https://acme.example/warranty.pdf', page: 3 },
    ],
    tokenDelayMs: 5,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the fake Cloop on 127.0.0.1, serving the built widget from `widgetDir`. */
export async function startFakeCloop(widgetDir: string): Promise<FakeCloop> {
  const app = Fastify();
  const fake: FakeCloop = {
    origin: '',
    key: `ck_${randomUUID().replaceAll('-', '')}`,
    config: defaultConfig(),
    answer: defaultAnswer,
    requests: [],
    conversations: new Map(),
    leads: [],
    tokens: new Set(),
    close: () => app.close(),
  };
  const visitors = new Map<string, string>(); // token → visitorId
  const owners = new Map<string, string>(); // conversationId → visitorId

  app.addHook('onRequest', async (request, reply) => {
    fake.requests.push({ method: request.method, url: request.url, path: request.url.split('?')[0]!, headers: request.headers });
    // Like the real API: CORS only for requests that name the site (a preflight can only do so in the URL).
    const key = request.headers['x-cloop-key'] ?? (request.query as { key?: string }).key;
    const api = request.url.startsWith('/widget/v1/') && !request.url.startsWith('/widget/v1/app.js');
    if (api && key === fake.key && request.headers.origin) reply.header('access-control-allow-origin', request.headers.origin);
  });
  await app.register(widgetAssetsRoutes, { config: { env: 'test' }, dir: widgetDir });

  const fail = (reply: FastifyReply, status: number, code: string) => reply.code(status).send({ error: { code, message: code, requestId: 'fake' } });
  /** The visitor of a request ('' when no token is needed), or null after answering 401 — checked like the real API. */
  const visitorOf = (request: FastifyRequest, reply: FastifyReply, needToken: boolean): string | null => {
    if (request.headers['x-cloop-key'] !== fake.key) {
      fail(reply, 401, 'embed_key_invalid');
      return null;
    }
    if (!needToken) return '';
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !fake.tokens.has(token)) {
      fail(reply, 401, 'invalid_token');
      return null;
    }
    return visitors.get(token)!;
  };

  app.options('/widget/v1/*', async (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST')
      .header('access-control-allow-headers', 'content-type, x-cloop-key, authorization')
      .header('access-control-max-age', '600')
      .send(),
  );

  app.get('/widget/v1/config', async (request, reply) => {
    if (visitorOf(request, reply, false) === null) return reply;
    return fake.config;
  });

  app.post('/widget/v1/session', async (request, reply) => {
    if (visitorOf(request, reply, false) === null) return reply;
    const body = (request.body ?? {}) as { visitorId?: string };
    const visitorId = body.visitorId ?? randomBytes(32).toString('base64url'); // a secret, as the contract says
    const token = `vt_${randomUUID()}${randomUUID()}`.replaceAll('-', '');
    fake.tokens.add(token);
    visitors.set(token, visitorId);
    return { token, expiresIn: 600, visitorId };
  });

  app.get('/widget/v1/conversations/:id/messages', async (request, reply) => {
    const visitor = visitorOf(request, reply, true);
    if (visitor === null) return reply;
    const { id } = request.params as { id: string };
    const messages = fake.conversations.get(id);
    if (!messages || owners.get(id) !== visitor) return fail(reply, 404, 'conversation_not_found');
    return { conversationId: id, phase: 'exploring', hasEmail: fake.leads.some((l) => l.conversationId === id), messages };
  });

  app.post('/widget/v1/lead', async (request, reply) => {
    if (visitorOf(request, reply, true) === null) return reply;
    const body = request.body as { conversationId: string; email: string };
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(body.email)) return fail(reply, 400, 'validation_failed');
    fake.leads.push(body);
    return { ok: true };
  });

  app.post('/widget/v1/chat', async (request, reply) => {
    const visitor = visitorOf(request, reply, true);
    if (visitor === null) return reply;
    const body = request.body as { conversationId?: string; message: string };
    if (body.conversationId && owners.get(body.conversationId) !== visitor) return fail(reply, 404, 'conversation_not_found');
    const script = fake.answer(body.message);
    if (script.refuse) return fail(reply, script.refuse.status, script.refuse.code);
    const conversationId = body.conversationId ?? randomUUID();
    owners.set(conversationId, visitor);
    const history = fake.conversations.get(conversationId) ?? [];
    fake.conversations.set(conversationId, history);
    history.push({ id: randomUUID(), role: 'user', text: body.message, sources: [], createdAt: new Date().toISOString() });

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
    const send = (event: ChatEvent) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    send({ type: 'phase', conversationId, phase: 'exploring', askEmail: script.askEmail ?? false });
    res.write(': heartbeat\n\n');
    let text = '';
    for (const token of script.tokens) {
      if (script.tokenDelayMs) await sleep(script.tokenDelayMs);
      text += token;
      send({ type: 'token', text: token });
    }
    await script.holdBeforeEnd;
    if (script.error) {
      send({ type: 'error', ...script.error });
    } else {
      if (script.sources) send({ type: 'sources', sources: script.sources });
      const messageId = randomUUID();
      history.push({ id: messageId, role: 'assistant', text, sources: script.sources ?? [], createdAt: new Date().toISOString() });
      send({ type: 'done', conversationId, messageId, confidence: 0.8, answered: script.answered ?? true });
    }
    res.end();
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  fake.origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return fake;
}

/** A customer's website on another origin (`localhost`, a different site from the Cloop origin). */
export interface HostSite {
  origin: string;
  /** Serves `html` at `path` with extra response headers; returns the page's URL. */
  page(path: string, html: string, headers?: Record<string, string>): string;
  close(): Promise<void>;
}

/** Starts the host site server. */
export async function startHostSite(): Promise<HostSite> {
  const pages = new Map<string, { html: string; headers: Record<string, string> }>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const page = pages.get(path);
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    if (!page) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...page.headers }).end(page.html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    page(path, html, headers = {}) {
      pages.set(path, { html, headers });
      return origin + path;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A host page embedding the widget exactly as the dashboard tells customers to. */
export function hostPage(cloop: FakeCloop, options: { lang?: string; head?: string; body?: string; key?: string } = {}): string {
  return `<!doctype html>
<html lang="${options.lang ?? 'en'}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme Outdoor</title>${options.head ?? ''}</head>
<body>
<header><h1>Acme Outdoor</h1><nav><a href="/">Home</a> <a href="/returns">Returns</a></nav></header>
<main><p>Tents, stoves and everything for the trail.</p><button id="host-button">Host button</button>${options.body ?? ''}</main>
<script src="${cloop.origin}/widget.js" data-site="${options.key ?? cloop.key}" async></script>
</body>
</html>`;
}

/** What a widget browser test works with: the browser, the fake API, the host site and a fresh page per test. */
export interface WidgetHarness {
  readonly browser: Browser;
  readonly cloop: FakeCloop;
  readonly site: HostSite;
  /** A fresh visitor (own context and storage, closed after the test) and the errors its page throws. */
  open(options?: BrowserContextOptions): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
}

/**
 * Registers the suite's hooks: builds the widget, starts Chromium, the fake API and the host site once;
 * after each test resets the fake's config and answers, closes the test's context and runs `afterEachTest`.
 */
export function useWidgetHarness(afterEachTest?: () => void | Promise<void>): WidgetHarness {
  let widgetDir: string | undefined;
  let started: { browser: Browser; cloop: FakeCloop; site: HostSite } | undefined;
  let context: BrowserContext | undefined;
  const ready = () => {
    if (!started) throw new Error('the widget harness has not started (use it inside a test)');
    return started;
  };
  beforeAll(async () => {
    widgetDir = buildWidget();
    const [browser, cloop, site] = await Promise.all([launchBrowser(), startFakeCloop(widgetDir), startHostSite()]);
    started = { browser, cloop, site };
  });
  afterAll(async () => {
    await started?.browser.close();
    await started?.cloop.close();
    await started?.site.close();
    if (widgetDir) rmSync(widgetDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    if (started) {
      started.cloop.config = defaultConfig();
      started.cloop.answer = defaultAnswer;
    }
    await context?.close();
    context = undefined;
    await afterEachTest?.();
  });
  return {
    get browser() {
      return ready().browser;
    },
    get cloop() {
      return ready().cloop;
    },
    get site() {
      return ready().site;
    },
    async open(options = {}) {
      await context?.close();
      context = await ready().browser.newContext(options);
      context.setDefaultTimeout(browserStepTimeoutMs);
      const page = await context.newPage();
      return { context, page, errors: watchErrors(page) };
    },
  };
}
