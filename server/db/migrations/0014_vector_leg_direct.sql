-- The vector leg without the iterative index scan when it cannot be needed (issue 4, bench:retrieval).
-- 0012 always turned on pgvector's iterative scan as a safety net for rows filtered out after the
-- index (chunks of another embedding model, while the re-embed job converts a site). With nothing
-- filtered it still cost 2–2.5 ms per search on a 57k-chunk site at ef_search 300 (10.0 → 7.5 ms).
-- `sites.embedding_model` names the model all of a site's chunks have once re-embedding is done, so
-- the scan is iterative only while the site's model differs from the question's. Same signature,
-- grants and SECURITY INVOKER (the sites row is read under RLS: another tenant's site reads as not
-- converted, and its chunks are filtered out by RLS either way).
CREATE OR REPLACE FUNCTION cloop_search_vector(p_site uuid, p_model text, p_query public.vector, p_limit int, p_ef_search int)
  RETURNS TABLE (id bigint, value float8)
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, public, pg_temp
  SET enable_sort = off
AS $$
BEGIN
  PERFORM set_config('hnsw.ef_search', p_ef_search::text, true), set_config('hnsw.max_scan_tuples', '20000', true),
    set_config('hnsw.iterative_scan', CASE WHEN EXISTS (SELECT 1 FROM public.sites s WHERE s.id = p_site AND s.embedding_model = p_model) THEN 'off' ELSE 'relaxed_order' END, true);
  RETURN QUERY EXECUTE $q$
    SELECT t.id, t.value FROM (
      SELECT c.id, (c.embedding <=> $2)::float8 AS value FROM public.chunks c
      WHERE c.site_id = $1 AND c.embedding_model = $3
      ORDER BY c.embedding <=> $2 LIMIT $4
    ) t ORDER BY t.value, t.id
  $q$ USING p_site, p_query, p_model, p_limit;
END $$;
