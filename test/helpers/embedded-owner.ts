/** Starts (or shares) the embedded Postgres in the folder given, reports its URL, then waits. */
import { startEmbeddedPostgres } from '../../core/db/embedded.ts';
import { createLogger } from '../../core/logger.ts';

const db = await startEmbeddedPostgres(process.argv[2]!, createLogger({ level: 'silent' }));
process.send?.(db.url);
process.on('SIGTERM', () => void db.stop().then(() => process.exit(0)));
setInterval(() => undefined, 1 << 30);
