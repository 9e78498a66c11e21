import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config', () => {
  it('runs on embedded defaults with no settings at all', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.database.kind).toBe('pglite');
    expect(c.state.kind).toBe('memory');
    expect(c.storage.kind).toBe('fs');
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.runWorkers).toBe(true);
    expect(Object.isFrozen(c) && Object.isFrozen(c.rateLimits)).toBe(true);
  });

  it('selects real services by configuration', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@db/cloop', REDIS_URL: 'redis://cache:6379', S3_BUCKET: 'files', S3_ENDPOINT: 'http://s3:9000' });
    expect(c.database).toMatchObject({ kind: 'postgres', url: 'postgres://u@db/cloop' });
    expect(c.state).toEqual({ kind: 'redis', url: 'redis://cache:6379', keyPrefix: 'cloop:' });
    expect(c.storage).toMatchObject({ kind: 's3', bucket: 'files', endpoint: 'http://s3:9000' });
    expect(c.runWorkers).toBe(false);
  });

  it('lists every problem at once', () => {
    const found = problems({ PORT: 'eighty', DATABASE_URL: 'mysql://x', RATE_LIMIT_CHAT: 'lots', LOG_LEVEL: 'loud' });
    expect(found.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'RATE_LIMIT_CHAT', 'LOG_LEVEL']));
  });

  it('refuses unsafe production setups, naming each', () => {
    const found = problems({ NODE_ENV: 'production' });
    expect(found.join('\n')).toMatch(/CLOOP_SECRET/);
    expect(found.join('\n')).toMatch(/REDIS_URL/);
    expect(found.join('\n')).toMatch(/DATABASE_URL/);
    expect(found.join('\n')).toMatch(/PUBLIC_URL/);
  });

  it('accepts the embedded database in production only when explicitly allowed', () => {
    const base = { NODE_ENV: 'production', CLOOP_SECRET: 'x'.repeat(40), REDIS_URL: 'redis://r:6379', PUBLIC_URL: 'https://cloop.example' };
    expect(problems(base).join()).toMatch(/DATABASE_URL/);
    expect(problems({ ...base, CLOOP_ALLOW_EMBEDDED_DB: 'true' })).toEqual([]);
  });

  it('parses rate limits as max per window', () => {
    expect(loadConfig({ RATE_LIMIT_CHAT: '5/10' }).rateLimits.chat).toEqual({ max: 5, windowMs: 10_000 });
    expect(problems({ RATE_LIMIT_AUTH: '0/60' })).toHaveLength(1);
  });
});
