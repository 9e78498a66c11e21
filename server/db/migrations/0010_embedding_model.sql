-- Which model made each chunk's vector. Retrieval compares a question only with vectors of the
-- model that embedded it, and after a change of embedding model the re-embed job
-- (server/knowledge/reembed.ts) converts each site's chunks; `sites.embedding_model` then names
-- the model all of the site's chunks have.
ALTER TABLE chunks ADD COLUMN embedding_model text;
UPDATE chunks c SET embedding_model = s.embedding_model FROM sites s WHERE s.id = c.site_id;
ALTER TABLE chunks ALTER COLUMN embedding_model SET NOT NULL;
