-- The full-text leg with bounded work (issue 4, bench:retrieval): same signature, tenant and site
-- checks and BM25-like scores as in 0006 (EXECUTE grants and the owner stay), three changes, measured
-- with EXPLAIN (ANALYZE, BUFFERS) on the bench database:
-- 1. chunks.tsv is stored out of line (TOAST: embedding, text and tsv pass 2 kB per row) and every
--    reference fetched it again: per candidate once per lexeme for `@@` and once more for ts_rank
--    (~25 buffers per candidate, 41 ms for 376 candidates on a 57k-chunk site). The candidate scan now
--    detoasts it once (`|| ''`) and one expression sums idf × ts_rank (0 for a missing lexeme).
-- 2. Candidates are bounded: the rarest selective lexemes bring all their chunks while their
--    document frequencies add up to ≤ 400 (the rarest always); each further selective lexeme (up to
--    6) only together with another of those; at most 2,000 rows are read in any case (a query of
--    common words only). Before, every chunk with any lexeme of df < 2,000 was scored (up to ~8,000).
--    On bench:retrieval's queries the top 10 is the unbounded ranking's in 99.9 %, the top 40 in 98 %.
-- 3. The per-row tenant check is written so that no index serves it (IS NOT DISTINCT FROM): as `=`
--    the planner ANDed in chunks_tenant's bitmap (all 58k rows of a large tenant, ~4 ms) or, on a
--    small site, read every row of the site and detoasted each tsv to test `@@`.
CREATE OR REPLACE FUNCTION cloop_search_text(p_site uuid, p_configs text[], p_query text, p_limit int)
  RETURNS TABLE (id bigint, score float8)
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c_budget constant int := 400;
  c_pair_terms constant int := 6;
  c_scan_cap constant int := 2000;
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
  v_dfs float8[];
  v_candidates tsquery;
  v_rest tsquery[] := '{}';
  v_taken float8 := 0;
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
    ), counted AS MATERIALIZED (
      SELECT t.tq, coalesce(
        (SELECT s.ndoc FROM public.site_terms s WHERE s.site_id = $1 AND s.lexeme = t.lexeme AND s.tenant_id = $2),
        (SELECT count(*) FROM (SELECT 1 FROM public.chunks c WHERE c.site_id = $1 AND c.tenant_id = $2 AND c.tsv @@ t.tq LIMIT $6) m)
      )::float8 AS df
      FROM terms t
    )
    SELECT array_agg(tq), array_agg(ln(1 + (greatest($5::float8, df) - df + 0.5) / (df + 0.5))),
      array_agg(tq ORDER BY df, tq::text) FILTER (WHERE df < $6), array_agg(df ORDER BY df, tq::text) FILTER (WHERE df < $6)
    FROM counted WHERE df > 0
  $q$ INTO v_tqs, v_idfs, v_selective, v_dfs USING p_site, v_tenant, v_configs, v_text, v_chunks, v_common;
  IF v_tqs IS NULL THEN RETURN; END IF;
  -- The rarest selective lexemes bring all their chunks while their document frequencies add up to
  -- at most c_budget (the rarest always); each further one only together with another of them.
  FOR i IN 1 .. coalesce(array_length(v_selective, 1), 0) LOOP
    IF i = 1 OR v_taken + v_dfs[i] <= c_budget THEN
      v_candidates := CASE WHEN v_candidates IS NULL THEN v_selective[i] ELSE v_candidates || v_selective[i] END;
      v_taken := v_taken + v_dfs[i];
    ELSIF array_length(v_rest, 1) IS NULL OR array_length(v_rest, 1) < c_pair_terms THEN
      v_rest := v_rest || v_selective[i];
    END IF;
  END LOOP;
  FOR i IN 1 .. coalesce(array_length(v_rest, 1), 0) LOOP
    FOR j IN i + 1 .. array_length(v_rest, 1) LOOP
      v_candidates := v_candidates || (v_rest[i] && v_rest[j]);
    END LOOP;
  END LOOP;
  -- Step 2: candidates through the GIN index (the site's own for a large site), each tsv detoasted
  -- once, then scored. The site and tenant were checked above; every row is filtered by both again.
  RETURN QUERY EXECUTE $q$
    WITH w AS (SELECT * FROM unnest($3::tsquery[], $4::float8[]) AS w (tq, idf)),
    candidates AS MATERIALIZED (
      SELECT c.id, c.tsv || ''::tsvector AS tsv FROM public.chunks c
      WHERE c.site_id = $1 AND c.tenant_id IS NOT DISTINCT FROM $2 AND c.tsv @@ $5
      LIMIT $7
    )
    SELECT x.id, (SELECT sum(w.idf * ts_rank('{0.1,0.5,0.7,1.0}'::float4[], x.tsv, w.tq, 0)) FROM w)::float8 AS score
    FROM candidates x
    ORDER BY score DESC, x.id LIMIT $6
  $q$ USING p_site, v_tenant, v_tqs, v_idfs, coalesce(v_candidates, v_all), least(p_limit, 500), c_scan_cap;
END $$;
