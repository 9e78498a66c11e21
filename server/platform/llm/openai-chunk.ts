import { providerFailureText, type ProviderFailure } from '../provider-response.ts';

/** Why a chat call failed, as it appears in the error's `details.reason`. */
export type LlmFailure = ProviderFailure | 'interrupted';

/** What one `data:` payload of a chat-completions stream carries that Cloop uses. */
export interface ChatChunk {
  /** Answer text of choice 0 (reasoning text some models stream separately is not part of the answer). */
  content: string;
  /** Set on the chunk that ends choice 0 (`stop`, `length`, `content_filter`…). */
  finishReason: string | null;
  usage: { inputTokens: number; outputTokens: number } | null;
  /** The provider reported an error inside the stream (its text is not kept: it may echo secrets). */
  error: boolean;
}

/** Reads one chunk (or a whole non-streamed completion); `null` when it is not a JSON object. */
export function parseChatChunk(data: string): ChatChunk | null {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(json)) return null;
  const choice = Array.isArray(json.choices) ? json.choices.find((c) => isObject(c) && (c.index === undefined || c.index === 0)) : undefined;
  // A streamed chunk has `delta`; a whole completion (a server that ignored `stream`) has `message`.
  const part = isObject(choice) ? (isObject(choice.delta) ? choice.delta : isObject(choice.message) ? choice.message : null) : null;
  const content = part && typeof part.content === 'string' ? part.content : '';
  const finishReason = isObject(choice) && typeof choice.finish_reason === 'string' ? choice.finish_reason : null;
  return { content, finishReason, usage: parseUsage(json.usage), error: json.error !== undefined && json.error !== null };
}

function parseUsage(usage: unknown): ChatChunk['usage'] {
  if (!isObject(usage)) return null;
  const input = usage.prompt_tokens;
  const output = usage.completion_tokens;
  if (!isCount(input) || !isCount(output)) return null;
  return { inputTokens: input, outputTokens: output };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The safe sentence for each failure: nothing from the provider, nothing about the key. */
export const llmFailureText: Record<LlmFailure, string> = { ...providerFailureText, interrupted: 'the answer stream broke off' };
