import type { ExtractedDocument } from '../extract/types.ts';
import { windows, type WindowSizes } from './windows.ts';
import { countWords, estimateTokens } from './words.ts';

/** A piece of a document sized for embedding and for a prompt. `text` carries no heading prefix. */
export interface Chunk {
  ordinal: number;
  text: string;
  headingPath: string[];
  page?: number;
  wordCount: number;
  tokenEstimate: number;
}

/** Chunk sizes in words. */
export interface ChunkOptions {
  targetWords?: number;
  minWords?: number;
  maxWords?: number;
  overlapWords?: number;
}

interface Sizes extends WindowSizes {
  minWords: number;
}

/** One section's text. */
interface Block {
  kind: 'block';
  path: string[];
  text: string;
  page: number | undefined;
  weight: number;
}

/** A heading with what is under it, in document order. */
interface Node {
  kind: 'node';
  path: string[];
  items: Array<Block | Node>;
  weight: number;
}

function tidy(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Nests the flat section list by heading path. A node's weight counts its text and its headings' words. */
function buildTree(doc: ExtractedDocument): Node {
  const root: Node = { kind: 'node', path: [], items: [], weight: 0 };
  for (const section of doc.sections) {
    const text = tidy(section.text);
    const words = countWords(text);
    if (!words) continue;
    const path = section.headingPath.map((h) => h.trim()).filter(Boolean);
    const trail = [root];
    let node = root;
    for (let depth = 0; depth < path.length; depth++) {
      const last = node.items[node.items.length - 1];
      if (last?.kind === 'node' && last.path[depth] === path[depth]) node = last;
      else {
        const child: Node = { kind: 'node', path: path.slice(0, depth + 1), items: [], weight: countWords(path[depth]!) };
        node.items.push(child);
        for (const n of trail) n.weight += child.weight;
        node = child;
      }
      trail.push(node);
    }
    node.items.push({ kind: 'block', path, text, page: section.page, weight: words });
    for (const n of trail) n.weight += words;
  }
  return root;
}

function blocksOf(item: Block | Node, out: Block[] = []): Block[] {
  if (item.kind === 'block') out.push(item);
  else for (const child of item.items) blocksOf(child, out);
  return out;
}

function commonPrefix(paths: string[][]): string[] {
  const [first = [], ...rest] = paths;
  let n = first.length;
  for (const p of rest) {
    let i = 0;
    while (i < n && i < p.length && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n);
}

/** Joins merged sections; a heading below the chunk's own path becomes a line of its text. */
function render(blocks: Block[], base: string[]): string {
  const parts: string[] = [];
  let printed = base;
  for (const block of blocks) {
    let shared = 0;
    while (shared < printed.length && shared < block.path.length && printed[shared] === block.path[shared]) shared++;
    const headings = block.path.slice(Math.max(shared, base.length));
    if (headings.length) parts.push(headings.join('\n'));
    parts.push(block.text);
    printed = block.path;
  }
  return parts.join('\n\n');
}

/** Collects chunks in document order. */
class ChunkList {
  readonly chunks: Chunk[] = [];

  add(text: string, headingPath: string[], page: number | undefined): void {
    const wordCount = countWords(text);
    if (!wordCount) return;
    this.chunks.push({ ordinal: this.chunks.length, text, headingPath, ...(page !== undefined ? { page } : {}), wordCount, tokenEstimate: estimateTokens(text, wordCount) });
  }
}

function emitGroup(group: Array<Block | Node>, out: ChunkList): void {
  const blocks = group.flatMap((item) => blocksOf(item));
  if (!blocks.length) return;
  const base = commonPrefix(blocks.map((b) => b.path));
  out.add(render(blocks, base), base, blocks.find((b) => b.page !== undefined)?.page);
}

function emitBlock(block: Block, sizes: Sizes, out: ChunkList): void {
  if (block.weight <= sizes.maxWords) return out.add(block.text, block.path, block.page);
  for (const text of windows(block.text, sizes)) out.add(text, block.path, block.page);
}

/**
 * Chunks a node's items in order: an item of at least `minWords` (a section, a page) stands alone —
 * split into windows when too long — while runs of smaller neighbours merge up to the target.
 */
function emitNode(node: Node, sizes: Sizes, out: ChunkList): void {
  let group: Array<Block | Node> = [];
  let groupWeight = 0;
  const flush = () => {
    emitGroup(group, out);
    group = [];
    groupWeight = 0;
  };
  for (const item of node.items) {
    if (item.weight >= sizes.minWords) {
      flush();
      if (item.kind === 'block') emitBlock(item, sizes, out);
      else emitNode(item, sizes, out);
      continue;
    }
    const fits = groupWeight + item.weight <= sizes.targetWords || (groupWeight < sizes.minWords && groupWeight + item.weight <= sizes.maxWords);
    if (group.length && !fits) flush();
    group.push(item);
    groupWeight += item.weight;
  }
  flush();
}

function resolveSizes(opts: ChunkOptions): Sizes {
  const maxWords = Math.max(20, Math.floor(opts.maxWords ?? 400));
  const targetWords = Math.min(maxWords, Math.max(10, Math.floor(opts.targetWords ?? 300)));
  const minWords = Math.min(targetWords, Math.max(1, Math.floor(opts.minWords ?? 200)));
  // The overlap must leave room for new text in every window.
  const overlapWords = Math.min(Math.max(0, Math.floor(opts.overlapWords ?? 40)), Math.floor(targetWords / 2));
  return { targetWords, minWords, maxWords, overlapWords };
}

/**
 * Splits a document into chunks along its headings. A section (or PDF page) of at least `minWords`
 * is never merged with a neighbour; smaller adjacent sections under the same parent merge up to
 * `targetWords`; long sections are cut at paragraph or sentence ends into ~`targetWords` windows
 * overlapping by `overlapWords`. A chunk spans pages only when they are small; it then keeps the
 * first page. The same document always gives the same chunks.
 */
export function chunkDocument(doc: ExtractedDocument, opts: ChunkOptions = {}): Chunk[] {
  const out = new ChunkList();
  emitNode(buildTree(doc), resolveSizes(opts), out);
  return out.chunks;
}

/** What a title, heading path and passage are embedded as (ingest and re-embedding must agree: server/knowledge/reembed.ts). */
export function embeddingInput(title: string, headingPath: readonly string[], text: string): string {
  return [title, headingPath.join(' > '), text].filter(Boolean).join('\n');
}
