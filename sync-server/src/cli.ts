// Entry point: `npm run relay -- [serve|backup <file>|restore <file>|migrate --to URL] [options]`.
import { isDatabaseUnavailable } from './db/sql';
import { ConfigError, helpText, parseArgs } from './config';
import { createLogger, logOutput, type LogOutput } from './log';
import { startRelay } from './server';
import { membershipHooks } from './conversations';
import { backup, restore } from './backup';
import { runAdmin } from './admin';

/** The serving relay's log output (log.ts), written out (for a bounded time) before any exit. */
let output: LogOutput | null = null;

/** Exits once the log lines waiting have been written, or after 2 s (a stuck reader). */
function exitAfterLogs(code: number): void {
  void (output ? output.close(2000) : Promise.resolve()).then(() => process.exit(code));
}

async function main(): Promise<number> {
  const first = process.argv[2];
  if (first === 'admin' || first === 'audit') return runAdmin(process.argv.slice(2));
  // Imported only for that command: it loads the AWS SDK (S3), which serving does not need.
  if (first === 'migrate')
    return (await import('./migrate/command')).runMigrate(process.argv.slice(2));
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ferry-relay: ${error.message}\n(see ferry-relay --help)`);
      return 2;
    }
    throw error;
  }
  const { command, file, config } = parsed;
  if (command === 'help') {
    console.log(helpText());
    return 0;
  }
  if (command === 'backup' && file) {
    const summary = await backup(config.data, file, config.blobs);
    console.log(JSON.stringify({ msg: 'backup written', ...summary }));
    if (summary.filesNotCopied) console.error(`ferry-relay: ${summary.filesNotCopied}`);
    return 0;
  }
  if (command === 'restore' && file) {
    const summary = await restore(config.data, file);
    console.log(JSON.stringify({ msg: 'restored', ...summary }));
    return 0;
  }

  output = logOutput();
  const log = createLogger(config.logLevel, output);
  if (config.debugLoadDelayMs > 0 || config.debugDbMaxPages > 0) {
    log.warn(
      { debugLoadDelayMs: config.debugLoadDelayMs, debugDbMaxPages: config.debugDbMaxPages },
      'TEST-ONLY debug options are on; never use them in production',
    );
  }
  // With accounts on: membership, socket auth, enforced authorship, the directory documents.
  const running = await startRelay(config, log, config.noAuth ? {} : membershipHooks(config, log));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Lines dropped while nobody read stdout (log.ts) are counted here, once it reads again.
    log.info({ signal, droppedLogLines: output?.dropped() ?? 0 }, 'stopping');
    // The last lines get 2 s to reach a reader of stdout; a reader that stopped reading does
    // not hold the exit (log.ts).
    running.drain().then(
      () => exitAfterLogs(0),
      (error: unknown) => {
        log.fatal({ err: error }, 'drain failed');
        exitAfterLogs(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (error) => {
    if (isDatabaseUnavailable(error)) {
      log.error({ err: error }, 'database unavailable; operation abandoned');
      return;
    }
    log.fatal({ err: error }, 'unhandled rejection');
    stop('unhandledRejection');
  });
  process.on('uncaughtException', (error) => {
    if (isDatabaseUnavailable(error)) {
      // PostgreSQL is away: what needed it (a timer's write, a periodic read) is abandoned and
      // retried later; writes are refused and /readyz says so until it is back.
      log.error({ err: error }, 'database unavailable; operation abandoned');
      return;
    }
    // Never lose stored data to a bug: log, then drain like a SIGTERM.
    log.fatal({ err: error }, 'uncaught exception');
    stop('uncaughtException');
  });
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) exitAfterLogs(code);
  },
  (error: unknown) => {
    console.error(`ferry-relay: ${(error as Error).message}`);
    exitAfterLogs(1);
  },
);
