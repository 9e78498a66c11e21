-- The text leg, faster on large sites (bench:retrieval, 57k-chunk site): document frequencies by
-- primary-key probes instead of a join over the site's whole site_terms, and candidates scored from
-- the rows already read. Large sites also get their own partial GIN index (knowledge-site-upkeep job,
-- like their HNSW index), so a lexeme's candidates are not intersected with the site's whole row list.
-- Same contract as before: tenant and site checked inside, ids and scores out.

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
      -- One primary-key probe per query lexeme (a join read all of a large site's terms).
      SELECT t.tq, coalesce(
        (SELECT s.ndoc FROM public.site_terms s WHERE s.site_id = $1 AND s.lexeme = t.lexeme AND s.tenant_id = $2),
        (SELECT count(*) FROM (SELECT 1 FROM public.chunks c WHERE c.site_id = $1 AND c.tenant_id = $2 AND c.tsv @@ t.tq LIMIT $6) m)
      )::float8 AS df
      FROM terms t
    ), w AS (
      SELECT tq, ln(1 + (greatest($5::float8, df) - df + 0.5) / (df + 0.5)) AS idf, df < $6 AS selective
      FROM counted WHERE df > 0
    ), candidates AS MATERIALIZED (
      -- The candidates carry their tsv: scoring does not fetch the rows a second time.
      SELECT DISTINCT ON (u.id) u.id, u.tsv FROM (
        SELECT c.id, c.tsv FROM public.chunks c JOIN w ON c.tsv @@ w.tq
        WHERE w.selective AND c.site_id = $1 AND c.tenant_id = $2
        UNION ALL
        SELECT c.id, c.tsv FROM public.chunks c
        WHERE NOT EXISTS (SELECT 1 FROM w WHERE w.selective) AND c.site_id = $1 AND c.tenant_id = $2 AND c.tsv @@ $7
      ) u ORDER BY u.id
    )
    SELECT x.id, sum(w.idf * ts_rank('{0.1,0.5,0.7,1.0}'::float4[], x.tsv, w.tq, 0))::float8 AS score
    FROM candidates x JOIN w ON x.tsv @@ w.tq
    GROUP BY x.id ORDER BY score DESC, x.id LIMIT $8
  $q$ USING p_site, v_tenant, coalesce(p_configs, '{simple}'::text[]), v_text, v_chunks, v_common, v_all, least(p_limit, 500);
END $$;
REVOKE ALL ON FUNCTION cloop_search_text(uuid, text[], text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cloop_search_text(uuid, text[], text, int) TO cloop_app;
