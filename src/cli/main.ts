// The otpgate command line: parses arguments, calls the services, sets the exit code.
// 0 success (for `check`: accept), 1 a refused operation or any other result, 2 bad usage.
import { MasterKeyError } from '../crypto/master-key.js';
import { SeedFileError } from '../import/imported-key.js';
import { loadConfig, type Config } from '../runtime/config.js';
import { initInstance, migrateDatabase, openInstance, type Instance } from '../runtime/instance.js';
import { ServiceError } from '../services/errors.js';
import { accountCommands } from './commands/account.js';
import { apiKeyCommands } from './commands/apikey.js';
import { auditCommands } from './commands/audit.js';
import { checkCommand } from './commands/check.js';
import { directoryCommands } from './commands/directory.js';
import { UsageErrorFor, type CommandGroup } from './commands/command.js';
import { radiusCommands } from './commands/radius.js';
import { restrictionCommands } from './commands/restriction.js';
import { tokenCommands } from './commands/token.js';
import { userCommands } from './commands/user.js';
import { parse, processIo, refuseIllFormedArguments, UsageError, type CommandIo } from './io.js';

const GROUPS: CommandGroup[] = [accountCommands, userCommands, tokenCommands, restrictionCommands, checkCommand, apiKeyCommands, radiusCommands, auditCommands, directoryCommands];

/** Commands that manage their own process (a server) instead of running once. */
export interface ExtraCommand {
  name: string;
  summary: string;
  usage: string[];
  run(config: Config, args: string[], io: CommandIo): Promise<number>;
}

const extraCommands: ExtraCommand[] = [
  {
    name: 'serve',
    summary: 'run the HTTP server (and RADIUS when configured)',
    usage: ['serve    run the server; a fresh data directory is initialised first (the first admin is printed once)'],
    async run(config, args, io) {
      parse(args, {}, { min: 0, max: 0, usage: 'serve' });
      // Loaded only here, so that other commands do not pay for the web framework's start-up.
      const { serve } = await import('../runtime/serve.js');
      return serve(config, io);
    },
  },
  {
    name: 'migrate',
    summary: 'apply pending database migrations',
    usage: ['migrate  apply pending schema migrations (SQLite or OTPGATE_DATABASE_URL) and print them'],
    async run(config, args, io) {
      parse(args, {}, { min: 0, max: 0, usage: 'migrate' });
      const { applied, current } = await migrateDatabase(config);
      const where = config.databaseUrl ? 'PostgreSQL' : config.sqlitePath;
      for (const name of applied) io.out.write(`applied ${name}\n`);
      io.out.write(
        applied.length === 0
          ? `nothing to apply: ${where} is up to date (${current.length} migration${current.length === 1 ? '' : 's'}, latest ${current.at(-1) ?? 'none'})\n`
          : `${where} is now at ${current.at(-1) ?? 'none'}\n`,
      );
      return 0;
    },
  },
];

function help(): string {
  const lines = ['usage: otpgate COMMAND ...', '', 'commands:'];
  lines.push('  init [--admin NAME]    create the database, the master key, the account "default" and its first admin');
  for (const command of extraCommands) lines.push(...command.usage.map((u) => `  ${u}`));
  for (const group of GROUPS) lines.push(...group.usage.map((u) => `  ${u}`));
  lines.push('', 'Configuration comes from OTPGATE_* environment variables (see README.md).');
  return lines.join('\n');
}

async function init(config: Config, args: string[], io: CommandIo): Promise<number> {
  const { values } = parse(args, { admin: { type: 'string' } }, { min: 0, max: 0, usage: 'init [--admin NAME]' });
  const { instance, result } = await initInstance(config, values.admin ? { adminName: values.admin } : {});
  await instance.close();
  if (!result.firstAdmin) {
    io.out.write(`already initialised (${config.databaseUrl ? 'PostgreSQL' : config.sqlitePath}); nothing changed\n`);
    return 0;
  }
  io.out.write(
    [
      `initialised ${config.databaseUrl ? 'the PostgreSQL database' : config.sqlitePath}`,
      `master key: ${config.keyFile} (mode 0600; back it up: without it no token secret can be read)`,
      `first admin of account "default": ${result.firstAdmin.username}`,
      `password (shown only now): ${result.firstAdmin.password}`,
      '',
    ].join('\n'),
  );
  return 0;
}

export async function main(argv: string[], io: CommandIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...args] = argv;
  let instance: Instance | undefined;
  try {
    refuseIllFormedArguments(argv);
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      (name ? io.out : io.err).write(`${help()}\n`);
      return name ? 0 : 2;
    }
    const config = loadConfig(env);
    if (name === 'init') return await init(config, args, io);
    const extra = extraCommands.find((c) => c.name === name);
    if (extra) return await extra.run(config, args, io);
    const group = GROUPS.find((g) => g.name === name);
    if (!group) throw new UsageError(`unknown command "${name}"\n\n${help()}`);
    if (args[0] === '--help' || args[0] === '-h') throw new UsageErrorFor(group);
    instance = await openInstance(config);
    return await group.run({ instance, io }, args);
  } catch (error) {
    if (error instanceof UsageError || error instanceof UsageErrorFor) {
      io.err.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof ServiceError || error instanceof MasterKeyError || error instanceof SeedFileError) {
      io.err.write(`otpgate: ${error.message}\n`);
      return 1;
    }
    io.err.write(`otpgate: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await instance?.close();
  }
}
