import type { z } from 'zod';
import { siteSettings } from '../../contracts/sites.ts';
import type { searchBody } from '../../contracts/knowledge.ts';
import { authorize, type Actor } from '../auth/permissions.ts';
import { isUuid, withTenant } from '../db/tenant.ts';
import type { Deps } from '../deps.ts';
import { appError } from '../errors.ts';
import { hybridSearch, type SearchHit } from './retrieval.ts';

/** Searches a site's knowledge base exactly as the chat will: the query is embedded first (no transaction open). */
export async function searchSite(deps: Pick<Deps, 'database' | 'embedder'>, actor: Actor, siteId: string, body: z.output<typeof searchBody>): Promise<{ items: SearchHit[] }> {
  authorize(actor, 'knowledge.read');
  if (!isUuid(siteId)) throw appError('site_not_found');
  const { vectors } = await deps.embedder.embed([body.query], { purpose: 'query' });
  const items = await withTenant(deps.database.db, actor.tenantId, async (tx) => {
    const site = await tx.selectFrom('sites').select(['id', 'settings', 'chunk_count']).where('id', '=', siteId).executeTakeFirst();
    if (!site) throw appError('site_not_found');
    const languages = siteSettings.parse(site.settings).languages;
    return hybridSearch(tx, { id: site.id, languages, chunkCount: site.chunk_count }, { text: body.query, vector: vectors[0]!, model: deps.embedder.model }, { limit: body.limit, mode: body.mode, aside: { database: deps.database, tenantId: actor.tenantId } });
  });
  return { items };
}
