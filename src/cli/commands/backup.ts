// otpgate backup FILE, otpgate restore FILE (SQLite; PostgreSQL: pg_dump and pg_restore, docs/operations.md).
// The database stack is imported when a command runs, not to declare it (main.ts: `--help` stays fast).
import { existsSync } from 'node:fs';
import { loadConfig } from '../../runtime/config.js';
import { progressLine } from '../io.js';
import { confirmed, YES_OPTION, type CommandGroup } from './command.js';
import { count } from '../../core/count.js';

export const backupCommands: CommandGroup = (program, cli) => {
  program
    .command('backup')
    .description('write a consistent copy of the SQLite database to FILE (mode 0600) while the server runs; back up the master key separately')
    .argument('<file>', 'the copy to write (a new file: an existing one is replaced only with --force; never through a symbolic link)')
    .option('--force', 'replace FILE when it exists')
    .action(
      cli.action(async ({ instance, io }, file: string, options: { force?: boolean }) => {
        const { backupDatabase } = await import('../../runtime/backup.js');
        const progress = progressLine(io);
        const onProgress = (done: number, total: number) => progress.update(`${done} of ${count(total, 'page')}`);
        const { pages } = await backupDatabase(instance, file, { replace: options.force === true, onProgress }).finally(() => progress.done());
        io.out.write(`backed up ${instance.config.sqlitePath} to ${file} (${count(pages, 'page')}); the master key ${instance.config.keyFile} is not in it: keep a copy of it elsewhere\n`);
        return 0;
      }),
    );
  program
    .command('restore')
    .description('replace the SQLite database with a backup, after checking it is sound and sealed under the master key in use (refused while a server runs on it; asks first when a database exists)')
    .argument('<file>', 'the backup to restore')
    .option(...YES_OPTION)
    .action(async (file: string, options: { yes?: boolean }) => {
      const config = loadConfig(cli.env);
      if (existsSync(config.sqlitePath) && !(await confirmed(cli.io, options.yes, 'restoring over a database', `Replace ${config.sqlitePath} with ${file}? Everything since that backup is lost. The server must be stopped.`))) {
        cli.setCode(1);
        return;
      }
      const { restoreDatabase } = await import('../../runtime/backup.js');
      await restoreDatabase(config, file);
      cli.io.out.write(`restored ${file} into ${config.sqlitePath}\n`);
      cli.setCode(0);
    });
};
