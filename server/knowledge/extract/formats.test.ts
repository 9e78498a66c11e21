import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { closeExtractionWorkers, extract } from './extract.ts';

afterAll(closeExtractionWorkers);

describe('Markdown', () => {
  it('splits at #–#### headings, keeps deeper ones and code fences as text, reads front matter', async () => {
    const md = [
      '---',
      'title: "Shipping guide"',
      '---',
      'Intro with a [link](https://example.com) and **bold** words.',
      '',
      '# Shipping',
      'We ship worldwide.',
      '## Costs',
      'Costs depend on weight.',
      '```sh',
      '# not a heading',
      '```',
      '##### Small print',
      'Fine print here.',
      '# Returns',
      'Send it back.',
    ].join('\n');
    const d = await extract('markdown', Buffer.from(md), { filename: 'guide.md' });
    expect(d.title).toBe('Shipping guide');
    expect(d.sections.map((s) => [s.headingPath, s.text])).toEqual([
      [[], 'Intro with a link and bold words.'],
      [['Shipping'], 'We ship worldwide.'],
      [['Shipping', 'Costs'], 'Costs depend on weight.\n# not a heading\nSmall print\nFine print here.'],
      [['Returns'], 'Send it back.'],
    ]);
  });

  it('reads a real help-center source file', async () => {
    const bytes = readFileSync('/work/shared/corpora/site/markdown/_docs/fastpeoplesearch-removal.md');
    const d = await extract('markdown', bytes, { filename: 'fastpeoplesearch-removal.md' });
    expect(d.title).toMatch(/FastPeopleSearch/);
    expect(d.sections.length).toBeGreaterThan(1);
    expect(d.sections.some((s) => s.headingPath.length > 0)).toBe(true);
  });
});

describe('plain text', () => {
  it('is one section with its paragraphs kept; the first line is the title', async () => {
    const d = await extract('txt', Buffer.from('\ufeffOpening hours\r\n\r\nMonday   to Friday 9–17.\r\n\r\n\r\n\r\nClosed on Sundays.'), { filename: 'hours.txt' });
    expect(d).toMatchObject({ title: 'Opening hours', language: null });
    expect(d.sections).toEqual([{ headingPath: [], text: 'Opening hours\n\nMonday to Friday 9–17.\n\nClosed on Sundays.' }]);
  });

  it('an empty file gives no sections and the file name as title', async () => {
    const d = await extract('txt', Buffer.from(' \n\n '), { filename: 'empty_notes.txt' });
    expect(d).toEqual({ title: 'empty notes', language: null, sections: [] });
  });
});

describe('CSV', () => {
  it('turns rows into `header: value` lines, 50 rows to a section', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => `${i + 1},"Product ${i + 1}, large","${i % 2 ? '' : 'in stock'}"`);
    const d = await extract('csv', Buffer.from(['id,name,status', ...rows].join('\n')), { filename: 'products.csv' });
    expect(d.title).toBe('products');
    expect(d.sections.map((s) => s.text.split('\n').length)).toEqual([50, 50, 20]);
    expect(d.sections[0]!.text.split('\n').slice(0, 2)).toEqual(['id: 1; name: Product 1, large; status: in stock', 'id: 2; name: Product 2, large']);
  });

  it('finds semicolon and tab delimiters and multi-line cells', async () => {
    const semi = await extract('csv', Buffer.from('\ufeffkysymys;vastaus\nAukiolo?;"Ma–pe\n9–17"\n'));
    expect(semi.sections[0]!.text).toBe('kysymys: Aukiolo?; vastaus: Ma–pe 9–17');
    const tabs = await extract('csv', Buffer.from('q\ta\nHow, exactly?\tLike this\n'));
    expect(tabs.sections[0]!.text).toBe('q: How, exactly?; a: Like this');
  });
});
