import { sql } from 'kysely';
import type { TenantTx } from '../server/db/tenant.ts';
import { proposedText, textLeg, type TextLegOptions } from './retrieval-proposed.ts';

// Alternative full-text legs for eval:retrieval's diagnosis, run inside the same tenant transaction
// and on the same chunks as hybridSearch. Each returns chunk ids, best first.

/** How one variant ranks: the current OR query with cover density, or the proposed IDF-weighted leg. */
export type TextVariant = { kind: 'current' } | { kind: 'proposed'; options: TextLegOptions };

/** The variants eval:retrieval compares (the proposal, and the proposal with PostgreSQL's default weights). */
export const textVariants: Record<string, TextVariant> = {
  'current (ts_rank_cd, OR)': { kind: 'current' },
  'proposed: idf x ts_rank': { kind: 'proposed', options: proposedText },
  'proposed, default weights': { kind: 'proposed', options: { ...proposedText, weights: [0.1, 0.2, 0.4, 1.0] } },
  'proposed, length-normalized': { kind: 'proposed', options: { ...proposedText, normalization: 1 } },
};

/** Ranks the site's chunks for `text` with one variant (English sites). */
export async function textVariant(tx: TenantTx, site: { id: string; chunkCount: number }, text: string, k: number, variant: TextVariant): Promise<number[]> {
  if (variant.kind === 'proposed') return (await textLeg(tx, { ...site, languages: ['en'] }, text, k, variant.options)).map((r) => r.id);
  // textCandidates' query for one language, as in server/knowledge/retrieval.ts.
  const { rows } = await sql<{ id: number }>`
    with q as (select to_tsquery('english'::regconfig, replace(plainto_tsquery('english'::regconfig, ${text.slice(0, 1000)})::text, ' & ', ' | ')) as query)
    select c.id from chunks c, q where c.site_id = ${site.id} and c.tsv @@ q.query
    order by ts_rank_cd(c.tsv, q.query, 1) desc, c.id limit ${k}`.execute(tx);
  return rows.map((r) => r.id);
}
