import http from 'node:http';

// The pages, origin and HTTP client of `npm run bench:chat`: a visitor's calls over real sockets,
// with the time to the first streamed token measured on the client.

/** The site's registered domain, and the origin every bench request comes from. */
export const benchDomain = 'bench.example.com';
export const benchOrigin = `https://${benchDomain}`;

/** The site's content: the bench questions are answered from it with good confidence. */
export const benchPages = [
  {
    url: `${benchOrigin}/returns`,
    title: 'Returns and refunds',
    text: 'You can return any unused item within 30 days of delivery for a full refund. Start a return from your order page and we email you a prepaid return label. Refunds reach your card within 5 business days after the parcel arrives at our warehouse.',
  },
  {
    url: `${benchOrigin}/shipping`,
    title: 'Shipping and delivery',
    text: 'Orders placed before 2 pm ship the same day from our warehouse in Tampere. Standard delivery takes 2 to 4 business days in Finland and 5 to 7 business days elsewhere in the EU. Shipping is free for orders over 50 euros.',
  },
  {
    url: `${benchOrigin}/tents/aurora-2`,
    title: 'Aurora 2 tent',
    text: 'The Aurora 2 tent weighs 1.9 kg and sleeps two people. Its poles are aluminium and the fly sheet has a 3000 mm hydrostatic head. Pitching the Aurora 2 takes about five minutes.',
  },
];

/** Questions the pages answer (each one reaches the provider). */
export const benchQuestions = [
  'How many days do I have to return an item for a refund?',
  'How long does standard delivery take in Finland?',
  'How much does the Aurora 2 tent weigh?',
  'When do refunds reach my card after a return?',
];

/** One JSON request on a fresh connection. */
export function requestJson(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = http.request(`${base}${path}`, { method: init.method ?? 'GET', agent: false, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...init.headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A visitor's session on the site: the token for chat calls. */
export async function startSession(base: string, embedKey: string): Promise<string> {
  const res = await requestJson(base, '/widget/v1/session', { method: 'POST', headers: { 'x-cloop-key': embedKey, origin: benchOrigin }, body: {} });
  if (res.status !== 200) throw new Error(`session: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { token: string }).token;
}

/** What one streamed chat did, as the client saw it. */
export interface ChatResult {
  status: number;
  /** Milliseconds from sending the request to the first `token` event (null: none came). */
  ttftMs: number | null;
  tokens: number;
  conversationId: string | null;
  answered: boolean | null;
  error: string | null;
  /** The response headers arrived (the stream is open). */
  opened: boolean;
  /** The stream ended, failed or was closed. */
  closed: boolean;
  /** When (performance.now()) the first event, `phase`, arrived, and when the stream closed. */
  phaseAt: number | null;
  closedAt: number | null;
}

/** One `POST /widget/v1/chat` on its own socket, parsed as it streams; `abort()` hangs up. */
export function openChat(base: string, embedKey: string, token: string, body: { message: string; conversationId?: string }) {
  const result: ChatResult = { status: 0, ttftMs: null, tokens: 0, conversationId: null, answered: null, error: null, opened: false, closed: false, phaseAt: null, closedAt: null };
  const started = performance.now();
  let req: http.ClientRequest;
  const done = new Promise<ChatResult>((resolve) => {
    const finish = () => {
      result.closed = true;
      result.closedAt ??= performance.now();
      resolve(result);
    };
    req = http.request(`${base}/widget/v1/chat`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-cloop-key': embedKey, origin: benchOrigin, authorization: `Bearer ${token}` } }, (res) => {
      result.status = res.statusCode ?? 0;
      result.opened = true;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const ev = JSON.parse(data.slice(6)) as { type: string; conversationId?: string; answered?: boolean; code?: string };
          if (ev.type === 'token') {
            result.tokens++;
            result.ttftMs ??= performance.now() - started;
          } else if (ev.type === 'phase') {
            result.conversationId ??= ev.conversationId ?? null;
            result.phaseAt ??= performance.now();
          }
          else if (ev.type === 'done') result.answered = ev.answered ?? null;
          else if (ev.type === 'error') result.error = ev.code ?? 'error';
        }
      });
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    req.on('error', (err) => {
      result.error ??= err.message;
      finish();
    });
    req.end(JSON.stringify(body));
  });
  return {
    result,
    done,
    abort() {
      req.destroy();
    },
  };
}

/** The `p`-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
