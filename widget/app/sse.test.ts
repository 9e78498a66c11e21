import { describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../contracts/widget.ts';
import { sseParser } from './sse.ts';

const stream = [
  'event: phase\ndata: {"type":"phase","conversationId":"c1","phase":"exploring","askEmail":false}\n\n',
  ': heartbeat\n\n',
  'event: token\ndata: {"type":"token","text":"Hel"}\n\n',
  'data: {"type":"token","text":"lo\\n\\nworld"}\n\n',
  'event: done\ndata: {"type":"done","conversationId":"c1","messageId":"m1","confidence":0.9,"answered":true}\n\n',
].join('');

function parse(chunks: string[]): ChatEvent[] {
  const events: ChatEvent[] = [];
  const parser = sseParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

describe('sseParser', () => {
  it('reads events whatever the chunk boundaries', () => {
    const whole = parse([stream]);
    expect(whole.map((e) => e.type)).toEqual(['phase', 'token', 'token', 'done']);
    expect(whole[2]).toEqual({ type: 'token', text: 'lo\n\nworld' });
    for (const size of [1, 2, 7, 13]) {
      const chunks = stream.match(new RegExp(`[^]{1,${size}}`, 'g'))!;
      expect(parse(chunks)).toEqual(whole);
    }
  });

  it('accepts CRLF and CR line ends, also split between chunks', () => {
    const crlf = stream.replace(/\n/g, '\r\n');
    expect(parse(crlf.match(/[^]{1,3}/g)!)).toEqual(parse([stream]));
    expect(parse([stream.replace(/\n/g, '\r')])).toEqual(parse([stream]));
  });

  it('takes the type from the event name when the data has none, and skips what is not JSON', () => {
    expect(parse(['event: token\ndata: {"text":"a"}\n\n', 'data: not json\n\n', 'data: 42\n\n', 'data: {"text":"b"}\n\n'])).toEqual([{ type: 'token', text: 'a' }]);
  });

  it('joins multi-line data and keeps a final event without a blank line', () => {
    expect(parse(['data: {"type":"token",\ndata: "text":"x"}'])).toEqual([{ type: 'token', text: 'x' }]);
  });
});
