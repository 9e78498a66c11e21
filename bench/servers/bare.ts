import Fastify from 'fastify';
import { announceAndWatch } from './lifecycle.ts';

// Baseline 1: the smallest Fastify app, logger off.
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: 0, host: '127.0.0.1' });
announceAndWatch(app, () => app.close());
