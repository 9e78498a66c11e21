-- The full-text leg's index is keyed by site (issue 4, bench:retrieval). The table-wide GIN index on
-- tsv held each lexeme's matches across every site: a query on a small site read the long lists of
-- words common elsewhere and intersected them with the site's rows (3–10 ms on sites of 1,000–1,800
-- chunks of a 200k-chunk table). A two-column GIN index (btree_gin makes the uuid a GIN key) answers
-- `site_id = … AND tsv @@ …` inside the index: GIN's AND skips through the lexemes' lists with the
-- site's entry (0.06 ms instead of 1 ms for the same bitmap, 1.9–3.3 ms for the whole leg instead of
-- 4–9.6). It serves large sites as well as their own partial GIN indexes did, so the upkeep job no
-- longer builds those and drops the ones it finds.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX chunks_site_tsv ON chunks USING gin (site_id, tsv);
DROP INDEX chunks_tsv;
