import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, settingNames } from '../server/config.ts';

// deploy/ is configuration, but it can still be wrong: the units must pass systemd's own checks,
// name only settings Cloop reads and start a valid production configuration; logrotate must parse;
// the scripts must be valid bash; the firewall and proxy must keep the promises they state.

const deployDir = path.resolve(import.meta.dirname, '..', 'deploy');
const read = (file: string) => readFileSync(path.join(deployDir, file), 'utf8');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cloop-deploy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** `Environment=` assignments of a unit, as an env object. */
function unitEnvironment(unit: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of unit.split('\n').filter((l) => l.startsWith('Environment=')))
    for (const pair of line.slice('Environment='.length).split(/\s+/)) {
      const [key, ...value] = pair.split('=');
      env[key!] = value.join('=');
    }
  return env;
}

const units = ['cloop-api.service', 'cloop-worker@.service'];

describe('systemd units', () => {
  it.runIf(has('systemd-analyze'))('pass systemd-analyze verify without a single complaint', () => {
    const dir = path.join(tmp, 'units');
    mkdirSync(dir);
    copyFileSync(path.join(deployDir, 'cloop-api.service'), path.join(dir, 'cloop-api.service'));
    copyFileSync(path.join(deployDir, 'cloop-worker@.service'), path.join(dir, 'cloop-worker@1.service'));
    const run = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(dir, 'cloop-api.service'), path.join(dir, 'cloop-worker@1.service')], { encoding: 'utf8' });
    expect(`${run.stdout}${run.stderr}`.trim()).toBe('');
    expect(run.status).toBe(0);
  });

  it.each(units)('%s names only real settings, and with the secrets added makes a valid production config', (file) => {
    const env = unitEnvironment(read(file));
    expect(Object.keys(env).filter((k) => !settingNames.includes(k))).toEqual([]);
    const config = loadConfig({ ...env, PUBLIC_URL: 'https://cloop.example.com', DATABASE_URL: 'postgres://cloop@127.0.0.1/cloop', REDIS_URL: 'redis://127.0.0.1:6379', CLOOP_SECRET: 'x'.repeat(48) });
    expect(config.env).toBe('production');
    // What the process writes is inside what the sandbox lets it write.
    const writable = /^ReadWritePaths=(.*)$/m.exec(read(file))![1]!.split(/\s+/);
    expect(writable).toContain(config.dataDir);
    expect(writable).toContain(path.dirname(config.auditLogFile));
  });

  it('the API listens on loopback only and believes X-Forwarded-For from the proxy alone', () => {
    const env = unitEnvironment(read('cloop-api.service'));
    expect(env.HOST).toBe('127.0.0.1');
    expect(env.TRUSTED_PROXIES).toBe('127.0.0.1,::1');
    expect(read('Caddyfile')).toContain(`reverse_proxy 127.0.0.1:${env.PORT}`);
  });
});

describe('the rest of deploy/', () => {
  it.runIf(has('logrotate'))('logrotate parses the config and keeps 90 days', () => {
    const logs = path.join(tmp, 'logs');
    mkdirSync(logs);
    writeFileSync(path.join(logs, 'audit.log'), '{}\n');
    const conf = read('logrotate-cloop').replaceAll('/var/log/cloop', logs).replace(/^\s*su .*$/m, '').replace(/^\s*create .*$/m, '');
    writeFileSync(path.join(tmp, 'logrotate.conf'), conf);
    const out = execFileSync('logrotate', ['-d', '-s', path.join(tmp, 'state'), path.join(tmp, 'logrotate.conf')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).not.toMatch(/error/i);
    expect(read('logrotate-cloop')).toMatch(/rotate 90\b/);
    expect(read('journald-cloop.conf')).toMatch(/^MaxRetentionSec=90day$/m);
  });

  it.each(['deploy.sh', 'setup-host.sh'])('%s is valid bash and stops on the first error', (file) => {
    expect(spawnSync('bash', ['-n', path.join(deployDir, file)]).status).toBe(0);
    expect(read(file)).toContain('set -euo pipefail');
  });

  it('the firewall keeps the cloop user away from private and metadata addresses', () => {
    const nft = read('nftables.conf');
    expect(nft).toMatch(/policy drop/);
    for (const range of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fe80::/10']) expect(nft).toContain(range);
    expect(nft).toMatch(/meta skuid != "cloop" accept/);
  });

  it('the proxy streams server-sent events and keeps keys and tokens out of its access log', () => {
    const caddy = read('Caddyfile');
    expect(caddy).toContain('flush_interval -1');
    expect(caddy).toMatch(/request>headers>Authorization delete/);
    expect(caddy).toMatch(/request>headers>X-Cloop-Key delete/);
    expect(existsSync(path.join(deployDir, 'apparmor-cloop'))).toBe(true);
  });
});
