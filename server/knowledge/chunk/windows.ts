import { splitPieces, wordStarts, type Piece } from './words.ts';

/** Sizes for cutting one long text. */
export interface WindowSizes {
  targetWords: number;
  maxWords: number;
  overlapWords: number;
}

/** How much a paragraph end is preferred over a sentence end, as a share of the goal size. */
const paragraphBonus = 0.15;

/** Where the next window starts so that it repeats about `overlapWords` of the previous one. */
function overlapStart(text: string, pieces: Piece[], first: number, last: number, overlapWords: number): { start: number; words: number } {
  // Whole sentences when they give at least half the wanted overlap…
  let words = 0;
  let i = last;
  while (i >= first && words + pieces[i]!.words <= overlapWords) words += pieces[i--]!.words;
  if (words >= overlapWords / 2 && i < last) return { start: pieces[i + 1]!.start, words };
  // …otherwise the last `overlapWords` words, cut mid-sentence.
  const starts = wordStarts(text, pieces[first]!.start, pieces[last]!.end);
  const from = Math.max(0, starts.length - overlapWords);
  return { start: starts[from]!, words: starts.length - from };
}

/**
 * Cuts a long text into windows of about `targetWords` (never over `maxWords`), preferring paragraph
 * ends, then sentence ends; each window after the first repeats the previous one's last ~`overlapWords`.
 * Window sizes are balanced so the last one is not a scrap.
 */
export function windows(text: string, sizes: WindowSizes): string[] {
  const { targetWords, maxWords, overlapWords } = sizes;
  const pieces = splitPieces(text, maxWords - overlapWords);
  const out: string[] = [];
  let remaining = pieces.reduce((n, p) => n + p.words, 0);
  let i = 0;
  let start = pieces[0]?.start ?? 0;
  let carried = 0;
  while (i < pieces.length) {
    const goal = remaining / Math.ceil(remaining / targetWords);
    let taken = 0;
    let best = i;
    let bestTaken = 0;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let j = i; j < pieces.length; j++) {
      const piece = pieces[j]!;
      if (j > i && carried + taken + piece.words > maxWords) break;
      taken += piece.words;
      const cost = Math.abs(taken - goal) - (piece.paragraphEnd || j === pieces.length - 1 ? paragraphBonus * goal : 0);
      if (cost < bestCost) {
        bestCost = cost;
        best = j;
        bestTaken = taken;
      }
      if (taken > goal * 1.5) break;
    }
    out.push(text.slice(start, pieces[best]!.end));
    remaining -= bestTaken;
    if (best + 1 < pieces.length) {
      const overlap = overlapStart(text, pieces, i, best, overlapWords);
      start = overlap.start;
      carried = overlap.words;
    }
    i = best + 1;
  }
  return out;
}
