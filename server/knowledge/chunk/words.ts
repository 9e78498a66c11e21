/** Han, kana and CJK compatibility ideographs: written without spaces, so each counts as a word. */
const cjk = '\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff';
const wordPattern = new RegExp(`[${cjk}]|[^\\s${cjk}]+`, 'g');
/** A sentence ends after . ! ? … (and closing quotes or brackets) before whitespace, after 。！？, or at a line break. */
const sentenceEnd = /[.!?…]+["'”’)\]]*\s+|[。！？]+\s*|\n/g;

/** Words in a text: whitespace-separated runs, each CJK character counting as one. */
export function countWords(text: string): number {
  let n = 0;
  wordPattern.lastIndex = 0;
  while (wordPattern.exec(text)) n++;
  return n;
}

/** Start offsets of the words of `text[from, to)`, relative to `text`. */
export function wordStarts(text: string, from = 0, to = text.length): number[] {
  const starts: number[] = [];
  const slice = text.slice(from, to);
  wordPattern.lastIndex = 0;
  for (let m = wordPattern.exec(slice); m; m = wordPattern.exec(slice)) starts.push(from + m.index);
  return starts;
}

/** A rough token count for budgeting prompts: the larger of 4/3 per word and one per 4 characters. */
export function estimateTokens(text: string, words: number): number {
  return Math.ceil(Math.max((words * 4) / 3, text.length / 4));
}

/** A sentence (or a slice of an overlong one) as offsets into its block's text. */
export interface Piece {
  start: number;
  end: number;
  words: number;
  /** The piece ends a paragraph (or the text): the best place to cut. */
  paragraphEnd: boolean;
}

function pushSentence(text: string, start: number, end: number, paragraphEnd: boolean, maxWords: number, out: Piece[]): void {
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  if (start >= end) return;
  const starts = wordStarts(text, start, end);
  if (!starts.length) return;
  // An overlong sentence (a table, a run-on list) is cut every `maxWords` words.
  for (let i = 0; i < starts.length; i += maxWords) {
    const last = i + maxWords >= starts.length;
    const pieceEnd = last ? end : starts[i + maxWords]!;
    let trimmed = pieceEnd;
    while (trimmed > starts[i]! && /\s/.test(text[trimmed - 1]!)) trimmed--;
    out.push({ start: starts[i]!, end: trimmed, words: Math.min(maxWords, starts.length - i), paragraphEnd: last && paragraphEnd });
  }
}

/** Splits text into sentence pieces of at most `maxWords` words, marking paragraph ends (blank lines). */
export function splitPieces(text: string, maxWords: number): Piece[] {
  const pieces: Piece[] = [];
  const paragraphBreak = /\n[ \t]*\n\s*/g;
  let paragraphStart = 0;
  for (let done = false; !done; ) {
    const m = paragraphBreak.exec(text);
    const paragraphEnd = m ? m.index : text.length;
    done = !m;
    const paragraph = text.slice(paragraphStart, paragraphEnd);
    let sentenceStart = 0;
    sentenceEnd.lastIndex = 0;
    for (let s = sentenceEnd.exec(paragraph); s; s = sentenceEnd.exec(paragraph)) {
      const end = s.index + s[0].length;
      if (end >= paragraph.length) break;
      pushSentence(text, paragraphStart + sentenceStart, paragraphStart + end, false, maxWords, pieces);
      sentenceStart = end;
    }
    pushSentence(text, paragraphStart + sentenceStart, paragraphEnd, true, maxWords, pieces);
    if (m) paragraphStart = m.index + m[0].length;
  }
  return pieces;
}
