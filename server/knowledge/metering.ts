import type { TenantTx } from '../db/tenant.ts';
import type { EmbedUsage } from '../platform/embeddings/embedder.ts';

/** Records one embeddings call in `ai_usage` (provider calls only: the local embedder costs nothing and calls no one). */
export async function meterEmbedding(tx: TenantTx, tenantId: string, siteId: string, model: string, usage: EmbedUsage): Promise<void> {
  if (model.startsWith('cloop-local') || (usage.inputTokens === 0 && usage.costUsd === 0)) return;
  await tx
    .insertInto('ai_usage')
    .values({ tenant_id: tenantId, site_id: siteId, purpose: 'embedding', provider: 'openai', model, input_tokens: usage.inputTokens, output_tokens: 0, cost_usd: String(usage.costUsd) })
    .execute();
}
