import helmet from '@fastify/helmet';
import Fastify from 'fastify';
import { announceAndWatch } from './lifecycle.ts';

// Baseline 2: what a typical team ships — helmet defaults and Fastify's own pino logger to a file.
const file = process.env.BENCH_LOG_FILE;
if (!file) throw new Error('BENCH_LOG_FILE is required');
const app = Fastify({ logger: { level: 'info', file } });
await app.register(helmet);
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: 0, host: '127.0.0.1' });
announceAndWatch(app, () => app.close());
