import { readyTemplate } from './pglite-template.ts';

// `npm start`'s prestart step: builds the embedded database's template (initdb, migrations, the job
// queue's schema; cached under node_modules/.cache/cloop, rebuilt when a migration changes), so the
// server only copies it when it meets an empty data directory. Nothing to do on PostgreSQL.
if (!readyTemplate()) {
  const { loadConfig } = await import('../config.ts');
  let embedded = true;
  try {
    embedded = loadConfig().database.kind === 'pglite';
  } catch {
    // An invalid environment: the server prints every problem when it starts.
  }
  if (embedded) {
    const started = performance.now();
    const { prepareTemplate } = await import('./database.ts');
    const dir = await prepareTemplate();
    console.log(dir ? `Database template built in ${Math.round(performance.now() - started)} ms` : 'Database template: cache not writable, the first start initializes in place');
  }
}
