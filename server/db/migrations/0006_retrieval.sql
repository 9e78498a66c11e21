-- Retrieval (issue 4): per-site lexeme statistics for a BM25-like full-text leg, the full-text leg
-- as a SECURITY DEFINER function (so `@@` can use the GIN index although RLS stays on), and per-site
-- partial HNSW and GIN indexes (built by the `knowledge-site-upkeep` job) instead of one global HNSW
-- index. (During development this was four files; they were folded into this one before it shipped.)

-- How many of a site's chunks contain each lexeme (document frequency). The knowledge-site-upkeep job
-- recounts a site after a sync and every 5 minutes (site-upkeep.system.ts refreshSiteTerms); nothing
-- is added to the ingest transaction (statement-level triggers that kept it exact made storeDocument
-- ~1.5–3× slower on PGlite). Between counts the weights lag; unknown lexemes are counted live.
CREATE TABLE site_terms (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  lexeme text NOT NULL,
  ndoc int NOT NULL,
  PRIMARY KEY (site_id, lexeme)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON site_terms TO cloop_app, cloop_system;
ALTER TABLE site_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE site_terms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON site_terms TO cloop_app USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());
CREATE POLICY system_access ON site_terms TO cloop_system USING (true) WITH CHECK (true);

-- When site_terms was last counted for the site, and how many chunks it had then.
ALTER TABLE sites ADD COLUMN IF NOT EXISTS terms_chunk_count int NOT NULL DEFAULT 0;
ALTER TABLE sites ADD COLUMN IF NOT EXISTS terms_refreshed_at timestamptz;

-- cloop_search_text reads past RLS as its owner, the migration role: without BYPASSRLS (or superuser)
-- forced RLS would hide every row from it and search would silently find nothing.
DO $$ BEGIN
  IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'the migration role % needs BYPASSRLS (cloop_search_text runs as it)', current_user;
  END IF;
END $$;

-- The full-text leg. Under RLS the planner may not use a non-LEAKPROOF operator such as `@@`
-- (ts_match_vq) in an index scan, so as cloop_app every text search read the whole site. This
-- function runs as its owner (the migration role, which bypasses RLS) and enforces the tenant
-- itself: it answers only for a site of the tenant bound to the transaction (cloop_tenant_id()),
-- reads only rows with that site and tenant, and returns chunk ids and scores, nothing else.
-- Scoring (BM25-like, measured by eval:retrieval): every query lexeme in every language of the site
-- is its own term; idf from site_terms (counted live through the GIN index, capped, when missing); a
-- chunk scores sum(idf × ts_rank({0.1,0.5,0.7,1.0}, tsv, term)) without length normalization. A
-- lexeme in ≥ min(2000, max(50, 20 % of the site's chunks)) chunks still scores but does not bring
-- candidates; when every lexeme is that common, the chunks matching all of them are the candidates.
-- Two steps, so the candidate scan sees its query as a constant (with the lexemes in a CTE the planner
-- read every row of small sites instead of using the GIN index).
CREATE FUNCTION cloop_search_text(p_site uuid, p_configs text[], p_query text, p_limit int)
  RETURNS TABLE (id bigint, score float8)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  v_tenant uuid := public.cloop_tenant_id();
  v_configs text[] := coalesce(p_configs, '{simple}'::text[]);
  v_chunks int;
  v_common int;
  v_all tsquery;
  v_config regconfig;
  v_text text := left(coalesce(p_query, ''), 1000);
  v_tqs tsquery[];
  v_idfs float8[];
  v_selective tsquery[];
  v_candidates tsquery;
  v_tq tsquery;
BEGIN
  IF v_tenant IS NULL OR p_site IS NULL OR p_limit IS NULL OR p_limit < 1 THEN RETURN; END IF;
  SELECT s.chunk_count INTO v_chunks FROM public.sites s WHERE s.id = p_site AND s.tenant_id = v_tenant;
  IF NOT FOUND THEN RETURN; END IF;
  v_chunks := greatest(v_chunks, 1);
  v_common := least(2000, greatest(50, round(0.2 * v_chunks)::int));
  FOREACH v_config IN ARRAY v_configs LOOP
    v_all := CASE WHEN v_all IS NULL THEN plainto_tsquery(v_config, v_text) ELSE v_all || plainto_tsquery(v_config, v_text) END;
  END LOOP;
  -- Step 1: each query lexeme's document frequency in the site (a primary-key probe, or a capped count).
  EXECUTE $q$
    WITH terms AS (
      -- Each lexeme as a one-word tsquery, quoted and escaped as tsquery input wants.
      SELECT DISTINCT ('''' || replace(replace(l.lexeme, '\', '\\'), '''', '''''') || '''')::tsquery AS tq, l.lexeme
      FROM unnest($3::regconfig[]) cfg, unnest(tsvector_to_array(to_tsvector(cfg, $4))) l (lexeme)
    ), counted AS (
      SELECT t.tq, coalesce(
        (SELECT s.ndoc FROM public.site_terms s WHERE s.site_id = $1 AND s.lexeme = t.lexeme AND s.tenant_id = $2),
        (SELECT count(*) FROM (SELECT 1 FROM public.chunks c WHERE c.site_id = $1 AND c.tenant_id = $2 AND c.tsv @@ t.tq LIMIT $6) m)
      )::float8 AS df
      FROM terms t
    )
    SELECT array_agg(tq), array_agg(ln(1 + (greatest($5::float8, df) - df + 0.5) / (df + 0.5))), array_agg(tq) FILTER (WHERE df < $6)
    FROM counted WHERE df > 0
  $q$ INTO v_tqs, v_idfs, v_selective USING p_site, v_tenant, v_configs, v_text, v_chunks, v_common;
  IF v_tqs IS NULL THEN RETURN; END IF;
  FOREACH v_tq IN ARRAY coalesce(v_selective, '{}'::tsquery[]) LOOP
    v_candidates := CASE WHEN v_candidates IS NULL THEN v_tq ELSE v_candidates || v_tq END;
  END LOOP;
  -- Step 2: candidates through the GIN index (the site's own for a large site), scored from the rows read.
  RETURN QUERY EXECUTE $q$
    WITH w AS (SELECT * FROM unnest($3::tsquery[], $4::float8[]) AS w (tq, idf)),
    candidates AS MATERIALIZED (
      SELECT c.id, c.tsv FROM public.chunks c WHERE c.site_id = $1 AND c.tenant_id = $2 AND c.tsv @@ $5
    )
    SELECT x.id, sum(w.idf * ts_rank('{0.1,0.5,0.7,1.0}'::float4[], x.tsv, w.tq, 0))::float8 AS score
    FROM candidates x JOIN w ON x.tsv @@ w.tq
    GROUP BY x.id ORDER BY score DESC, x.id LIMIT $6
  $q$ USING p_site, v_tenant, v_tqs, v_idfs, coalesce(v_candidates, v_all), least(p_limit, 500);
END $$;
REVOKE ALL ON FUNCTION cloop_search_text(uuid, text[], text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cloop_search_text(uuid, text[], text, int) TO cloop_app;

-- Vectors: small sites are scanned exactly; a site with ≥ 5,000 chunks gets its own partial HNSW
-- index (knowledge/site-upkeep.system.ts), so the one global index is no longer needed (and no longer
-- slows every chunk insert).
DROP INDEX IF EXISTS chunks_embedding;
