/** One server-sent event: its `event:` name (default `message`) and its `data:` lines joined by `\n`. */
export interface SseEvent {
  event: string;
  data: string;
}

/** An incremental server-sent-events parser: feed decoded text in any pieces, take events as they complete. */
export interface SseParser {
  /** Adds text (lines may be split anywhere, `\r\n` included) and returns the events it completed. */
  push(text: string): SseEvent[];
  /** The input ended: returns an event still waiting for its blank line (providers sometimes omit the last one). */
  end(): SseEvent[];
}

/**
 * Parses `text/event-stream` as the WHATWG spec reads it: lines end in `\n`, `\r\n` or `\r`;
 * a blank line dispatches; `:` lines are comments (keep-alives); `data` lines accumulate; one
 * space after the colon is dropped; `id` and `retry` are ignored (a provider stream is not resumed).
 */
export function createSseParser(): SseParser {
  let buffer = '';
  let data: string[] = [];
  let event = '';
  /** A `\r` ended the last piece: a `\n` starting the next one belongs to the same line break. */
  let pendingCr = false;

  function line(text: string, out: SseEvent[]): void {
    if (text === '') {
      if (data.length) out.push({ event: event || 'message', data: data.join('\n') });
      data = [];
      event = '';
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }

  return {
    push(text) {
      const out: SseEvent[] = [];
      if (pendingCr && text.startsWith('\n')) text = text.slice(1);
      pendingCr = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        line(buffer.slice(start, i), out);
        if (c === 13) {
          if (i + 1 === buffer.length) pendingCr = true;
          else if (buffer.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      if (buffer) line(buffer, out);
      buffer = '';
      line('', out);
      return out;
    },
  };
}
