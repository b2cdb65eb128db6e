// Works around postgres.js 3.4.9 porsager/postgres#1154/#1208: when a backend dies mid-transaction, the
// driver's deferred write (`nextWrite` in a setImmediate) dereferences the closed socket and throws an
// uncatchable TypeError that would kill the process. The query itself was already rejected with
// CONNECTION_CLOSED, so that one exception is logged and dropped; any other uncaught exception still ends
// the process (rethrown from the handler, Node exits with code 7).
import type { Logger } from '../log.ts';

let installed = false;

export function isPostgresJsNullSocketWrite(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    err.message.includes("reading 'write'") &&
    /postgres[\\/](cjs[\\/])?src[\\/]connection\.js/.test(err.stack ?? '') &&
    /nextWrite/.test(err.stack ?? '')
  );
}

/** Idempotent; call once at start in processes that use PostgreSQL. */
export function installPostgresJsGuard(log: Logger): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (err) => {
    if (isPostgresJsNullSocketWrite(err)) {
      log.warn({ err: err.message }, 'postgres.js wrote to a closed connection (porsager/postgres#1208); the query already failed with CONNECTION_CLOSED');
      return;
    }
    throw err;
  });
}
