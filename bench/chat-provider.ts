import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// The loopback OpenAI-compatible provider of `npm run bench:chat`, in its own process so that its
// work does not share the event loop of Cloop or of the measuring client. `POST /v1/chat/completions`
// streams, after a fixed time to first token, a fixed number of tokens; what the last user message
// carries changes that: `[hold]` holds the stream open before the first token (until the client
// leaves), `[long]` answers 600 tokens (the budget race). `GET /stats` reports what it served.
// Prints its port on stdout, then stops when its stdin closes or on SIGTERM.

const ttftMs = Number(process.env.BENCH_PROVIDER_TTFT_MS ?? 100);
const tokens = Number(process.env.BENCH_PROVIDER_TOKENS ?? 40);
const interTokenMs = Number(process.env.BENCH_PROVIDER_ITL_MS ?? 5);
const apiKey = process.env.BENCH_PROVIDER_KEY ?? 'bench-key';

const stats = { streams: 0, completed: 0, held: 0, heldNow: 0, clientGone: 0 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

async function chat(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = JSON.parse(await readBody(req)) as { model: string; messages: { role: string; content: string }[]; stream_options?: { include_usage?: boolean } };
  const last = body.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  const promptTokens = body.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0);
  const mode = last.includes('[hold]') ? 'hold' : last.includes('[long]') ? 'long' : 'normal';
  stats.streams++;
  let gone = false;
  res.once('close', () => {
    if (!res.writableFinished) {
      gone = true;
      stats.clientGone++;
    }
  });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
  chunk({ role: 'assistant', content: '' });
  if (mode === 'hold') {
    stats.held++;
    stats.heldNow++;
    await new Promise<void>((resolve) => res.once('close', () => resolve()));
    stats.heldNow--;
    return;
  }
  await sleep(ttftMs);
  const n = mode === 'long' ? 600 : tokens;
  for (let i = 0; i < n; i++) {
    if (gone) return;
    chunk({ content: `${i === 0 ? '' : ' '}tok${i}${i === n - 1 ? ' [1]' : ''}` });
    if (mode === 'normal' && interTokenMs > 0) await sleep(interTokenMs);
  }
  chunk({}, 'stop');
  if (body.stream_options?.include_usage) {
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: n, total_tokens: promptTokens + n } })}\n\n`);
  }
  stats.completed++;
  res.end('data: [DONE]\n\n');
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://provider').pathname;
  if (req.method === 'GET' && path === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  if (req.headers.authorization !== `Bearer ${apiKey}`) {
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
    return;
  }
  if (req.method === 'POST' && path === '/v1/chat/completions') {
    chat(req, res).catch(() => res.destroy());
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop).on('error', stop).resume();
