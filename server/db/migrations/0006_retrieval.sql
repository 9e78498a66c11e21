-- Retrieval (issue 4 figures): per-site lexeme statistics for a BM25-like full-text leg, the
-- full-text leg as a SECURITY DEFINER function (so `@@` can use the GIN index although RLS stays
-- on), and per-site partial HNSW indexes (built by the `knowledge-site-upkeep` job) instead of one
-- global HNSW index.

-- How many of a site's chunks contain each lexeme (document frequency), kept exact by the
-- statement-level triggers below. Rows may reach ndoc = 0 (a lexeme no chunk has any more); the
-- search ignores them and they go with the site.
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

INSERT INTO site_terms (tenant_id, site_id, lexeme, ndoc)
  SELECT c.tenant_id, c.site_id, l.lexeme, count(*) FROM chunks c, unnest(tsvector_to_array(c.tsv)) l (lexeme) GROUP BY 1, 2, 3;

-- One statement (≤ 200 chunks from storeDocument) costs one grouped upsert, not one per row. They run
-- as the invoking role, so RLS checks their writes like any other. A per-site advisory lock orders
-- concurrent writers of one site: the delete and insert of a re-indexed document would otherwise
-- take row locks of common lexemes in two steps and could deadlock with another document.
CREATE FUNCTION cloop_site_terms_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7246006, hashtext(s.site_id::text)) FROM (SELECT DISTINCT site_id FROM added ORDER BY 1) s;
  INSERT INTO site_terms AS t (tenant_id, site_id, lexeme, ndoc)
    SELECT a.tenant_id, a.site_id, l.lexeme, count(*) FROM added a, unnest(tsvector_to_array(a.tsv)) l (lexeme)
    GROUP BY 1, 2, 3 ORDER BY 2, 3
  ON CONFLICT (site_id, lexeme) DO UPDATE SET ndoc = t.ndoc + excluded.ndoc;
  RETURN NULL;
END $$;

CREATE FUNCTION cloop_site_terms_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7246006, hashtext(s.site_id::text)) FROM (SELECT DISTINCT site_id FROM removed ORDER BY 1) s;
  UPDATE site_terms t SET ndoc = greatest(0, t.ndoc - r.n)
    FROM (SELECT site_id, l.lexeme, count(*) AS n FROM removed, unnest(tsvector_to_array(tsv)) l (lexeme) GROUP BY 1, 2) r
    WHERE t.site_id = r.site_id AND t.lexeme = r.lexeme;
  RETURN NULL;
END $$;

CREATE FUNCTION cloop_site_terms_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7246006, hashtext(s.site_id::text)) FROM (SELECT site_id FROM removed UNION SELECT site_id FROM added ORDER BY 1) s;
  UPDATE site_terms t SET ndoc = greatest(0, t.ndoc - r.n)
    FROM (SELECT site_id, l.lexeme, count(*) AS n FROM removed, unnest(tsvector_to_array(tsv)) l (lexeme) GROUP BY 1, 2) r
    WHERE t.site_id = r.site_id AND t.lexeme = r.lexeme;
  INSERT INTO site_terms AS t (tenant_id, site_id, lexeme, ndoc)
    SELECT a.tenant_id, a.site_id, l.lexeme, count(*) FROM added a, unnest(tsvector_to_array(a.tsv)) l (lexeme)
    GROUP BY 1, 2, 3 ORDER BY 2, 3
  ON CONFLICT (site_id, lexeme) DO UPDATE SET ndoc = t.ndoc + excluded.ndoc;
  RETURN NULL;
END $$;

CREATE TRIGGER site_terms_added AFTER INSERT ON chunks REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION cloop_site_terms_added();
CREATE TRIGGER site_terms_removed AFTER DELETE ON chunks REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION cloop_site_terms_removed();
CREATE TRIGGER site_terms_changed AFTER UPDATE ON chunks REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION cloop_site_terms_changed();

-- The full-text leg. Under RLS the planner may not use a non-LEAKPROOF operator such as `@@`
-- (ts_match_vq) in an index scan, so as cloop_app every text search read the whole site. This
-- function runs as its owner (the migration role, which bypasses RLS) and enforces the tenant
-- itself: it answers only for a site of the tenant bound to the transaction (cloop_tenant_id()),
-- reads only rows with that site and tenant, and returns chunk ids and scores, nothing else.
-- Scoring (BM25-like, measured by eval:retrieval): every query lexeme in every language of the site
-- is its own term; idf from site_terms; a chunk scores sum(idf × ts_rank({0.1,0.5,0.7,1.0}, tsv,
-- term)) without length normalization. A lexeme in ≥ min(2000, max(50, 20 % of the site's
-- chunks)) chunks still scores but does not bring candidates (it would walk its whole posting
-- list); when every lexeme is that common, the chunks matching all of them are the candidates.
CREATE FUNCTION cloop_search_text(p_site uuid, p_configs text[], p_query text, p_limit int)
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
    ), w AS (
      SELECT t.tq, ln(1 + (greatest($5::float8, s.ndoc) - s.ndoc + 0.5) / (s.ndoc + 0.5)) AS idf, s.ndoc < $6 AS selective
      FROM terms t JOIN public.site_terms s ON s.site_id = $1 AND s.tenant_id = $2 AND s.lexeme = t.lexeme
      WHERE s.ndoc > 0
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

-- Vectors: small sites are scanned exactly; a site with ≥ 5,000 chunks gets its own partial HNSW
-- index (knowledge/site-upkeep.system.ts), so the one global index is no longer needed (and no longer
-- slows every chunk insert).
DROP INDEX IF EXISTS chunks_embedding;
