import { z } from 'zod';

const pattern = z.string().trim().min(1).max(200).regex(/^\//, 'a path pattern starting with /, e.g. /docs/*');

/** Body of `POST /api/sites/:siteId/sources` (websites and single pages; files are uploaded). */
export const createSourceBody = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('website'),
      url: z.url({ protocol: /^https?$/ }).max(2048),
      include: z.array(pattern).max(20).default([]),
      exclude: z.array(pattern).max(20).default([]),
      maxPages: z.number().int().min(1).max(100_000).optional(),
      maxDepth: z.number().int().min(0).max(20).default(5),
    })
    .strict(),
  z.object({ kind: z.literal('page'), url: z.url({ protocol: /^https?$/ }).max(2048) }).strict(),
]);

/** Body of `POST /api/sites/:siteId/search`. */
export const searchBody = z
  .object({
    query: z.string().trim().min(1).max(1000),
    limit: z.number().int().min(1).max(50).default(8),
    mode: z.enum(['hybrid', 'vector', 'fulltext']).default('hybrid'),
  })
  .strict();

/** A source as the API returns it. */
export interface SourceView {
  id: string;
  siteId: string;
  kind: 'website' | 'page' | 'file';
  url: string | null;
  fileName: string | null;
  fileSize: number | null;
  status: string;
  progress: Record<string, unknown>;
  error: string | null;
  include: string[];
  exclude: string[];
  maxPages: number;
  maxDepth: number;
  lastSyncAt: string | null;
  nextSyncAt: string | null;
  createdAt: string;
}

/** One retrieved passage with everything a citation needs and how it ranked. */
export interface SearchHit {
  chunkId: number;
  documentId: string;
  text: string;
  headingPath: string[];
  title: string;
  url: string;
  page: number | null;
  /** Reciprocal-rank-fusion score (higher is better). */
  score: number;
  /** Cosine similarity of the vector match, when it was a vector candidate. */
  similarity: number | null;
  vectorRank: number | null;
  textRank: number | null;
}
