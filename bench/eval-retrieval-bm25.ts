import { createRequire } from 'node:module';

// The BM25 baseline of eval:retrieval: wink-bm25-text-search (k1 = 1.2, b = 0.75) over the same
// chunks Cloop stores, one field (title, heading path and text), English stop words removed and
// words stemmed by wink-nlp — the library's own recommended preparation.

const require = createRequire(import.meta.url);

interface Bm25Engine {
  defineConfig(config: { fldWeights: Record<string, number>; bm25Params?: { k1?: number; b?: number; k?: number } }): boolean;
  definePrepTasks(tasks: ((input: string) => string[])[], field?: string): number;
  addDoc(doc: Record<string, string>, id: number): number;
  consolidate(fp?: number): boolean;
  search(text: string, limit?: number): [number, number][];
}

interface WinkToken {
  out(what: unknown): string | boolean;
}

/** A chunk as BM25 sees it. */
export interface Bm25Chunk {
  id: number;
  title: string;
  headingPath: string[];
  text: string;
}

/** Builds the BM25 index over the chunks; `search` returns chunk ids, best first. */
export function createBm25(chunks: Bm25Chunk[]): { search(query: string, limit: number): number[] } {
  const bm25 = require('wink-bm25-text-search') as () => Bm25Engine;
  const winkNLP = require('wink-nlp') as (model: unknown) => {
    its: Record<string, unknown>;
    readDoc(text: string): { tokens(): { filter(f: (t: WinkToken) => boolean): { each(f: (t: WinkToken) => void): void } } };
  };
  const nlp = winkNLP(require('wink-eng-lite-web-model'));
  const its = nlp.its;
  const prep = (text: string): string[] => {
    const tokens: string[] = [];
    nlp
      .readDoc(text)
      .tokens()
      .filter((t) => t.out(its.type) === 'word' && !t.out(its.stopWordFlag))
      .each((t) => tokens.push(String(t.out(its.stem))));
    return tokens;
  };
  const engine = bm25();
  engine.defineConfig({ fldWeights: { body: 1 } });
  engine.definePrepTasks([prep]);
  for (const c of chunks) engine.addDoc({ body: [c.title, c.headingPath.join(' '), c.text].join('\n') }, c.id);
  engine.consolidate();
  return { search: (query, limit) => engine.search(query, limit).map(([id]) => Number(id)) };
}
