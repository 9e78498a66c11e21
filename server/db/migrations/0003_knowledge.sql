-- Knowledge base: sources (website, page, file), documents (one page or file), chunks (the
-- retrievable passages with a vector and a full-text vector). Every table is tenant-scoped with
-- forced RLS, and every query also filters by site.

ALTER TABLE sites ADD COLUMN embedding_model text NOT NULL DEFAULT 'cloop-local-hash-v1';
ALTER TABLE sites ADD COLUMN embedding_dim int NOT NULL DEFAULT 384;

CREATE TABLE sources (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('website', 'page', 'file')),
  url text,
  include_patterns text[] NOT NULL DEFAULT '{}',
  exclude_patterns text[] NOT NULL DEFAULT '{}',
  max_pages int NOT NULL DEFAULT 50,
  max_depth int NOT NULL DEFAULT 5,
  file_key text,
  file_name text,
  file_size bigint,
  file_kind text,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'crawling', 'processing', 'ready', 'failed', 'cancelled')),
  progress jsonb NOT NULL DEFAULT '{}',
  error text,
  generation int NOT NULL DEFAULT 0,
  last_sync_at timestamptz,
  next_sync_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sources_site ON sources (site_id, created_at DESC);
CREATE INDEX sources_next_sync ON sources (next_sync_at) WHERE next_sync_at IS NOT NULL;

CREATE TABLE documents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  source_id uuid NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
  url text NOT NULL,
  title text NOT NULL DEFAULT '',
  language text,
  content_hash text,
  etag text,
  last_modified text,
  status text NOT NULL DEFAULT 'indexed' CHECK (status IN ('indexed', 'skipped', 'failed')),
  reason text,
  chunk_count int NOT NULL DEFAULT 0,
  generation int NOT NULL DEFAULT 0,
  fetched_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_id, url)
);
CREATE INDEX documents_site_hash ON documents (site_id, content_hash);

CREATE TABLE chunks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  site_id uuid NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  ordinal int NOT NULL,
  text text NOT NULL,
  heading_path text[] NOT NULL DEFAULT '{}',
  url text NOT NULL,
  title text NOT NULL DEFAULT '',
  page int,
  ts_config regconfig NOT NULL DEFAULT 'simple',
  -- title (A), heading path (B) and text (C) in the chunk's language; computed on insert
  tsv tsvector NOT NULL,
  embedding vector(384),
  UNIQUE (document_id, ordinal)
);
ALTER TABLE chunks ALTER COLUMN embedding SET STORAGE PLAIN;
CREATE INDEX chunks_site ON chunks (site_id);
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

GRANT SELECT, INSERT, UPDATE, DELETE ON sources, documents, chunks TO cloop_app, cloop_system;

ALTER TABLE sources ENABLE ROW LEVEL SECURITY;
ALTER TABLE sources FORCE ROW LEVEL SECURITY;
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
ALTER TABLE chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE chunks FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON sources TO cloop_app USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());
CREATE POLICY tenant_isolation ON documents TO cloop_app USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());
CREATE POLICY tenant_isolation ON chunks TO cloop_app USING (tenant_id = cloop_tenant_id()) WITH CHECK (tenant_id = cloop_tenant_id());
CREATE POLICY system_access ON sources TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON documents TO cloop_system USING (true) WITH CHECK (true);
CREATE POLICY system_access ON chunks TO cloop_system USING (true) WITH CHECK (true);

-- Chunks per site, kept by the indexer: retrieval picks an exact scan for small sites.
ALTER TABLE sites ADD COLUMN chunk_count int NOT NULL DEFAULT 0;
