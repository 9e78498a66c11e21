// Server-sent events over `fetch` (EventSource cannot send the Authorization header).
import { apiResponse } from './api.ts';

/** One event of a text/event-stream. */
export interface StreamEvent {
  event: string;
  data: unknown;
}

/** Splits a text/event-stream into events as chunks arrive; comments (heartbeats) are dropped. */
export function sseParser(onEvent: (e: StreamEvent) => void): { push(text: string): void } {
  let buffer = '';
  return {
    push(text) {
      buffer += text.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (!data.length) continue;
        try {
          onEvent({ event, data: JSON.parse(data.join('\n')) });
        } catch {
          // not JSON: not one of ours
        }
      }
    },
  };
}

/** Reads the events of an API stream until it ends or `signal` aborts. */
export async function streamEvents(path: string, onEvent: (e: StreamEvent) => void, signal: AbortSignal): Promise<void> {
  const res = await apiResponse(path, { signal, accept: 'text/event-stream' });
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parser = sseParser(onEvent);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
  } finally {
    reader.releaseLock();
  }
}
