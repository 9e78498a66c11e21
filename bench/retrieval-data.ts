import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { seededRandom } from './run.ts';

/** A seeded PRNG (see bench/run.ts). */
export const rng = seededRandom;

// Synthetic knowledge bases for bench:retrieval: clustered 384-d vectors and texts drawn from
// per-topic vocabularies, so that both the vector and the full-text leg have realistic work to do.

/** Standard normal samples (Box–Muller). */
function gaussian(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(random(), 1e-12);
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function normalize(v: Float64Array): Float64Array {
  let n = 0;
  for (const x of v) n += x * x;
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

/** Cumulative Zipf weights over n ranks, for sampling by binary search. */
function zipf(n: number, s = 1): Float64Array {
  const c = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) c[i] = sum += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < n; i++) c[i]! /= sum;
  return c;
}

function pick(cumulative: Float64Array, random: () => number): number {
  const x = random();
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Shape of the synthetic corpus. */
export interface CorpusSpec {
  dimension: number;
  clusters: number;
  /** Chunks per site, largest first. */
  siteSizes: number[];
  /** Sites per tenant (site i belongs to tenant floor(i / sitesPerTenant)). */
  sitesPerTenant: number;
  wordsPerChunk: number;
  seed: number;
}

/** One site's plan: its tenant, its topics (clusters, most used first) and its documents. */
export interface SitePlan {
  index: number;
  id: string;
  tenantId: string;
  size: number;
  topics: number[];
  topicWeights: Float64Array;
  documents: { id: string; cluster: number; chunks: number }[];
}

/** One chunk row, ready to insert. */
export interface ChunkRow {
  tenantId: string;
  siteId: string;
  documentId: string;
  ordinal: number;
  title: string;
  heading: string;
  text: string;
  url: string;
  vector: string;
}

/** One question: its site, its vector (near one of the site's topics) and its words. */
export interface Query {
  site: SitePlan;
  cluster: number;
  vector: number[];
  text: string;
}

const stop = new Set('the a an and or of to in on for with is are was be by as at it this that from you your can not how what do does our we'.split(' '));

/**
 * A vocabulary: the help center's own words (real English, most frequent first), then made-up
 * words from syllables until `size` (so that topics do not run out of distinct words).
 */
function vocabulary(size: number, random: () => number): string[] {
  const words = new Map<string, number>();
  try {
    const corpus = readFileSync(new URL('../../shared/corpora/qa/ddg-help-faq/ddg-help-corpus.jsonl', import.meta.url), 'utf8');
    for (const m of corpus.toLowerCase().matchAll(/[a-z]{3,14}/g)) if (!stop.has(m[0])) words.set(m[0], (words.get(m[0]) ?? 0) + 1);
  } catch {
    // Without the corpus the vocabulary is all made-up words.
  }
  const vocab = [...words].sort((a, b) => b[1] - a[1]).map(([w]) => w);
  const seen = new Set(vocab);
  const c = 'bdfgklmnprstvz';
  const v = 'aeiou';
  while (vocab.length < size) {
    let w = '';
    const syllables = 2 + Math.floor(random() * 3);
    for (let i = 0; i < syllables; i++) w += c[Math.floor(random() * c.length)]! + v[Math.floor(random() * v.length)]!;
    if (!seen.has(w)) {
      seen.add(w);
      vocab.push(w);
    }
  }
  return vocab.slice(0, size);
}

/** The corpus generator: plans sites and documents up front, then yields chunk rows in any order. */
export function createCorpus(spec: CorpusSpec) {
  const random = rng(spec.seed);
  const normal = gaussian(random);
  const dim = spec.dimension;
  const noise = (scale: number) => {
    const g = new Float64Array(dim);
    const s = scale / Math.sqrt(dim);
    for (let i = 0; i < dim; i++) g[i] = normal() * s;
    return g;
  };
  const centers = Array.from({ length: spec.clusters }, () => normalize(noise(1)));
  const vocab = vocabulary(20_000, random);
  const vocabWeights = zipf(vocab.length, 1.05);
  // Each topic has 30 words of its own, drawn from the vocabulary's middle and tail.
  const topicWords = Array.from({ length: spec.clusters }, () => Array.from({ length: 30 }, () => vocab[200 + Math.floor(random() * (vocab.length - 200))]!));
  const topicWordWeights = zipf(30, 0.8);
  const clusterPopularity = zipf(spec.clusters, 0.7);

  const tenants: string[] = [];
  const sites: SitePlan[] = spec.siteSizes.map((size, index) => {
    const t = Math.floor(index / spec.sitesPerTenant);
    tenants[t] ??= randomUUID();
    // Bigger sites cover more topics; popular topics are shared by many sites.
    const topicCount = Math.min(spec.clusters, Math.max(20, Math.round(size / 30)));
    const topics = new Set<number>();
    while (topics.size < topicCount) topics.add(pick(clusterPopularity, random));
    const list = [...topics];
    const topicWeights = zipf(list.length, 0.6);
    const documents: SitePlan['documents'] = [];
    let left = size;
    while (left > 0) {
      const chunks = Math.min(left, 5 + Math.floor(random() * 11));
      documents.push({ id: randomUUID(), cluster: list[pick(topicWeights, random)]!, chunks });
      left -= chunks;
    }
    return { index, id: randomUUID(), tenantId: tenants[t]!, size, topics: list, topicWeights, documents };
  });

  const words = (cluster: number, n: number, topicShare: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(random() < topicShare ? topicWords[cluster]![pick(topicWordWeights, random)]! : vocab[pick(vocabWeights, random)]!);
    return out.join(' ');
  };
  // Four decimals are plenty for cosine ranking; Math.round + join is ~4x faster than toFixed.
  const literal = (v: Float64Array) => {
    const parts = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) parts[i] = Math.round(v[i]! * 10_000) / 10_000;
    return `[${parts.join(',')}]`;
  };
  /** Adds `scale` of noise to `base` (document spread 0.6, chunk spread 0.5: cosine to the topic centre ≈ 0.8). */
  const around = (base: Float64Array, scale: number) => {
    const g = noise(scale);
    for (let i = 0; i < dim; i++) g[i]! += base[i]!;
    return normalize(g);
  };

  return {
    sites,
    tenants,
    /** Every document once, interleaved across sites as concurrent crawls would write them. */
    documentOrder(): { site: SitePlan; doc: SitePlan['documents'][number] }[] {
      const all = sites.flatMap((site) => site.documents.map((doc) => ({ site, doc })));
      for (let i = all.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [all[i], all[j]] = [all[j]!, all[i]!];
      }
      return all;
    },
    /** The chunk rows of one document. */
    chunksOf(site: SitePlan, doc: SitePlan['documents'][number]): ChunkRow[] {
      const docVector = around(centers[doc.cluster]!, 0.6);
      const title = words(doc.cluster, 6, 0.6);
      const url = `https://site-${site.index}.example/${doc.id}`;
      return Array.from({ length: doc.chunks }, (_, ordinal) => ({
        tenantId: site.tenantId,
        siteId: site.id,
        documentId: doc.id,
        ordinal,
        title,
        heading: words(doc.cluster, 4, 0.6),
        text: words(doc.cluster, spec.wordsPerChunk, 0.3),
        url,
        vector: literal(around(docVector, 0.5)),
      }));
    },
    /** `perSite` questions per site: a vector near one of the site's topics, and a few of that topic's words. */
    queries(perSite: number): Query[] {
      return sites.flatMap((site) =>
        Array.from({ length: perSite }, () => {
          const cluster = site.topics[pick(site.topicWeights, random)]!;
          const v = around(centers[cluster]!, 0.5);
          return { site, cluster, vector: Array.from(v), text: `${words(cluster, 3, 1)} ${words(cluster, 1, 0)}` };
        }),
      );
    },
  };
}
