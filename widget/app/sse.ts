// Server-sent events read from a fetch body (EventSource cannot POST): blocks separated by a blank
// line, `event:` and `data:` fields, `:` comments (heartbeats) ignored.
import type { ChatEvent } from '../../contracts/widget.ts';

/** An incremental parser: push decoded text as it arrives, `end()` at the end of the stream. */
export interface SseParser {
  push(text: string): void;
  end(): void;
}

/** Parses a `text/event-stream` into chat events (the JSON `data`, typed by its `type` or the `event:` name). */
export function sseParser(onEvent: (event: ChatEvent) => void): SseParser {
  let buffer = '';
  const dispatch = (block: string) => {
    let name = '';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
      else if (line.startsWith('event:')) name = line.slice(6).trim();
    }
    if (!data.length) return;
    let event: { type?: unknown } | null;
    try {
      event = JSON.parse(data.join('\n')) as { type?: unknown } | null;
    } catch {
      return; // not JSON: not one of ours
    }
    if (!event || typeof event !== 'object') return;
    if (typeof event.type !== 'string' && name) event.type = name;
    if (typeof event.type === 'string') onEvent(event as ChatEvent);
  };
  const drain = (text: string) => {
    let at: number;
    while ((at = text.indexOf('\n\n')) >= 0) {
      dispatch(text.slice(0, at));
      text = text.slice(at + 2);
    }
    return text;
  };
  return {
    push(text) {
      buffer += text;
      // A trailing CR may be the first half of a CRLF: keep it for the next chunk.
      const hold = buffer.endsWith('\r') ? '\r' : '';
      buffer = drain((hold ? buffer.slice(0, -1) : buffer).replace(/\r\n?/g, '\n')) + hold;
    },
    end() {
      const rest = buffer.replace(/\r\n?/g, '\n');
      buffer = '';
      if (rest.trim()) dispatch(rest);
    },
  };
}
