import type { FastifyReply } from 'fastify';

/** Content-Security-Policy for JSON and text responses: nothing may load, nothing may frame. */
export const apiCsp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The security headers every response carries, computed once at start-up
 * (HSTS only when the public URL is https).
 */
export function securityHeaders(publicUrl: string): Record<string, string> {
  const headers: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    'content-security-policy': apiCsp,
  };
  if (publicUrl.startsWith('https://')) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  return headers;
}

/** Sets the precomputed headers on a reply (cheap: a few assignments). */
export function applyHeaders(reply: FastifyReply, headers: Record<string, string>): void {
  for (const name in headers) reply.header(name, headers[name]);
}
