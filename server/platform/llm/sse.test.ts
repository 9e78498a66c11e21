import { describe, expect, it } from 'vitest';
import { createSseParser, type SseEvent } from './sse.ts';

function parseInPieces(pieces: string[]): SseEvent[] {
  const parser = createSseParser();
  return [...pieces.flatMap((p) => parser.push(p)), ...parser.end()];
}

const m = (data: string, event = 'message'): SseEvent => ({ event, data });

describe('server-sent events parser', () => {
  // One row per stream shape a provider (or a proxy in between) may send.
  const rows: [what: string, stream: string, events: SseEvent[]][] = [
    ['plain data events', 'data: a\n\ndata: b\n\n', [m('a'), m('b')]],
    ['CRLF line endings', 'data: a\r\n\r\ndata: b\r\n\r\n', [m('a'), m('b')]],
    ['bare CR line endings', 'data: a\r\rdata: b\r\r', [m('a'), m('b')]],
    ['keep-alive comments between events', ': ping\n\ndata: a\n\n: OPENROUTER PROCESSING\n\ndata: b\n\n', [m('a'), m('b')]],
    ['multi-line data joined with \\n', 'data: {"a":\ndata: 1}\n\n', [m('{"a":\n1}')]],
    ['no space after the colon', 'data:x\n\n', [m('x')]],
    ['only the first space is dropped', 'data:  two\n\n', [m(' two')]],
    ['event names', 'event: error\ndata: {}\n\n', [m('{}', 'error')]],
    ['id and retry fields are ignored', 'id: 7\nretry: 1000\ndata: a\n\n', [m('a')]],
    ['a field without a colon', 'data\n\n', [m('')]],
    ['blank lines without data dispatch nothing', '\n\n\n: c\n\n', []],
    ['a last event without its blank line', 'data: a\n\ndata: [DONE]', [m('a'), m('[DONE]')]],
  ];

  it.each(rows)('%s, split at every position', (_what, stream, events) => {
    expect(parseInPieces([stream])).toEqual(events);
    for (let i = 0; i <= stream.length; i++) expect(parseInPieces([stream.slice(0, i), stream.slice(i)])).toEqual(events);
    expect(parseInPieces([...stream])).toEqual(events);
  });

  it('returns events as soon as their blank line arrives', () => {
    const parser = createSseParser();
    expect(parser.push('data: a\n')).toEqual([]);
    expect(parser.push('\ndata: b')).toEqual([m('a')]);
    expect(parser.push('\n\n')).toEqual([m('b')]);
    expect(parser.end()).toEqual([]);
  });
});
