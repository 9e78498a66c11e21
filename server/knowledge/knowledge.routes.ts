import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createSourceBody, searchBody } from '../../contracts/knowledge.ts';
import { actorOf } from '../auth/authenticate.ts';
import { appError } from '../errors.ts';
import { parse } from '../http/validate.ts';
import { searchSite } from './search.service.ts';
import { assertSite, cancelSource, createWebSource, deleteSource, getSource, listSources, resyncSource, sourceSnapshot, uploadFile, type SourcesDeps } from './sources.service.ts';
import type { Deps } from '../deps.ts';

const siteParams = z.object({ siteId: z.string().max(100) });
const sourceParams = z.object({ siteId: z.string().max(100), sourceId: z.string().max(100) });
// The largest tier's upload limit; the tier's own limit is enforced while streaming.
const maxUploadBytes = 100 * 1024 * 1024;
const finished = new Set(['ready', 'failed', 'cancelled']);

/** `/api/sites/:siteId/sources…` and `/api/sites/:siteId/search`: a site's knowledge base. */
export async function knowledgeRoutes(app: FastifyInstance, deps: SourcesDeps & Pick<Deps, 'embedder'>): Promise<void> {
  await app.register(multipart, { throwFileSizeLimit: true, limits: { files: 1, fields: 5, fileSize: maxUploadBytes, parts: 6, headerPairs: 100 } });
  const admin = { rateTier: 'admin' as const };

  app.get('/sites/:siteId/sources', { config: admin }, async function list(request) {
    return listSources(deps, actorOf(request), parse(siteParams, request.params).siteId);
  });

  app.post('/sites/:siteId/sources', { config: admin }, async function create(request, reply) {
    const { siteId } = parse(siteParams, request.params);
    return reply.code(201).send(await createWebSource(deps, actorOf(request), siteId, parse(createSourceBody, request.body), request.id));
  });

  app.post('/sites/:siteId/sources/upload', { config: admin }, async function upload(request, reply) {
    const actor = actorOf(request);
    const { siteId } = parse(siteParams, request.params);
    await assertSite(deps, actor, siteId);
    if (!request.isMultipart()) throw appError('unsupported_media_type', 'Upload the file as multipart/form-data with a "file" field.');
    const file = await request.file();
    if (!file || file.fieldname !== 'file') throw appError('validation_failed', 'Send the file in a field named "file".', { fields: [{ field: 'file', problem: 'required' }] });
    return reply.code(201).send(await uploadFile(deps, actor, siteId, { stream: file.file, filename: file.filename }, request.id));
  });

  app.get('/sites/:siteId/sources/:sourceId', { config: admin }, async function get(request) {
    const { siteId, sourceId } = parse(sourceParams, request.params);
    return getSource(deps, actorOf(request), siteId, sourceId);
  });

  app.post('/sites/:siteId/sources/:sourceId/resync', { config: admin }, async function resync(request) {
    const { siteId, sourceId } = parse(sourceParams, request.params);
    return resyncSource(deps, actorOf(request), siteId, sourceId, request.id);
  });

  app.post('/sites/:siteId/sources/:sourceId/cancel', { config: admin }, async function cancel(request) {
    const { siteId, sourceId } = parse(sourceParams, request.params);
    return cancelSource(deps, actorOf(request), siteId, sourceId, request.id);
  });

  app.delete('/sites/:siteId/sources/:sourceId', { config: admin }, async function remove(request, reply) {
    const { siteId, sourceId } = parse(sourceParams, request.params);
    await deleteSource(deps, actorOf(request), siteId, sourceId, request.id);
    return reply.code(204).send();
  });

  // Live progress as server-sent events: `progress` whenever it changes, then `done`.
  app.get('/sites/:siteId/sources/:sourceId/events', { config: admin }, async function events(request, reply) {
    const actor = actorOf(request);
    const { siteId, sourceId } = parse(sourceParams, request.params);
    let last = await getSource(deps, actor, siteId, sourceId);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('progress', last);
    let closed = false;
    request.raw.on('close', () => (closed = true));
    const deadline = Date.now() + 60 * 60_000;
    let beat = Date.now();
    while (!closed && !finished.has(last.status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const now = await sourceSnapshot(deps, actor, siteId, sourceId).catch(() => undefined);
      if (now === null) break;
      if (now && JSON.stringify(now) !== JSON.stringify(last)) {
        last = now;
        send('progress', now);
      } else if (Date.now() - beat > 15_000) {
        res.write(': heartbeat\n\n');
        beat = Date.now();
      }
    }
    if (!closed) {
      send('done', { status: last.status });
      res.end();
    }
  });

  app.post('/sites/:siteId/search', { config: admin }, async function search(request) {
    return searchSite(deps, actorOf(request), parse(siteParams, request.params).siteId, parse(searchBody, request.body));
  });
}
