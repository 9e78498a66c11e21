-- The links a page had when it was last indexed: a re-sync that gets 304 Not Modified still
-- follows them, so pages reachable only through unchanged pages are not lost.
ALTER TABLE documents ADD COLUMN links text[] NOT NULL DEFAULT '{}';
