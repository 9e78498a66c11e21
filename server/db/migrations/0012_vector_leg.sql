-- The vector leg of a site with its own HNSW index (issue 4, bench:retrieval). As cloop_app the row
-- estimate of `site_id = … AND <RLS tenant qual> AND embedding_model = …` is far too low (526 rows for a
-- site of 8,000), so the planner sorted the site's rows instead of using the site's HNSW index: exact
-- scans at 2.3–6× the CPU on sites of 4,000–8,000 chunks. Here sorting is off while the query is planned
-- (the function's SET clause, restored on return), so the only plan without a sort is the site's index;
-- without that index (not built yet) the query still sorts: slower, never wrong. SECURITY INVOKER: it
-- runs as the caller, under RLS. EXECUTE with the site as a constant, so the partial index matches.
CREATE FUNCTION cloop_search_vector(p_site uuid, p_model text, p_query public.vector, p_limit int, p_ef_search int)
  RETURNS TABLE (id bigint, value float8)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, public, pg_temp
  SET enable_sort = off
AS $$
BEGIN
  -- The index's candidate list; iterative scan only as a safety net (rows of another model filtered out).
  PERFORM set_config('hnsw.ef_search', p_ef_search::text, true), set_config('hnsw.iterative_scan', 'relaxed_order', true),
    set_config('hnsw.max_scan_tuples', '20000', true);
  RETURN QUERY EXECUTE $q$
    SELECT t.id, t.value FROM (
      SELECT c.id, (c.embedding <=> $2)::float8 AS value FROM public.chunks c
      WHERE c.site_id = $1 AND c.embedding_model = $3
      ORDER BY c.embedding <=> $2 LIMIT $4
    ) t ORDER BY t.value, t.id
  $q$ USING p_site, p_query, p_model, p_limit;
END $$;
REVOKE ALL ON FUNCTION cloop_search_vector(uuid, text, public.vector, int, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cloop_search_vector(uuid, text, public.vector, int, int) TO cloop_app;
