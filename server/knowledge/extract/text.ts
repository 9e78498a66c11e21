import { extractError } from './extract-errors.ts';

/** Collapses every run of whitespace (newlines included) and control characters (broken PDF font maps) to one space and trims. */
export function squash(text: string): string {
  return text.replace(/[\s\u00a0\u200b\ufeff\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
}

/** Tidies multi-line text: CRLF to LF, spaces squashed within lines, at most one blank line between paragraphs. */
export function tidyLines(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\u00a0\u200b\ufeff\u0000-\u0009\u000b-\u001f\u007f-\u009f]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Decodes UTF-8 bytes, dropping a byte-order mark; invalid bytes become U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

/** Cuts a title to a sane length on a word boundary. */
export function shortTitle(text: string, max = 200): string {
  const t = squash(text);
  if (t.length <= max) return t;
  const cut = t.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/** The file name without directory and extension, as a last-resort title. */
export function titleFromFilename(filename: string | undefined): string {
  if (!filename) return '';
  const base = filename.split(/[\\/]/).pop() ?? '';
  return squash(base.replace(/\.[^.]+$/, '').replace(/[_]+/g, ' '));
}

/** Counts extracted characters and fails with `text_too_long` past the limit, so a huge file stops early. */
export class TextBudget {
  private used = 0;
  private readonly maxChars: number;

  constructor(maxChars: number) {
    this.maxChars = maxChars;
  }

  /** Records `chars` more characters. */
  spend(chars: number): void {
    this.used += chars;
    if (this.used > this.maxChars) throw extractError('text_too_long', `more than ${this.maxChars} characters`);
  }
}
