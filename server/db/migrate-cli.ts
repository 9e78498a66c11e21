import { loadConfig } from '../config.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { openDatabase } from './database.ts';
import { listMigrations } from './migrate.ts';

// `npm run migrate`: applies pending migrations (opening the database applies them) and exits.
const config = loadConfig();
const release = config.database.kind === 'pglite' ? lockDataDir(config.dataDir) : () => {};
try {
  const database = await openDatabase(config.database);
  await database.close();
  console.log(`Database is up to date (${listMigrations().length} migrations).`);
} finally {
  release();
}
