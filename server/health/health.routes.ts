import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.ts';

const probeTimeoutMs = 2_000;

function withTimeout(p: Promise<unknown>): Promise<'ok' | 'unavailable'> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<'unavailable'>((resolve) => (timer = setTimeout(() => resolve('unavailable'), probeTimeoutMs)));
  return Promise.race([p.then(() => 'ok' as const, () => 'unavailable' as const), timeout]).finally(() => clearTimeout(timer));
}

/** `/healthz` (alive), `/readyz` (database and state store reachable), `/.well-known/security.txt`. */
export async function healthRoutes(app: FastifyInstance, deps: Pick<Deps, 'database' | 'state' | 'config'>): Promise<void> {
  const probe = { rateTier: 'public' as const, failOpen: true };

  app.get('/healthz', { config: probe }, async function healthz() {
    return { status: 'ok' };
  });

  app.get('/readyz', { config: probe }, async function readyz(_request, reply) {
    const [database, state] = await Promise.all([withTimeout(deps.database.ping()), withTimeout(deps.state.ping())]);
    const ready = database === 'ok' && state === 'ok';
    return reply.code(ready ? 200 : 503).send({ database, state });
  });

  const { contact, expires } = deps.config.securityTxt;
  const securityTxt = [
    `Contact: ${contact}`,
    `Expires: ${expires}`,
    'Preferred-Languages: en',
    `Canonical: ${deps.config.publicUrl}/.well-known/security.txt`,
    '',
  ].join('\n');
  app.get('/.well-known/security.txt', { config: { rateTier: 'public' } }, async function securityTxtRoute(_request, reply) {
    return reply.type('text/plain; charset=utf-8').send(securityTxt);
  });
}
