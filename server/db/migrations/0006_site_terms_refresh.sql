-- site_terms is refreshed per site by the knowledge-site-upkeep job (after a sync, every 5 minutes)
-- instead of by the statement-level triggers of 0006_retrieval: those upserted every lexeme of every
-- stored chunk inside the ingest transaction and made storeDocument ~1.5–3× slower on PGlite
-- (8 chunks × 300 words: ~65 → ~180 ms per document, measured on a loaded 2-core machine).
-- Between refreshes the statistics are approximate; lexemes they do not know yet are counted live.

-- cloop_search_text reads past RLS as its owner, the migration role: without BYPASSRLS (or superuser)
-- forced RLS would hide every row from it and search would silently find nothing.
DO $$ BEGIN
  IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'the migration role % needs BYPASSRLS (cloop_search_text runs as it)', current_user;
  END IF;
END $$;

DROP TRIGGER IF EXISTS site_terms_added ON chunks;
DROP TRIGGER IF EXISTS site_terms_removed ON chunks;
DROP TRIGGER IF EXISTS site_terms_changed ON chunks;
DROP FUNCTION IF EXISTS cloop_site_terms_added();
DROP FUNCTION IF EXISTS cloop_site_terms_removed();
DROP FUNCTION IF EXISTS cloop_site_terms_changed();

-- When site_terms was last counted for the site, and how many chunks it had then.
ALTER TABLE sites ADD COLUMN IF NOT EXISTS terms_chunk_count int NOT NULL DEFAULT 0;
ALTER TABLE sites ADD COLUMN IF NOT EXISTS terms_refreshed_at timestamptz;
UPDATE sites SET terms_chunk_count = chunk_count, terms_refreshed_at = now();

-- As in 0006_retrieval (same contract, tenant and site checked inside), plus: a query lexeme missing
-- from site_terms (content stored since the last refresh) has its document frequency counted
-- through the GIN index, at most up to the "common" bound.
CREATE OR REPLACE FUNCTION cloop_search_text(p_site uuid, p_configs text[], p_query text, p_limit int)
  RETURNS TABLE (id bigint, score float8)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tenant uuid := public.cloop_tenant_id();
  v_chunks int;
  v_common int;
  v_all tsquery;
  v_config regconfig;
  v_text text := left(coalesce(p_query, ''), 1000);
BEGIN
  IF v_tenant IS NULL OR p_site IS NULL OR p_limit IS NULL OR p_limit < 1 THEN RETURN; END IF;
  SELECT s.chunk_count INTO v_chunks FROM public.sites s WHERE s.id = p_site AND s.tenant_id = v_tenant;
  IF NOT FOUND THEN RETURN; END IF;
  v_chunks := greatest(v_chunks, 1);
  v_common := least(2000, greatest(50, round(0.2 * v_chunks)::int));
  FOREACH v_config IN ARRAY coalesce(p_configs, '{simple}'::text[]) LOOP
    v_all := CASE WHEN v_all IS NULL THEN plainto_tsquery(v_config, v_text) ELSE v_all || plainto_tsquery(v_config, v_text) END;
  END LOOP;
  -- EXECUTE: planned with these values each time (the GIN index, the site's row estimates).
  RETURN QUERY EXECUTE $q$
    WITH terms AS (
      SELECT DISTINCT l.lexeme, quote_literal(l.lexeme)::tsquery AS tq
      FROM unnest($3::regconfig[]) cfg, unnest(tsvector_to_array(to_tsvector(cfg, $4))) l (lexeme)
    ), counted AS (
      SELECT t.tq, coalesce(s.ndoc, (
        SELECT count(*) FROM (SELECT 1 FROM public.chunks c WHERE c.site_id = $1 AND c.tenant_id = $2 AND c.tsv @@ t.tq LIMIT $6) m
      ))::float8 AS df
      FROM terms t LEFT JOIN public.site_terms s ON s.site_id = $1 AND s.tenant_id = $2 AND s.lexeme = t.lexeme
    ), w AS (
      SELECT tq, ln(1 + (greatest($5::float8, df) - df + 0.5) / (df + 0.5)) AS idf, df < $6 AS selective
      FROM counted WHERE df > 0
    ), candidates AS (
      SELECT c.id FROM public.chunks c JOIN w ON c.tsv @@ w.tq
      WHERE w.selective AND c.site_id = $1 AND c.tenant_id = $2
      UNION
      SELECT c.id FROM public.chunks c
      WHERE NOT EXISTS (SELECT 1 FROM w WHERE w.selective) AND c.site_id = $1 AND c.tenant_id = $2 AND c.tsv @@ $7
    )
    SELECT c.id, sum(w.idf * ts_rank('{0.1,0.5,0.7,1.0}'::float4[], c.tsv, w.tq, 0))::float8 AS score
    FROM candidates x JOIN public.chunks c ON c.id = x.id AND c.site_id = $1 AND c.tenant_id = $2 JOIN w ON c.tsv @@ w.tq
    GROUP BY c.id ORDER BY score DESC, c.id LIMIT $8
  $q$ USING p_site, v_tenant, coalesce(p_configs, '{simple}'::text[]), v_text, v_chunks, v_common, v_all, least(p_limit, 500);
END $$;
REVOKE ALL ON FUNCTION cloop_search_text(uuid, text[], text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cloop_search_text(uuid, text[], text, int) TO cloop_app;
