import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../server/app.ts';
import { signinLinkFor } from '../server/auth/auth.service.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/database.ts';
import { withTenant } from '../server/db/tenant.ts';
import { createDeps } from '../server/deps.ts';
import { startWorkers } from '../server/jobs.ts';
import { hybridSearch } from '../server/knowledge/retrieval.ts';
import { refreshSiteTerms } from '../server/knowledge/site-upkeep.system.ts';
import { startStaticSite } from '../test/static-site.ts';
import { createBm25 } from './eval-retrieval-bm25.ts';
import { benchLog, runBench } from './run.ts';

// `npm run eval:retrieval`: crawls the help center once through Cloop's own pipeline (API → sync job →
// extract → chunk → local embedder → PGlite), then asks the help center's own questions
// (../shared/corpora/qa/ddg-help-faq: section headings and page titles) and our paraphrased visitor
// questions (bench/eval-paraphrases.json) through the real hybridSearch in three modes, and through a
// BM25 baseline over the same chunks in the same run. Scores are per page: a question is answered when
// its gold page appears among the first N distinct pages of the ranked chunks.
// One JSON line on stdout; misses and the fusion sweep on stderr. Knob: BENCH_EVAL_VERBOSE=1 (every miss).

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpora = path.resolve(repoRoot, '../shared/corpora');
const chatCandidates = 40; // what hybridSearch uses for the chat's limit of 8
const listChunks = 20; // ranked chunks looked at per question (→ distinct pages)
const verbose = process.env.BENCH_EVAL_VERBOSE === '1';
const legDepth = 80; // chunks kept per leg for the sweeps (≥ every candidate count tried)
// hybridSearch's fusion (server/knowledge/retrieval.ts), reproduced below from the legs.
const production = { k: 20, wVector: 1, wText: 1.5 };

const log = benchLog('eval:retrieval');
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const round2 = (x: number) => Math.round(x * 100) / 100;

type Method = 'hybrid' | 'vector' | 'fulltext' | 'bm25';
const methods: Method[] = ['hybrid', 'vector', 'fulltext', 'bm25'];

/** One question with the pages that answer it (URL paths). */
interface Question {
  id: string;
  question: string;
  gold: Set<string>;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** The section questions; a question text asked on several pages is answered by any of them. */
function loadQuestions(file: string): Question[] {
  const rows = readJsonl<{ id: string; question: string; url: string }>(file);
  const pagesOf = new Map<string, Set<string>>();
  for (const r of rows) pagesOf.set(r.question, (pagesOf.get(r.question) ?? new Set()).add(r.url));
  return rows.map((r) => ({ id: r.id, question: r.question, gold: pagesOf.get(r.question)! }));
}

const pathOf = (url: string) => {
  const p = new URL(url).pathname;
  return p.endsWith('/') ? p : `${p}/`;
};

/** Distinct pages in rank order. */
function pages(chunkIds: number[], urlOf: Map<number, string>): string[] {
  const out: string[] = [];
  for (const id of chunkIds) {
    const p = urlOf.get(id)!;
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** recall@1, recall@5 and MRR of ranked page lists. */
function score(questions: Question[], ranked: string[][]) {
  let r1 = 0;
  let r5 = 0;
  let rr = 0;
  questions.forEach((q, i) => {
    const rank = ranked[i]!.findIndex((p) => q.gold.has(p));
    if (rank === 0) r1++;
    if (rank >= 0 && rank < 5) r5++;
    if (rank >= 0) rr += 1 / (rank + 1);
  });
  const n = questions.length;
  return { recall_at_1: round3(r1 / n), recall_at_5: round3(r5 / n), mrr: round3(rr / n) };
}

/** Reciprocal-rank fusion of two ranked id lists (as hybridSearch does it), with weights and a candidate cut. */
function rrf(vector: number[], text: number[], opts: { k: number; candidates: number; wVector: number; wText: number }): number[] {
  const s = new Map<number, number>();
  vector.slice(0, opts.candidates).forEach((id, i) => s.set(id, (s.get(id) ?? 0) + opts.wVector / (opts.k + i + 1)));
  text.slice(0, opts.candidates).forEach((id, i) => s.set(id, (s.get(id) ?? 0) + opts.wText / (opts.k + i + 1)));
  return [...s].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([id]) => id);
}

async function main(): Promise<Record<string, unknown>> {
  const startedAt = performance.now();
  const loadBefore = os.loadavg();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cloop-eval-'));
  const site = await startStaticSite({ root: path.join(corpora, 'site/html'), rewriteOrigin: 'http://localhost:8080' });
  const database = await openDatabase({ kind: 'pglite', dir: null });
  const config = loadConfig({
    NODE_ENV: 'development',
    CLOOP_DATA_DIR: tmp,
    CLOOP_SECRET: 'eval-secret-eval-secret-eval-secret-0123456789',
    FETCH_ALLOW_LIST: `127.0.0.1:${site.port}`,
    CRAWL_DELAY_MS: '0',
    RATE_LIMIT_ADMIN: '100000/60',
    LOG_LEVEL: 'warn',
  });
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const deps = await createDeps(config, { database, logStream: sink, auditStream: sink });
  const app = await buildApp(deps);
  try {
    await startWorkers(deps);
    // 1. Owner (sign-in link), business tier, a site, the help center as a website source.
    const link = await signinLinkFor(deps, 'eval@example.com');
    const signin = await app.inject({ method: 'POST', url: '/api/auth/signin-link', payload: { token: link.split('#signin=')[1] } });
    const { accessToken, tenantId } = signin.json() as { accessToken: string; tenantId: string };
    const headers = { authorization: `Bearer ${accessToken}` };
    await app.inject({ method: 'PUT', url: '/api/tenant/tier', headers, payload: { tier: 'business' } });
    const siteId = (await app.inject({ method: 'POST', url: '/api/sites', headers, payload: { name: 'Help center' } })).json().id as string;
    const crawlStart = performance.now();
    const created = await app.inject({ method: 'POST', url: `/api/sites/${siteId}/sources`, headers, payload: { kind: 'website', url: `${site.origin}/` } });
    if (created.statusCode !== 201) throw new Error(`add source: ${created.statusCode} ${created.body}`);
    const sourceId = created.json().id as string;
    let source: { status: string; progress: Record<string, unknown>; error: string | null };
    for (;;) {
      source = (await app.inject({ url: `/api/sites/${siteId}/sources/${sourceId}`, headers })).json();
      if (['ready', 'failed', 'cancelled'].includes(source.status)) break;
      if (performance.now() - crawlStart > 170_000) throw new Error(`crawl not finished: ${JSON.stringify(source)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    if (source.status !== 'ready') throw new Error(`crawl ${source.status}: ${source.error}`);
    log(`crawled in ${((performance.now() - crawlStart) / 1000).toFixed(1)} s: ${JSON.stringify({ ...source.progress, errors: undefined, skippedReasons: undefined })}`);

    // The upkeep job counts the site's lexemes right after the sync; run it here so the questions see that state.
    await refreshSiteTerms(database);
    // 2. The chunks as stored (for page URLs and the BM25 index).
    const siteRow = await withTenant(database.db, tenantId, (tx) => tx.selectFrom('sites').select(['chunk_count']).where('id', '=', siteId).executeTakeFirstOrThrow());
    const chunks = await withTenant(database.db, tenantId, (tx) => tx.selectFrom('chunks').select(['id', 'url', 'title', 'heading_path', 'text']).where('site_id', '=', siteId).execute());
    const urlOf = new Map(chunks.map((c) => [c.id, pathOf(c.url)]));
    const bm25 = createBm25(chunks.map((c) => ({ id: c.id, title: c.title, headingPath: c.heading_path, text: c.text })));
    log(`${chunks.length} chunks on ${new Set(urlOf.values()).size} pages indexed by Cloop and by BM25`);

    // 3. Every question through every method; the legs are also kept long for the fusion sweep.
    const qa = path.join(corpora, 'qa/ddg-help-faq');
    const paraphrases = (JSON.parse(readFileSync(path.join(repoRoot, 'bench/eval-paraphrases.json'), 'utf8')) as { questions: { id: string; question: string; urls: string[] }[] }).questions;
    const sets: Record<string, Question[]> = {
      sections: loadQuestions(path.join(qa, 'ddg-help-section-questions.jsonl')),
      titles: loadQuestions(path.join(qa, 'ddg-help-questions.jsonl')),
      paraphrases: paraphrases.map((p) => ({ id: p.id, question: p.question, gold: new Set(p.urls) })),
    };
    const siteArg = { id: siteId, languages: ['en'], chunkCount: siteRow.chunk_count };
    const results: Record<string, Record<Method, ReturnType<typeof score>>> = {};
    const sweeps: Record<string, { vector: number[][]; text: number[][] }> = {};
    let mismatches = 0;
    for (const [name, questions] of Object.entries(sets)) {
      const ranked: Record<Method, string[][]> = { hybrid: [], vector: [], fulltext: [], bm25: [] };
      const legs = { vector: [] as number[][], text: [] as number[][] };
      for (const q of questions) {
        const { vectors } = await deps.embedder.embed([q.question], { purpose: 'query' });
        const query = { text: q.question, vector: vectors[0]!, model: deps.embedder.model };
        const run = (mode: 'hybrid' | 'vector' | 'fulltext', limit: number, candidates: number) =>
          withTenant(database.db, tenantId, (tx) => hybridSearch(tx, siteArg, query, { limit, candidates, mode })).then((hits) => hits.map((h) => h.chunkId));
        const hybrid = await run('hybrid', listChunks, chatCandidates);
        const vectorLeg = await run('vector', legDepth, legDepth);
        const textLeg = await run('fulltext', legDepth, legDepth);
        ranked.hybrid.push(pages(hybrid, urlOf));
        ranked.vector.push(pages(vectorLeg.slice(0, listChunks), urlOf));
        ranked.fulltext.push(pages(textLeg.slice(0, listChunks), urlOf));
        ranked.bm25.push(pages(bm25.search(q.question, listChunks), urlOf));
        legs.vector.push(vectorLeg);
        legs.text.push(textLeg);
        // The sweep below recomputes the fusion from the legs: check that it reproduces hybridSearch.
        const again = rrf(vectorLeg, textLeg, { ...production, candidates: chatCandidates }).slice(0, listChunks);
        if (again.join() !== hybrid.join()) mismatches++;
      }
      results[name] = Object.fromEntries(methods.map((m) => [m, score(questions, ranked[m])])) as Record<Method, ReturnType<typeof score>>;
      sweeps[name] = legs;
      const misses = questions.filter((q, i) => ranked.hybrid[i]!.slice(0, 5).every((p) => !q.gold.has(p)));
      log(`${name} (${questions.length}): ${methods.map((m) => `${m} r@5 ${results[name]![m].recall_at_5}`).join(', ')}; hybrid misses@5: ${misses.length}`);
      for (const q of verbose ? misses : misses.slice(0, 8)) {
        const i = questions.indexOf(q);
        log(`  miss ${q.id} "${q.question}" gold ${[...q.gold].join(' ')} → hybrid ${ranked.hybrid[i]!.slice(0, 3).join(' ')} | bm25 rank ${ranked.bm25[i]!.findIndex((p) => q.gold.has(p)) + 1 || '-'}`);
      }
    }
    if (mismatches) log(`warning: the JS fusion differed from hybridSearch on ${mismatches} questions`);

    // 4. Fusion sweep from the same legs: RRF constant, candidates per leg, leg weights.
    const sweep: { variant: string; sections_r5: number; sections_mrr: number; titles_r5: number; paraphrases_r5: number }[] = [];
    for (const k of [10, 20, 30, 60])
      for (const candidates of [20, 40, 80])
        for (const [wVector, wText] of [[1, 1], [1, 1.5], [1, 2], [1.5, 1]] as const) {
          const r = (name: string) => {
            const s = sweeps[name]!;
            return score(sets[name]!, s.vector.map((v, i) => pages(rrf(v, s.text[i]!, { k, candidates, wVector, wText }).slice(0, listChunks), urlOf)));
          };
          const sec = r('sections');
          sweep.push({ variant: `k=${k} candidates=${candidates} w_vector=${wVector} w_text=${wText}`, sections_r5: sec.recall_at_5, sections_mrr: sec.mrr, titles_r5: r('titles').recall_at_5, paraphrases_r5: r('paraphrases').recall_at_5 });
        }
    sweep.sort((a, b) => b.sections_mrr - a.sections_mrr || b.sections_r5 - a.sections_r5);
    log('fusion sweep (best by section MRR):');
    for (const s of sweep.slice(0, 8)) log(`  ${s.variant.padEnd(44)} sections r@5 ${s.sections_r5} mrr ${s.sections_mrr} | titles r@5 ${s.titles_r5} | paraphrases r@5 ${s.paraphrases_r5}`);
    const current = sweep.find((s) => s.variant === `k=${production.k} candidates=${chatCandidates} w_vector=${production.wVector} w_text=${production.wText}`)!;
    log(`  production: ${current.variant}: sections r@5 ${current.sections_r5} mrr ${current.sections_mrr}`);

    return {
      bench: 'eval-retrieval',
      ...results.sections,
      titles: results.titles,
      paraphrases: results.paraphrases,
      questions: { sections: sets.sections!.length, titles: sets.titles!.length, paraphrases: sets.paraphrases!.length },
      chunks: chunks.length,
      pages: new Set(urlOf.values()).size,
      ranked_chunks_per_question: listChunks,
      hybrid_candidates: chatCandidates,
      best_fusion_variant: sweep[0],
      fusion: production,
      wall_s: Math.round((performance.now() - startedAt) / 100) / 10,
      loadavg_before: loadBefore.map(round2),
      loadavg_after: os.loadavg().map(round2),
    };
  } finally {
    await app.close();
    await deps.close();
    await database.close();
    await site.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await runBench('eval:retrieval', main);
