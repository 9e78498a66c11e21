-- The text leg in two steps, so the candidate scan sees its query as a constant: with the lexemes
-- in a CTE the planner could not estimate them and, on small sites, read every row of the site and
-- tested each one (~1,500 `@@` per query) instead of using the GIN index. Step 1 weights the query
-- lexemes (idf from site_terms, counted live when missing); step 2 scans the chunks matching any
-- selective lexeme (or all lexemes, when none is selective) and scores them.
-- Same contract as before: tenant and site checked inside, ids and scores out.
CREATE OR REPLACE FUNCTION cloop_search_text(p_site uuid, p_configs text[], p_query text, p_limit int)
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
