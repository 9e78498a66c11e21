import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Everything that leaves the server goes through server/platform/fetch/ (SSRF checks, caps, timeouts).
// This scan fails when production code under server/ reaches the network another way. Tests may
// talk to loopback servers however they like, so *.test.ts files are not scanned.

const serverDir = fileURLToPath(new URL('../server/', import.meta.url));

/** Files allowed to make outbound calls themselves for now, each with why. Paths are relative to server/. */
const exceptions: Record<string, string> = {
  'auth/providers/github.ts':
    'provider calls go to operator-configured endpoints (GITHUB_URL, GITHUB_API_URL); injected fetch, global fetch by default — to be routed through the fetcher',
  'auth/providers/oidc.ts':
    'openid-client discovery and token calls go to operator-configured issuers; injected fetch via customFetch — to be routed through the fetcher',
  'cli/control-socket.ts': 'net.connect to the local Unix control socket of a running server; not HTTP, never a remote host',
};

/** Packages that make HTTP requests on their own. */
const clientPackages = ['undici', 'axios', 'got', 'node-fetch', 'cross-fetch', 'isomorphic-fetch', 'ky', 'superagent', 'needle', 'request', 'openid-client'];
/** Node modules whose listed functions open outbound connections. */
const nodeClientApis: Record<string, string[]> = {
  http: ['request', 'get'],
  https: ['request', 'get'],
  http2: ['connect'],
  net: ['connect', 'createConnection'],
  tls: ['connect'],
};

/**
 * Blanks comments, and with `blankStrings` also the contents of string and template literals
 * (keeping `${…}` code), so words in prose never count as code.
 */
function stripSource(src: string, blankStrings: boolean): string {
  let out = '';
  const braces: number[] = []; // brace depth at which each open template's `${` started
  let depth = 0;
  let i = 0;
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  const readString = (quote: string): void => {
    let j = i + 1;
    while (j < src.length && src[j] !== quote && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
    const body = src.slice(i + 1, j);
    out += quote + (blankStrings ? blank(body) : body) + (src[j] ?? '');
    i = j + 1;
  };
  const readTemplate = (): void => {
    // i points just after a backtick or after the `}` closing an interpolation
    let j = i;
    while (j < src.length && src[j] !== '`' && !(src[j] === '$' && src[j + 1] === '{')) j += src[j] === '\\' ? 2 : 1;
    const body = src.slice(i, j);
    out += blankStrings ? blank(body) : body;
    if (src[j] === '`') {
      out += '`';
      i = j + 1;
    } else {
      out += '${';
      braces.push(depth);
      depth++;
      i = j + 2;
    }
  };
  while (i < src.length) {
    const c = src[i] as string;
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? src.length : end;
      out += blank(src.slice(i, stop));
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      out += blank(src.slice(i, stop));
      i = stop;
    } else if (c === "'" || c === '"') readString(c);
    else if (c === '`') {
      out += '`';
      i++;
      readTemplate();
    } else if (c === '{') {
      depth++;
      out += c;
      i++;
    } else if (c === '}') {
      depth--;
      out += c;
      i++;
      if (braces.length && braces[braces.length - 1] === depth) {
        braces.pop();
        readTemplate();
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Every way `src` reaches the network outside the fetcher, one line each. */
function findHttpClients(src: string): string[] {
  const code = stripSource(src, false);
  const bare = stripSource(src, true);
  const found: string[] = [];
  const lineOf = (index: number) => code.slice(0, index).split('\n').length;

  // Value imports (type-only imports carry no code), requires, dynamic imports and re-exports.
  const importRe = /(?:import\s+(?!type\s)([\w$*{}\s,]+?)\s+from\s*|import\s*\(\s*|require\s*\(\s*|export\s+[\w$*{}\s,]*?from\s*|import\s+)(['"])([^'"]+)\2/g;
  for (const m of code.matchAll(importRe)) {
    const clause = m[1] ?? '';
    const spec = m[3] ?? '';
    const mod = spec.replace(/^node:/, '');
    if (clientPackages.includes(spec) || clientPackages.some((p) => spec.startsWith(`${p}/`))) {
      found.push(`line ${lineOf(m.index)}: imports ${spec}`);
      continue;
    }
    const apis = nodeClientApis[mod];
    if (!apis || !/^(?:node:)?[\w]+$/.test(spec)) continue;
    const named = /\{([^}]*)\}/.exec(clause)?.[1] ?? '';
    for (const part of named.split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0];
      if (name && apis.includes(name) && !/^\s*type\s/.test(part)) found.push(`line ${lineOf(m.index)}: imports ${name} from ${spec}`);
    }
    const whole = /^\s*(?:\*\s+as\s+)?([\w$]+)/.exec(clause.replace(/\{[^}]*\}/, ''))?.[1];
    if (whole) {
      const use = new RegExp(`(?<![\\w$.])${whole}\\s*\\.\\s*(${apis.join('|')})\\s*\\(`, 'g');
      for (const u of bare.matchAll(use)) found.push(`line ${lineOf(u.index)}: ${whole}.${u[1]}() from ${spec}`);
    }
  }

  for (const m of bare.matchAll(/\b(?:globalThis|global|window|self)\s*\.\s*fetch\b/g)) found.push(`line ${lineOf(m.index)}: global fetch`);
  for (const m of bare.matchAll(/\bcreateRemoteJWKSet\s*\(/g)) found.push(`line ${lineOf(m.index)}: jose createRemoteJWKSet (fetches keys itself)`);

  // The global `fetch`, called or passed along; not a property (`x.fetch`), a key (`fetch:`), `typeof fetch`
  // or a method being defined (`fetch(url) {` / `fetch(url): T;`).
  const withoutTypeof = bare.replace(/\btypeof\s+fetch\b/g, (s) => ' '.repeat(s.length));
  for (const m of withoutTypeof.matchAll(/(?<![\w$.])fetch(?![\w$])/g)) {
    const after = withoutTypeof.slice(m.index + 5);
    if (/^\s*\??\s*:/.test(after) || /^\s*\?\s*\(/.test(after)) continue;
    if (/^\s*\(/.test(after) && isDefinition(withoutTypeof, m.index)) continue;
    found.push(`line ${lineOf(m.index)}: global fetch`);
  }
  return found;
}

/** True when the `fetch(` at `index` defines a method rather than calling the global. */
function isDefinition(src: string, index: number): boolean {
  const before = src.slice(0, index).trimEnd();
  if (!/(?:[{};,]|\basync|\bstatic|\bpublic|\bprivate|\bprotected|\boverride)$/.test(before) && before !== '') return false;
  let depth = 0;
  let j = src.indexOf('(', index);
  for (; j < src.length; j++) {
    if (src[j] === '(') depth++;
    else if (src[j] === ')' && --depth === 0) break;
  }
  return /^\s*[{:]/.test(src.slice(j + 1));
}

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return productionFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

const rel = (path: string) => relative(serverDir, path).split(sep).join('/');
const scanned = productionFiles(serverDir).filter((f) => !rel(f).startsWith('platform/fetch/'));

describe('outbound HTTP goes only through server/platform/fetch', () => {
  it('scans the production code under server/', () => expect(scanned.length).toBeGreaterThan(20));

  it('finds no other HTTP client in production code', () => {
    const offenders = scanned
      .filter((f) => !(rel(f) in exceptions))
      .flatMap((f) => findHttpClients(readFileSync(f, 'utf8')).map((hit) => `server/${rel(f)} ${hit}`));
    expect(offenders, 'use the Fetcher (server/platform/fetch/fetcher.ts) for anything that leaves the server').toEqual([]);
  });

  it.each(Object.entries(exceptions))('exception %s still exists and still needs its exception (%s)', (file) => {
    const path = join(serverDir, file);
    expect(scanned).toContain(path);
    expect(findHttpClients(readFileSync(path, 'utf8')), 'nothing left to except: remove this entry').not.toEqual([]);
  });
});

describe('the scanner', () => {
  const rows: { code: string; flagged: boolean }[] = [
    { code: "import { request } from 'undici';", flagged: true },
    { code: "import type { Dispatcher } from 'undici';", flagged: false },
    { code: "const { fetch } = await import('undici');", flagged: true },
    { code: "const u = require('undici');", flagged: true },
    { code: "export { Agent } from 'undici';", flagged: true },
    { code: "import axios from 'axios';", flagged: true },
    { code: "import got from 'got';", flagged: true },
    { code: "import fetch from 'node-fetch';", flagged: true },
    { code: "import * as client from 'openid-client';", flagged: true },
    { code: "import http from 'node:http';\nhttp.request(opts);", flagged: true },
    { code: "import https from 'https';\nhttps.get('https://x');", flagged: true },
    { code: "import * as h from 'node:http';\nh.get(u, cb);", flagged: true },
    { code: "import { request as r } from 'node:https';", flagged: true },
    { code: "import { get } from 'http';", flagged: true },
    { code: "import http2 from 'node:http2';\nhttp2.connect('https://x');", flagged: true },
    { code: "import net from 'node:net';\nnet.connect(443, 'x');", flagged: true },
    { code: "import { connect } from 'node:tls';", flagged: true },
    { code: "import { createServer, type IncomingMessage } from 'node:http';", flagged: false },
    { code: "import { isIP } from 'node:net';", flagged: false },
    { code: "import type { IncomingHttpHeaders } from 'node:http';", flagged: false },
    { code: 'const res = await fetch(url);', flagged: true },
    { code: 'const r = await globalThis.fetch(url);', flagged: true },
    { code: 'const doFetch = opts.fetch ?? fetch;', flagged: true },
    { code: 'call(fetch);', flagged: true },
    { code: 'const x = ok ? fetch(a) : null;', flagged: true },
    { code: 'const page = await deps.fetcher.fetch(url);', flagged: false },
    { code: 'const o = { fetch: wrapped };', flagged: false },
    { code: 'interface F { fetch(url: string): Promise<R>; fetch?: typeof fetch }', flagged: false },
    { code: 'const fake = { async fetch(url) { return null; } };', flagged: false },
    { code: '// we never call fetch(url) here', flagged: false },
    { code: "throw new Error('could not fetch (url) the page');", flagged: false },
    { code: 'const s = `fetch(${u}) failed`;', flagged: false },
    { code: 'const s = `${fetch(u)}`;', flagged: true },
    { code: "const u = 'http://example.com'; fetch(u);", flagged: true },
    { code: 'const keys = createRemoteJWKSet(new URL(jwksUri));', flagged: true },
  ];
  it.each(rows)('$code → flagged: $flagged', ({ code, flagged }) => {
    expect(findHttpClients(code).length > 0).toBe(flagged);
  });
});
