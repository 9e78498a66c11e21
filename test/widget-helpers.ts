import type { FastifyInstance, InjectOptions } from 'fastify';
import type { ChatEvent } from '../contracts/widget.ts';
import type { Deps } from '../server/deps.ts';
import { chunkDocument, embeddingInput } from '../server/knowledge/chunk/chunk.ts';
import { contentHash, storeDocument } from '../server/knowledge/store.ts';
import { withTenant } from '../server/db/tenant.ts';

/** Indexes small pages straight into a site (the crawler has its own tests): title → text. */
export async function seedPages(deps: Pick<Deps, 'database' | 'embedder'>, tenantId: string, siteId: string, pages: { url: string; title: string; text: string }[]): Promise<void> {
  const source = await withTenant(deps.database.db, tenantId, (tx) =>
    tx.insertInto('sources').values({ tenant_id: tenantId, site_id: siteId, kind: 'website', url: pages[0]!.url, status: 'ready' }).returning('id').executeTakeFirstOrThrow(),
  );
  for (const p of pages) {
    const sections = [{ headingPath: [p.title], text: p.text }];
    const doc = { title: p.title, language: 'en', sections };
    const chunks = chunkDocument(doc);
    const { vectors } = await deps.embedder.embed(chunks.map((c) => embeddingInput(p.title, c.headingPath, c.text)), { purpose: 'document' });
    await storeDocument(deps.database.db, { tenantId, siteId, sourceId: source.id, url: p.url, title: p.title, language: 'en', hash: contentHash(sections), etag: null, lastModified: null, tsConfig: 'english', chunks, vectors, embeddingModel: deps.embedder.model, generation: 1, links: [] });
  }
}

/** Parses a server-sent-events body into chat events. */
export function parseEvents(body: string): ChatEvent[] {
  return body
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => Boolean(l))
    .map((l) => JSON.parse(l.slice(6)) as ChatEvent);
}

/** A widget client for tests: key, origin and (after `session`) the visitor token. */
export function widgetClient(app: FastifyInstance, embedKey: string, origin: string) {
  let token = '';
  let visitorId: string | undefined;
  const headers = () => ({ 'x-cloop-key': embedKey, origin, ...(token ? { authorization: `Bearer ${token}` } : {}) });
  return {
    get token() {
      return token;
    },
    get visitorId() {
      return visitorId;
    },
    async session(previous?: string) {
      const res = await app.inject({ method: 'POST', url: '/widget/v1/session', headers: headers(), payload: previous ? { visitorId: previous } : {} });
      if (res.statusCode !== 200) throw new Error(`session ${res.statusCode} ${res.body}`);
      ({ token, visitorId } = res.json());
      return res.json() as { token: string; visitorId: string; expiresIn: number };
    },
    async chat(message: string, extra: { conversationId?: string; pageUrl?: string; language?: string } = {}) {
      const res = await app.inject({ method: 'POST', url: '/widget/v1/chat', headers: headers(), payload: { message, ...extra } });
      return { res, events: res.statusCode === 200 ? parseEvents(res.body) : [] };
    },
    inject: (opts: InjectOptions) => app.inject({ ...opts, headers: { ...headers(), ...((opts.headers as Record<string, string> | undefined) ?? {}) } }),
  };
}
