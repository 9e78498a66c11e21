// The block level of the answer Markdown: paragraphs, headings, fenced code, lists (nested up to
// four levels). Pure string work: no DOM here (markdown.ts builds the elements).

/** One block of an answer. */
export interface Block {
  kind: 'p' | 'h' | 'pre' | 'ul' | 'ol';
  /** Identifies the block's rendering: equal keys render equal nodes (incremental updates). */
  key: string;
  text: string;
  items?: string[];
  start?: number;
}

const fenceRe = /^ {0,3}(`{3,}|~{3,})/;
const headingRe = /^ {0,3}#{1,6}(?:\s|$)/;
const listRe = /^( {0,3})(?:([-*+])|(\d{1,9})[.)])( {1,4}|$)/;
const maxListDepth = 4;

const indentOf = (line: string): number => line.length - line.trimStart().length;

interface ListMarker {
  ordered: boolean;
  number: number;
  markerIndent: number;
  contentIndent: number;
  text: string;
}

function listMarker(line: string): ListMarker | null {
  const m = listRe.exec(line);
  if (!m) return null;
  const markerIndent = m[1]!.length;
  const contentIndent = m[0].length + (m[4] ? 0 : 1);
  return { ordered: !m[2], number: Number(m[3] ?? 1), markerIndent, contentIndent, text: line.slice(m[0].length) };
}

const startsBlock = (line: string): boolean => fenceRe.test(line) || headingRe.test(line) || listRe.test(line);

/** Splits text into blocks. Unclosed constructs (a fence still streaming) run to the end. */
export function parseBlocks(text: string, depth = 0): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.trim()) {
      i++;
      continue;
    }
    const fence = fenceRe.exec(line);
    if (fence) {
      const close = new RegExp(`^ {0,3}${fence[1]![0] === '`' ? '`' : '~'}{${fence[1]!.length},}\\s*$`);
      const body: string[] = [];
      for (i++; i < lines.length && !close.test(lines[i]!); i++) body.push(lines[i]!);
      i++;
      const code = body.join('\n');
      blocks.push({ kind: 'pre', key: `pre\0${code}`, text: code });
      continue;
    }
    if (headingRe.test(line)) {
      const heading = line.replace(/^ {0,3}#+\s*/, '').replace(/\s+#+\s*$/, '');
      blocks.push({ kind: 'h', key: `h\0${heading}`, text: heading });
      i++;
      continue;
    }
    const marker = depth < maxListDepth ? listMarker(line) : null;
    if (marker) {
      const from = i;
      const items = [marker.text];
      let current = marker;
      for (i++; i < lines.length; i++) {
        const l = lines[i]!;
        const next = listMarker(l);
        const indent = indentOf(l);
        if (!l.trim()) {
          // A blank line ends the list unless the list (or the item) goes on after it.
          let j = i + 1;
          while (j < lines.length && !lines[j]!.trim()) j++;
          const after = lines[j];
          if (after === undefined) break;
          const afterMarker = listMarker(after);
          const continues = indentOf(after) >= current.contentIndent || (afterMarker && afterMarker.ordered === marker.ordered);
          if (!continues) break;
          items[items.length - 1] += '\n';
          continue;
        }
        if (indent >= current.contentIndent || (next && indent > current.markerIndent)) {
          items[items.length - 1] += `\n${l.slice(Math.min(indent, current.contentIndent))}`;
        } else if (next) {
          if (next.ordered !== marker.ordered) break;
          items.push(next.text);
          current = next;
        } else if (fenceRe.test(l) || headingRe.test(l) || lines[i - 1]!.trim() === '') {
          break;
        } else {
          items[items.length - 1] += `\n${l.trim()}`; // a lazy continuation line
        }
      }
      const kind = marker.ordered ? 'ol' : 'ul';
      blocks.push({ kind, key: `${kind}\0${lines.slice(from, i).join('\n')}`, text: '', items, start: marker.number });
      continue;
    }
    const para = [line];
    for (i++; i < lines.length && lines[i]!.trim() && !startsBlock(lines[i]!); i++) para.push(lines[i]!);
    const joined = para.join('\n');
    blocks.push({ kind: 'p', key: `p\0${joined}`, text: joined });
  }
  return blocks;
}
