import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { chatBody, leadBody, sessionBody, type ChatEvent, type HistoryResponse } from '../../contracts/widget.ts';
import { widgetConfig } from '../../contracts/widget-config.ts';
import { newSecret } from '../auth/tokens.ts';
import { admitMessage, answer, type ChatDeps } from '../chat/chat.service.ts';
import { isUuid, withTenant } from '../db/tenant.ts';
import { appError } from '../errors.ts';
import { sendError, toAppError } from '../http/error-handler.ts';
import { parse } from '../http/validate.ts';
import { tiers } from '../tenants/tiers.ts';
import { originAllowed } from './origin.ts';
import { siteByEmbedKey, type WidgetSite } from './site.system.ts';
import { createVisitorTokens, type VisitorClaims } from './visitor-token.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The site resolved from the embed key, for widget API requests. */
    widgetSite: WidgetSite | null;
  }
}

/**
 * Tokens arriving within this long of the last write go out together in the next write: two display
 * frames (30 updates a second still reads as smooth streaming; every socket write costs the event loop).
 */
const tokenWindowMs = 32;

/**
 * Writes server-sent events to `res`. An event that comes at least `windowMs` after the last write
 * (the first token) or is `now` goes out at once, with anything pending; events that follow each
 * other closer than that are sent together `windowMs` after the last write: one socket write per
 * frame instead of one per token. `end` sends what is pending with the end of the response, in one
 * write. Nothing is written to a closed response.
 */
function sseWriter(res: ServerResponse, windowMs: number) {
  let pending = '';
  let timer: NodeJS.Timeout | null = null;
  let lastWrite = 0;
  const cancelTimer = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const flush = () => {
    cancelTimer();
    if (pending && !res.writableEnded) res.write(pending);
    pending = '';
    lastWrite = performance.now();
  };
  return {
    write(text: string, now: boolean) {
      if (res.writableEnded) return;
      pending += text;
      const since = performance.now() - lastWrite;
      if (now || since >= windowMs) flush();
      else timer ??= setTimeout(flush, windowMs - since);
    },
    end() {
      cancelTimer();
      if (!res.writableEnded) res.end(pending);
      pending = '';
    },
  };
}

const visitorHash = (secret: string) => createHash('sha256').update(secret).digest('base64url');
const conversationParams = z.object({ conversationId: z.string().max(100) });

/**
 * The widget API (`/widget/v1`), an encapsulated context of its own: every request names its site
 * by embed key and must come from one of the site's domains; CORS answers only those origins,
 * never with credentials; no cookies. Chat, history and lead calls need the visitor token.
 */
export async function widgetRoutes(app: FastifyInstance, { deps }: { deps: ChatDeps }): Promise<void> {
  const tokens = createVisitorTokens(deps.config.secret, deps.config.chat.visitorTokenTtlSeconds);
  const production = deps.config.env === 'production';
  const ownOrigin = new URL(deps.config.publicUrl).origin;
  app.decorateRequest('widgetSite', null);

  app.addHook('onRequest', async function resolveSite(request, reply) {
    reply.header('vary', 'Origin');
    const key = (request.headers['x-cloop-key'] as string | undefined) ?? (request.query as { key?: string }).key;
    const site = typeof key === 'string' ? await siteByEmbedKey(deps.database.db, key) : null;
    if (!site) throw appError('embed_key_invalid');
    // Browsers send no Origin on same-origin GETs (the dashboard's preview runs on Cloop's own host).
    if (!request.headers.origin && request.headers['sec-fetch-site'] === 'same-origin') request.headers.origin = ownOrigin;
    const origin = request.headers.origin;
    if (!originAllowed(origin, site.domains, production)) throw appError('origin_not_allowed');
    reply.header('access-control-allow-origin', origin!);
    reply.header('cross-origin-resource-policy', 'cross-origin');
    request.widgetSite = site;
  });

  const siteOf = (request: FastifyRequest): WidgetSite => request.widgetSite!;
  const visitorOf = async (request: FastifyRequest): Promise<VisitorClaims> => {
    const header = request.headers.authorization;
    const token = header?.match(/^Bearer ([\w.-]{20,2000})$/i)?.[1];
    if (!token) throw appError('unauthorized', 'Start a chat session first.');
    return tokens.verify(token, { siteId: siteOf(request).id, origin: request.headers.origin! });
  };

  app.options('/*', { config: { rateTier: 'public', auth: 'none' } }, async function preflight(_request, reply) {
    return reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST')
      .header('access-control-allow-headers', 'content-type, x-cloop-key, authorization')
      .header('access-control-max-age', '600')
      .send();
  });

  app.get('/config', { config: { rateTier: 'public', auth: 'none' } }, async function config(request, reply) {
    const site = siteOf(request);
    const body = widgetConfig(site.name, site.settings, !tiers[site.tier].features.removeBranding);
    return reply.header('cache-control', 'no-cache').send(body);
  });

  app.post('/session', { config: { rateTier: 'public', auth: 'none' } }, async function session(request) {
    const site = siteOf(request);
    const { visitorId } = parse(sessionBody, request.body);
    const { id, secret } = await withTenant(deps.database.db, site.tenantId, async (tx) => {
      if (visitorId) {
        const known = await tx.selectFrom('visitors').select('id').where('secret_hash', '=', visitorHash(visitorId)).where('site_id', '=', site.id).executeTakeFirst();
        if (known) {
          await tx.updateTable('visitors').set({ last_seen_at: new Date() }).where('id', '=', known.id).execute();
          return { id: known.id, secret: visitorId };
        }
      }
      const fresh = newSecret();
      const row = await tx.insertInto('visitors').values({ tenant_id: site.tenantId, site_id: site.id, secret_hash: visitorHash(fresh) }).returning('id').executeTakeFirstOrThrow();
      return { id: row.id, secret: fresh };
    });
    const token = await tokens.sign({ visitorId: id, siteId: site.id, origin: request.headers.origin! });
    return { token, expiresIn: tokens.ttlSeconds, visitorId: secret };
  });

  app.post('/chat', { config: { rateTier: 'chat', auth: 'none' } }, async function chat(request, reply) {
    const site = siteOf(request);
    const visitor = await visitorOf(request);
    const body = parse(chatBody, request.body);
    const admitted = await admitMessage(deps, { site, visitorId: visitor.visitorId, ip: request.ip, conversationId: body.conversationId });
    const abort = new AbortController();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    // Only a visitor who left early stops the answer (aborting after the end would cost a DOMException for nothing).
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const events = sseWriter(res, tokenWindowMs);
    // The phase opens the stream at once; tokens and sources go out a frame at a time, `done` and `error` with the end.
    const send = (ev: ChatEvent) => events.write(`event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`, ev.type === 'phase');
    const heartbeat = setInterval(() => events.write(': heartbeat\n\n', true), 15_000);
    try {
      // Run to the end even after the visitor left: the model stops (abort), and the partial answer
      // is still stored and its cost metered; `send` writes nothing to a closed response.
      for await (const ev of answer(deps, { site, visitorId: visitor.visitorId, ip: request.ip, signal: abort.signal, ...body, reservation: admitted.reservation })) send(ev);
    } catch (err) {
      const e = toAppError(err);
      if (e.status >= 500) request.log.error({ err }, 'chat failed');
      send({ type: 'error', code: e.code, message: e.message });
    } finally {
      clearInterval(heartbeat);
      events.end();
      await admitted.free();
    }
  });

  app.get('/conversations/:conversationId/messages', { config: { rateTier: 'public', auth: 'none' } }, async function history(request): Promise<HistoryResponse> {
    const site = siteOf(request);
    const visitor = await visitorOf(request);
    const { conversationId } = parse(conversationParams, request.params);
    return withTenant(deps.database.db, site.tenantId, async (tx) => {
      const c = isUuid(conversationId)
        ? await tx.selectFrom('conversations').select(['id', 'phase']).where('id', '=', conversationId).where('visitor_id', '=', visitor.visitorId).where('site_id', '=', site.id).executeTakeFirst()
        : undefined;
      if (!c) throw appError('conversation_not_found');
      const rows = await tx.selectFrom('messages').select(['id', 'role', 'text', 'sources', 'created_at']).where('conversation_id', '=', c.id).orderBy('created_at').limit(200).execute();
      const lead = await tx.selectFrom('leads').select('id').where('conversation_id', '=', c.id).executeTakeFirst();
      return {
        conversationId: c.id,
        phase: c.phase,
        hasEmail: Boolean(lead),
        messages: rows.map((m) => ({ id: m.id, role: m.role, text: m.text, sources: m.sources as HistoryResponse['messages'][number]['sources'], createdAt: m.created_at.toISOString() })),
      };
    });
  });

  app.post('/lead', { config: { rateTier: 'public', auth: 'none' } }, async function lead(request) {
    const site = siteOf(request);
    const visitor = await visitorOf(request);
    const body = parse(leadBody, request.body);
    await withTenant(deps.database.db, site.tenantId, async (tx) => {
      const c = await tx.selectFrom('conversations').select('id').where('id', '=', body.conversationId).where('visitor_id', '=', visitor.visitorId).where('site_id', '=', site.id).executeTakeFirst();
      if (!c) throw appError('conversation_not_found');
      const email = body.email.toLowerCase();
      await tx
        .insertInto('leads')
        .values({ tenant_id: site.tenantId, site_id: site.id, conversation_id: c.id, visitor_id: visitor.visitorId, email })
        .onConflict((oc) => oc.column('conversation_id').doUpdateSet({ email, updated_at: new Date() }))
        .execute();
      await tx.updateTable('visitors').set({ email }).where('id', '=', visitor.visitorId).execute();
    });
    return { ok: true };
  });

  // Errors of the widget API carry CORS headers too, so the widget can read them.
  app.setErrorHandler(function widgetError(err, request, reply: FastifyReply) {
    const e = toAppError(err);
    if (e.status >= 500) request.log.error({ err, code: e.code }, 'widget request failed');
    const origin = request.headers.origin;
    if (request.widgetSite && origin) reply.header('access-control-allow-origin', origin);
    return sendError(request, reply, e);
  });
}
