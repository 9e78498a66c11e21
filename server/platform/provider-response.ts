// What the two OpenAI-protocol clients (embeddings/openai.ts, llm/openai.ts) share about a provider's
// answers: why a call failed, the safe sentence for it, and how long the provider asks us to wait.

/** Why a provider call failed, as it appears in the error's `details.reason` (each client adds its own). */
export type ProviderFailure = 'rate_limited' | 'server_error' | 'timeout' | 'network' | 'refused' | 'unauthorized' | 'rejected' | 'invalid_response';

/** The safe sentence for each failure: nothing from the provider, nothing about the key. */
export const providerFailureText: Record<ProviderFailure, string> = {
  rate_limited: 'the provider is rate-limiting requests',
  server_error: 'the provider had a server error',
  timeout: 'the provider did not answer in time',
  network: 'the provider could not be reached',
  refused: "the provider's address is not allowed for outbound requests",
  unauthorized: 'the provider refused the API key',
  rejected: 'the provider rejected the request',
  invalid_response: 'the provider sent a response that is not valid',
};

/** `Retry-After` (seconds or an HTTP date) or OpenAI's `retry-after-ms`, in milliseconds. */
export function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (value.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
