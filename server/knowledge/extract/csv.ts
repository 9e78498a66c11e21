import { parse } from 'csv-parse/sync';
import { extractError } from './extract-errors.ts';
import { squash, type TextBudget } from './text.ts';
import type { ExtractedDocument, ExtractedSection } from './types.ts';

/** Rows per section. */
export const csvRowsPerSection = 50;
const delimiters = [',', ';', '\t', '|'];

/** The delimiter used most often in the header line, outside quotes (comma by default). */
function sniffDelimiter(text: string): string {
  const counts = new Map<string, number>();
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && delimiters.includes(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ',';
  for (const d of delimiters) if ((counts.get(d) ?? 0) > (counts.get(best) ?? 0)) best = d;
  return best;
}

/**
 * Reads a CSV whose first row names the columns: every other row becomes one line
 * `header: value; header: value` (empty cells left out), 50 rows to a section.
 */
export function extractCsv(text: string, budget: TextBudget): ExtractedDocument {
  let records: string[][];
  try {
    records = parse(text, { bom: true, delimiter: sniffDelimiter(text.replace(/^\ufeff/, '')), relax_column_count: true, relax_quotes: true, skip_empty_lines: true, max_record_size: 1_000_000 });
  } catch (err) {
    throw extractError('file_unreadable', `csv: ${String(err)}`);
  }
  const [header = [], ...rows] = records;
  const names = header.map((h, i) => squash(h) || `Column ${i + 1}`);
  const sections: ExtractedSection[] = [];
  for (let start = 0; start < rows.length; start += csvRowsPerSection) {
    const lines: string[] = [];
    for (const row of rows.slice(start, start + csvRowsPerSection)) {
      const line = row
        .map((cell, i) => [names[i] ?? `Column ${i + 1}`, squash(cell)] as const)
        .filter(([, value]) => value)
        .map(([name, value]) => `${name}: ${value}`)
        .join('; ');
      if (line) lines.push(line);
    }
    if (!lines.length) continue;
    const sectionText = lines.join('\n');
    budget.spend(sectionText.length);
    sections.push({ headingPath: [], text: sectionText });
  }
  return { title: '', language: null, sections };
}
