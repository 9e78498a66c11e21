/** One message of a chat prompt. */
export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What a model stream yields: answer text as it arrives, then (once, last) the tokens the call consumed. */
export type LlmEvent = { type: 'token'; text: string } | { type: 'usage'; inputTokens: number; outputTokens: number };

/** A passage the offline answerer may quote (the provider model reads passages from the system prompt instead). */
export interface LlmPassage {
  /** The citation number, as in `[1]`. */
  n: number;
  title: string;
  text: string;
}

/** One answer to generate. */
export interface LlmRequest {
  messages: LlmMessage[];
  /** Cap on the answer's tokens. */
  maxTokens: number;
  temperature?: number;
  /** Aborting stops the stream: reading ends, the HTTP body is cancelled, the iterator throws the abort reason. */
  signal: AbortSignal;
  /** The retrieved passages, for the offline answerer. */
  passages?: LlmPassage[];
  /** The visitor's language code (`fi`, `sv-SE`…), for the offline answerer's own words. */
  language?: string;
}

/**
 * Streams an answer. Two homes: any OpenAI-compatible chat-completions endpoint (`openai.ts`) and
 * the offline extractive answerer (`offline.ts`, the embedded default, no key). Failures are
 * AppError `llm_failed`; a stream that breaks midway throws after the tokens already yielded, so
 * the caller keeps the partial answer.
 */
export interface ChatModel {
  /** The model name, as metered and stored with the message. */
  readonly model: string;
  readonly provider: 'openai' | 'offline';
  stream(req: LlmRequest): AsyncIterable<LlmEvent>;
}

/** A token estimate for text no provider counted: about 4 characters a token. */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

/** The estimated prompt tokens of `messages`: their text plus a few tokens of framing each. */
export function estimatePromptTokens(messages: readonly LlmMessage[]): number {
  return messages.reduce((sum, m) => sum + estimateTokens(m.content) + 4, 0);
}
