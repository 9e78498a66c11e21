import { parseArgs } from 'node:util';
import { loadConfig, withLocalSecret } from '../config.ts';
import { lockDataDir } from '../db/data-dir-lock.ts';
import { createDeps } from '../deps.ts';
import { askRunningServer, runCommand } from './control-socket.ts';

// `npm run cloop -- <command>`: operator commands. While a server runs on the same data directory
// the command goes through its control socket; otherwise the CLI opens the database itself.
const usage = `Usage:
  npm run cloop -- signin-link --email someone@example.com   print a single-use sign-in link (15 minutes)`;

const { positionals, values } = parseArgs({ allowPositionals: true, options: { email: { type: 'string' } } });
const command = positionals[0];
if (command !== 'signin-link' || !values.email) {
  console.error(usage);
  process.exit(2);
}
const request = { cmd: 'signin-link', email: values.email };
const config = withLocalSecret(loadConfig());

let result = await askRunningServer(config.dataDir, request);
if (!result) {
  const release = config.database.kind === 'pglite' ? lockDataDir(config.dataDir) : () => {};
  const deps = await createDeps(config);
  try {
    result = await runCommand(deps, request).then((r) => ({ ok: true, ...r }), (err: Error) => ({ ok: false, error: err.message }));
  } finally {
    await deps.close();
    release();
  }
}
if (!result.ok) {
  console.error(`Error: ${String(result.error)}`);
  process.exit(1);
}
console.log(`Sign-in link: ${String(result.url)}`);
process.exit(0);
