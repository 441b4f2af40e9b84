// otpgate directory set|share|show|test|remove|sync
import { readFileSync } from 'node:fs';
import { OPERATOR } from '../../services/context.js';
import type { DirectoryView } from '../../services/directory-service.js';
import type { SyncReport } from '../../services/directory-sync-service.js';
import { Option } from 'commander';
import { printJson, printTable, readSecretLine, UsageError, type CommandIo } from '../io.js';
import { accountOf, ACCOUNT_OPTION, confirmed, JSON_OPTION, YES_OPTION, type CommandGroup } from './command.js';
import { count } from '../../core/count.js';

function printDirectory(io: CommandIo, view: DirectoryView): void {
  printTable(io, ['SETTING', 'VALUE'], [
    ['preset', view.preset],
    ['url', view.url],
    ['start-tls', view.startTls ? 'yes' : 'no'],
    ['ca', view.caSubject ?? '(system CAs)'],
    ['bind dn', view.bindDn],
    ['bind password', '(set, never shown)'],
    ['base dn', view.baseDn],
    ['user filter', view.userFilter],
    ['username attribute', view.usernameAttribute],
    ['display name attribute', view.displayNameAttribute],
    ['email attribute', view.emailAttribute],
    ['group attribute', view.groupAttribute],
    ['shared', view.shared ? 'yes (sign-ins that name no account look up new names here)' : 'no'],
    ['updated', view.updatedAt],
  ]);
}

function printSyncReport(io: CommandIo, report: SyncReport, dryRun: boolean): void {
  const { plan } = report;
  const lines: string[] = [];
  for (const person of plan.create) lines.push(`create   ${person.username}${person.groups.length ? ` (groups: ${person.groups.join(', ')})` : ''}`);
  for (const update of plan.update) {
    const what = Object.entries(update.changes).map(([field, value]) => (field === 'groups' ? `groups: ${(value as string[]).join(', ') || 'none'}` : field === 'dn' ? 'dn' : `${field === 'displayName' ? 'display name' : field}: ${String(value ?? 'none')}`));
    lines.push(`update   ${update.username} (${what.join('; ')})`);
  }
  for (const disable of plan.disable) lines.push(`disable  ${disable.username} (${disable.reason === 'gone_from_directory' ? 'gone from the directory' : 'disabled in the directory'})`);
  for (const enable of plan.enable) lines.push(`enable   ${enable.username} (back in the directory)`);
  for (const skipped of plan.skipped) lines.push(`skip     ${skipped.username} (${skipped.reason})`);
  io.out.write(lines.length ? `${lines.join('\n')}\n` : 'nothing to change\n');
  const counts = `${plan.create.length} to create, ${plan.update.length} to update, ${plan.disable.length} to disable, ${plan.enable.length} to enable, ${plan.skipped.length} skipped`;
  if (report.refused) io.err.write(`otpgate: ${report.refused}\n`);
  else io.out.write(dryRun ? `dry run: ${counts}; nothing applied\n` : `applied: ${counts}\n`);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
}

interface SetOptions {
  account?: string;
  preset?: 'openldap' | 'ad';
  url: string;
  bindDn: string;
  bindPasswordFile?: string;
  baseDn: string;
  userFilter?: string;
  usernameAttribute?: string;
  displayNameAttribute?: string;
  emailAttribute?: string;
  groupAttribute?: string;
  startTls?: boolean;
  caFile?: string;
  json?: boolean;
}

export const directoryCommands: CommandGroup = (program, cli) => {
  const directory = program.command('directory').description("the account's LDAP or Active Directory");
  directory
    .command('set')
    .description("set (or replace) the account's directory; the bind password is read from --bind-password-file, else from standard input")
    .requiredOption('--url <url>', 'ldap://HOST:PORT or ldaps://HOST:PORT')
    .requiredOption('--bind-dn <dn>', 'the service account that searches')
    .requiredOption('--base-dn <dn>', 'where users are searched')
    .option('--bind-password-file <file>', "a file holding the service account's password")
    .addOption(new Option('--preset <preset>', 'defaults for the filter and attributes').choices(['openldap', 'ad']))
    .option('--user-filter <filter>', 'the LDAP filter that finds users')
    .option('--username-attribute <attribute>', 'the attribute holding the user name')
    .option('--display-name-attribute <attribute>', 'the attribute holding the display name')
    .option('--email-attribute <attribute>', 'the attribute holding the e-mail address')
    .option('--group-attribute <attribute>', "the attribute listing a user's groups")
    .option('--start-tls', 'upgrade an ldap:// connection with StartTLS')
    .option('--ca-file <pem>', 'the CA certificate(s) to trust (else the system CAs)')
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: SetOptions) => {
        const account = await accountOf(instance, options);
        // A password on the command line lands in the shell history and `ps`; a file or standard input does not.
        const bindPassword = options.bindPasswordFile !== undefined ? readText(options.bindPasswordFile, 'the bind password file').replace(/\r?\n$/, '') : await readSecretLine(io, 'Bind password: ');
        const view = await instance.services.directories.set(OPERATOR, account, {
          url: options.url,
          bindDn: options.bindDn,
          baseDn: options.baseDn,
          bindPassword,
          ...(options.preset ? { preset: options.preset } : {}),
          ...(options.userFilter !== undefined ? { userFilter: options.userFilter } : {}),
          ...(options.usernameAttribute !== undefined ? { usernameAttribute: options.usernameAttribute } : {}),
          ...(options.displayNameAttribute !== undefined ? { displayNameAttribute: options.displayNameAttribute } : {}),
          ...(options.emailAttribute !== undefined ? { emailAttribute: options.emailAttribute } : {}),
          ...(options.groupAttribute !== undefined ? { groupAttribute: options.groupAttribute } : {}),
          startTls: options.startTls ?? false,
          caPem: options.caFile !== undefined ? readText(options.caFile, 'the CA file') : null,
        });
        if (options.json) printJson(io, view);
        else {
          io.out.write(`directory of account ${account.name} set\n`);
          printDirectory(io, view);
        }
        return 0;
      }),
    );
  directory
    .command('share')
    .description('share the account\'s directory with sign-ins that name no account (the console, `otpgate check`): a name no user has yet is looked up there, and in no other directory; --off ends it')
    .option('--off', 'stop sharing it')
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; off?: boolean; json?: boolean }) => {
        const account = await instance.services.accounts.resolve(OPERATOR, options.account);
        const view = await instance.services.directories.share(OPERATOR, account, !options.off);
        if (options.json) printJson(io, view);
        else io.out.write(view.shared ? `the directory of account ${account.name} is now the shared one (no other is)\n` : `the directory of account ${account.name} is not shared\n`);
        return 0;
      }),
    );
  directory
    .command('show')
    .description("show the account's directory settings (never the bind password)")
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; json?: boolean }) => {
        const view = await instance.services.directories.show(await accountOf(instance, options));
        if (options.json) printJson(io, view);
        else printDirectory(io, view);
        return 0;
      }),
    );
  directory
    .command('test')
    .description('bind, count the users the filter finds and name one; exit 1 with the reason when it fails')
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; json?: boolean }) => {
        const result = await instance.services.directories.test(OPERATOR, await accountOf(instance, options));
        if (options.json) printJson(io, result);
        else if (result.ok) io.out.write(`ok: the service bind works; the user filter finds ${count(result.usersFound, 'user')}${result.example ? `, for example ${result.example}` : ''}\n`);
        // The operator sees the detail (hosts, ports, certificates) that the API and the console keep out.
        else io.err.write(`otpgate: directory test failed (${result.reason}): ${result.error}: ${result.detail}\n`);
        return result.ok ? 0 : 1;
      }),
    );
  directory
    .command('remove')
    .description("remove the account's directory; its users stay, unable to sign in until one is set again (asks first)")
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; yes?: boolean }) => {
        const { directories } = instance.services;
        const account = await accountOf(instance, options);
        const view = await directories.show(account);
        const question = `Remove the directory ${view.url} of account ${account.name}? Its users stay, but cannot sign in until a directory is set again.`;
        if (!(await confirmed(io, options.yes, 'removing a directory', question))) return 1;
        await directories.remove(OPERATOR, account);
        io.out.write(`removed the directory of account ${account.name}; its directory users stay (disabled from signing in until a directory is set again)\n`);
        return 0;
      }),
    );
  directory
    .command('sync')
    .description('create, update and disable users from the directory; never deletes, never touches a token')
    .option(...ACCOUNT_OPTION)
    .option('--dry-run', 'print what would change, change nothing')
    .option('--force', 'apply even when it would disable a large share of the directory users')
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; dryRun?: boolean; force?: boolean; json?: boolean }) => {
        const account = await accountOf(instance, options);
        const report = await instance.services.directorySync.sync(OPERATOR, account, { dryRun: options.dryRun ?? false, force: options.force ?? false });
        if (options.json) printJson(io, report);
        else printSyncReport(io, report, options.dryRun ?? false);
        return report.refused ? 1 : 0;
      }),
    );
};
