// The otpgate command line: commander parses the arguments and answers --help, `help TOPIC` and --version;
// the actions call the services. Exit codes: 0 success (for `check`: accept), 1 a refused operation or any
// other result, 2 bad usage (commander's errors, and UsageError from an action).
// The database stack (runtime/instance.js: the store, the services, the engines' drivers) is imported only
// when a command runs, never to declare the commands: `--help`, `--version` and usage errors stay fast.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { loadConfig, type Config } from '../runtime/config.js';
import type { Instance } from '../runtime/instance.js';
import { accountCommands } from './commands/account.js';
import { apiKeyCommands } from './commands/apikey.js';
import { auditCommands } from './commands/audit.js';
import { backupCommands } from './commands/backup.js';
import { oidcCommands } from './commands/oidc.js';
import { keyCommands } from './commands/key.js';
import { reportCommands } from './commands/report.js';
import { webhookCommands } from './commands/webhook.js';
import { checkCommand } from './commands/check.js';
import { directoryCommands } from './commands/directory.js';
import type { Cli, CommandGroup } from './commands/command.js';
import { radiusCommands } from './commands/radius.js';
import { restrictionCommands } from './commands/restriction.js';
import { tokenCommands } from './commands/token.js';
import { userCommands } from './commands/user.js';
import { outputMayBeCutShort, processIo, refuseIllFormedArguments, UsageError, type CommandIo } from './io.js';
import { count } from '../core/count.js';

const GROUPS: CommandGroup[] = [accountCommands, userCommands, tokenCommands, restrictionCommands, checkCommand, apiKeyCommands, radiusCommands, auditCommands, directoryCommands, webhookCommands, reportCommands, backupCommands, keyCommands, oidcCommands];

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

async function init(config: Config, adminName: string | undefined, io: CommandIo): Promise<number> {
  const { initInstance } = await import('../runtime/instance.js');
  const { instance, result } = await initInstance(config, adminName ? { adminName } : {});
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

async function migrate(config: Config, io: CommandIo): Promise<number> {
  const { migrateDatabase } = await import('../runtime/instance.js');
  const { applied, current } = await migrateDatabase(config);
  const where = config.databaseUrl ? 'PostgreSQL' : config.sqlitePath;
  for (const name of applied) io.out.write(`applied ${name}\n`);
  io.out.write(
    applied.length === 0
      ? `nothing to apply: ${where} is up to date (${count(current.length, 'migration')}, latest ${current.at(-1) ?? 'none'})\n`
      : `${where} is now at ${current.at(-1) ?? 'none'}\n`,
  );
  return 0;
}

/** The whole command tree, built anew for each run (main may be called many times in one process). */
function program(io: CommandIo, env: NodeJS.ProcessEnv, cli: Cli, setCode: (code: number) => void): Command {
  const root = new Command('otpgate')
    .description('otpgate: hardware OTP tokens (HOTP), their users, access restrictions and sign-in')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .helpCommand('help [command]', 'show the help of a command')
    // Settings made here are inherited by every command added below.
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (text) => io.out.write(text),
      writeErr: (text) => io.err.write(text),
      outputError: (text, write) => write(`otpgate: ${plainUsageError(text.replace(/^error: /, ''))}`),
    })
    .addHelpText(
      'after',
      '\nEvery command answers --help (or: otpgate help COMMAND [SUBCOMMAND]). Without --account a command acts on the account "default".\n' +
        'Exit codes: 0 success (for check: accept), 1 a refused operation or any other result, 2 bad usage.\n' +
        'Configuration comes from OTPGATE_* environment variables (see docs/configuration.md).\n',
    );
  root
    .command('init')
    .description('create the database, the master key, the account "default" and its first admin (its password is printed once)')
    .option('--admin <name>', 'the first admin\'s user name (default: "admin")')
    .action(async (options: { admin?: string }) => setCode(await init(loadConfig(env), options.admin, io)));
  root
    .command('serve')
    .description('run the HTTP server (and RADIUS when configured); a fresh data directory is initialised first')
    .action(async () => {
      // Loaded only here, so that other commands do not pay for the web framework's start-up.
      const { serve } = await import('../runtime/serve.js');
      setCode(await serve(loadConfig(env), io));
    });
  root
    .command('migrate')
    .description('apply pending schema migrations (SQLite or OTPGATE_DATABASE_URL) and print them')
    .action(async () => setCode(await migrate(loadConfig(env), io)));
  for (const group of GROUPS) group(root, cli);
  hintEachCommand(root);
  return root;
}

/**
 * Commander's message for a refused option value ("option '--uses <n>' argument '50' is invalid. a whole
 * number from 1 to 10") as one sentence naming the option and what it takes: `--uses takes a whole number
 * from 1 to 10, not "50"`. Parsers (InvalidArgumentError) word what they accept as a noun phrase.
 */
export function plainUsageError(text: string): string {
  const option = /^option '(-[^' ,]+|(?:-\w, )?(--[^' ]+))[^']*' argument '(.*)' is invalid\. (.*?)\.?(\n?)$/s.exec(text);
  if (option) {
    const [, short, long, value, accepted, end] = option;
    return `${long ?? short} takes ${acceptedWords(accepted!)}, not "${value}"${end}`;
  }
  const argument = /^command-argument value '(.*)' is invalid for argument '([^']+)'\. (.*?)\.?(\n?)$/s.exec(text);
  if (argument) {
    const [, value, name, accepted, end] = argument;
    return `<${name}> takes ${acceptedWords(accepted!)}, not "${value}"${end}`;
  }
  return text;
}

/** "Allowed choices are a, b, c" (commander's choices) as "one of a, b, c"; a parser's own words as they are. */
function acceptedWords(accepted: string): string {
  const choices = /^Allowed choices are (.*)$/.exec(accepted);
  return choices ? `one of ${choices[1]}` : accepted;
}

/** After a usage error, each command points at its own help. */
function hintEachCommand(command: Command): void {
  command.showHelpAfterError(usageHint(command));
  for (const sub of command.commands) hintEachCommand(sub);
}

function usageHint(command: Command): string {
  return `(run "${fullName(command)} --help" for usage)`;
}

/**
 * `otpgate help TOPIC...`: the help of `otpgate TOPIC...` (commander's own help command takes one topic, and
 * answers an unknown one with the general help and exit 0).
 */
function helpTopic(root: Command, topics: string[], io: CommandIo): number {
  let command = root;
  for (const topic of topics) {
    const sub = command.commands.find((c) => c.name() === topic || c.aliases().includes(topic));
    if (!sub) {
      const near = closestName(topic, command.commands.map((c) => c.name()));
      const hint = near ? `\n(Did you mean ${`${fullName(command)} ${near}`.replace(/^otpgate /, '')}?)` : '';
      io.err.write(`otpgate: no command "${`${fullName(command)} ${topic}`.replace(/^otpgate /, '')}"${hint}\n(run "${fullName(command)} --help" for the commands)\n`);
      return 2;
    }
    command = sub;
  }
  command.outputHelp();
  return 0;
}

/** The name nearest to a mistyped one (at most 2 edits, and fewer than half its letters), or null. */
function closestName(typed: string, names: readonly string[]): string | null {
  let best: { name: string; distance: number } | null = null;
  for (const name of names) {
    const distance = editDistance(typed, name);
    if (distance <= 2 && distance * 2 < Math.max(typed.length, name.length) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name ?? null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/** `otpgate token associate` for that command. */
function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export async function main(argv: string[], io: CommandIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let instance: Instance | undefined;
  let code = 0;
  /** The command whose action runs, for the hint after a usage error found by the action itself. */
  let running: Command | undefined;
  const setCode = (value: number) => {
    code = value;
  };
  outputMayBeCutShort(io.out);
  const cli: Cli = {
    io,
    env,
    setCode,
    action:
      (run) =>
      async (...args) => {
        // commander passes the command last, after the arguments and the options.
        running = args.at(-1) as Command;
        const { openInstance } = await import('../runtime/instance.js');
        instance = await openInstance(loadConfig(env));
        code = await run({ instance, io }, ...args);
      },
  };
  try {
    refuseIllFormedArguments(argv);
    const root = program(io, env, cli, setCode);
    if (argv[0] === 'help' && argv.length > 1) return helpTopic(root, argv.slice(1), io);
    await root.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    // commander has printed its message (or the help, or the version) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    // A usage error exits 2; a refused operation (ServiceError, a seed file's or the master key's error) and
    // anything else exit 1.
    io.err.write(`otpgate: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!(error instanceof UsageError)) return 1;
    if (running) io.err.write(`${usageHint(running)}\n`);
    return 2;
  } finally {
    await instance?.close();
  }
}
