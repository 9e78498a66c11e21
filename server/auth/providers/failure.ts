import { timingSafeEqual } from 'node:crypto';
import { appError, type AppError } from '../../errors.ts';

/** Why a sign-in failed: a short machine string a client may see in `details.reason`. */
export type SignInFailureReason =
  | 'state_mismatch'
  | 'nonce_mismatch'
  | 'issuer_mismatch'
  | 'code_rejected'
  | 'id_token_invalid'
  | 'email_unavailable'
  | 'provider_error'
  | 'provider_unreachable';

const messages: Record<SignInFailureReason, string> = {
  state_mismatch: 'This sign-in attempt expired or was started elsewhere. Please sign in again.',
  nonce_mismatch: 'The sign-in could not be verified. Please sign in again.',
  issuer_mismatch: 'The sign-in could not be verified. Please sign in again.',
  code_rejected: 'The sign-in could not be completed. Please sign in again.',
  id_token_invalid: 'The sign-in could not be verified. Please sign in again.',
  email_unavailable: 'The sign-in provider did not share your email address.',
  provider_error: 'The sign-in was cancelled or refused by the provider.',
  provider_unreachable: 'The sign-in provider could not be reached. Try again shortly.',
};

/** The one error every provider throws: `sign_in_failed` with a safe message and `{ reason }`; `cause` stays server-side. */
export function signInFailed(reason: SignInFailureReason, cause?: unknown): AppError {
  const err = appError('sign_in_failed', messages[reason], { reason });
  if (cause !== undefined) err.cause = cause;
  return err;
}

/** Constant-time comparison of a returned `state` with the one we kept. */
export function sameState(received: string | null, expected: string): boolean {
  if (!received || !expected) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Provider URLs must be https. Plain http is accepted only for a loopback host and only when
 * the caller opted in (tests with local identity providers); the answer is whether to allow it.
 */
export function allowsInsecureHttp(url: string, optIn: boolean, setting: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'https:') return false;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.protocol === 'http:' && loopback && optIn) return true;
  throw new Error(`${setting}: sign-in provider URLs must use https (got ${u.origin})`);
}
