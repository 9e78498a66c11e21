import { shortTitle, squash, tidyLines, type TextBudget } from './text.ts';
import type { ExtractedDocument, ExtractedSection } from './types.ts';

/** Inline Markdown reduced to its text: links and images keep their words, emphasis marks go. */
function plain(line: string): string {
  return line
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1')
    .replace(/<\/?[a-z][^>]*>/gi, '')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/`([^`]+)`/g, '$1');
}

/** Splits off YAML front matter and returns its `title:`, if any. */
function frontMatter(text: string): { title: string; body: string } {
  const m = /^---\n([\s\S]*?)\n(?:---|\.\.\.)\n/.exec(text);
  if (!m) return { title: '', body: text };
  const title = /^title:\s*["']?(.*?)["']?\s*$/m.exec(m[1] ?? '')?.[1] ?? '';
  return { title: squash(title), body: text.slice(m[0].length) };
}

/** Reads plain text: one section; paragraphs stay separated by blank lines for the chunker. */
export function extractTxt(text: string, budget: TextBudget): ExtractedDocument {
  const body = tidyLines(text);
  budget.spend(body.length);
  const firstLine = body.split('\n')[0] ?? '';
  return { title: shortTitle(firstLine), language: null, sections: body ? [{ headingPath: [], text: body }] : [] };
}

/** Reads Markdown: ATX headings `#`–`####` start sections (not inside code fences); deeper ones stay as text. */
export function extractMarkdown(text: string, budget: TextBudget): ExtractedDocument {
  const { title: fmTitle, body } = frontMatter(text.replace(/\r\n?/g, '\n'));
  const sections: ExtractedSection[] = [];
  const headings: Array<{ level: number; text: string }> = [];
  let lines: string[] = [];
  let fence: string | null = null;
  let firstHeading = '';
  const flush = () => {
    const sectionText = tidyLines(lines.join('\n'));
    lines = [];
    if (!sectionText) return;
    budget.spend(sectionText.length);
    sections.push({ headingPath: headings.map((h) => h.text), text: sectionText });
  };
  for (const line of body.replace(/<!--[\s\S]*?-->/g, '').split('\n')) {
    const fenceMark = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fenceMark && (!fence || fenceMark.startsWith(fence))) {
      fence = fence ? null : fenceMark;
      continue;
    }
    const heading = fence ? null : /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (heading && heading[1]!.length <= 4) {
      flush();
      const level = heading[1]!.length;
      const headingText = squash(plain(heading[2] ?? ''));
      if (!headingText) continue;
      if (level === 1 && !firstHeading) firstHeading = headingText;
      while (headings.length && headings[headings.length - 1]!.level >= level) headings.pop();
      headings.push({ level, text: headingText });
    } else {
      lines.push(fence ? line : plain(heading ? (heading[2] ?? '') : line));
    }
  }
  flush();
  const firstLine = sections[0]?.text.split('\n')[0] ?? '';
  return { title: shortTitle(fmTitle || firstHeading || firstLine), language: null, sections };
}
