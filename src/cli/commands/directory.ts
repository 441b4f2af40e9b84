// otpgate directory set|show|test|remove|sync
import { readFileSync } from 'node:fs';
import { OPERATOR } from '../../services/context.js';
import type { DirectoryView } from '../../services/directory-service.js';
import type { SyncReport } from '../../services/directory-sync-service.js';
import { parse, printJson, printTable, readSecretLine, UsageError, type CommandIo } from '../io.js';
import { subcommand, UsageErrorFor, type CommandGroup } from './command.js';

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

export const directoryCommands: CommandGroup = {
  name: 'directory',
  summary: "the account's LDAP or Active Directory",
  usage: [
    'directory set --url ldap://H:P|ldaps://H:P --bind-dn DN --base-dn DN [--bind-password-file F] (else standard input) [--preset openldap|ad] [--user-filter F] [--username-attribute A] [--display-name-attribute A] [--email-attribute A] [--group-attribute A] [--start-tls] [--ca-file PEM] [--account A]',
    'directory show [--account A] [--json]',
    'directory test [--account A] [--json]     (binds, counts the users the filter finds, names one; exit 1 with the reason)',
    'directory remove [--account A]',
    'directory sync [--account A] [--dry-run] [--force] [--json]   (create, update, disable users from the directory; never deletes, never touches a token)',
  ],
  async run({ instance, io }, args) {
    const { accounts, directories } = instance.services;
    const { sub, rest } = subcommand(args, this);
    switch (sub) {
      case 'set': {
        const { values } = parse(
          rest,
          {
            account: { type: 'string' },
            preset: { type: 'string' },
            url: { type: 'string' },
            'bind-dn': { type: 'string' },
            'bind-password-file': { type: 'string' },
            'base-dn': { type: 'string' },
            'user-filter': { type: 'string' },
            'username-attribute': { type: 'string' },
            'display-name-attribute': { type: 'string' },
            'email-attribute': { type: 'string' },
            'group-attribute': { type: 'string' },
            'start-tls': { type: 'boolean' },
            'ca-file': { type: 'string' },
            json: { type: 'boolean' },
          },
          { min: 0, max: 0, usage: this.usage[0]! },
        );
        for (const required of ['url', 'bind-dn', 'base-dn'] as const) {
          if (values[required] === undefined) throw new UsageError(`--${required} is required\nusage: otpgate ${this.usage[0]!}`);
        }
        if (values.preset !== undefined && values.preset !== 'openldap' && values.preset !== 'ad') throw new UsageError('--preset takes openldap or ad');
        const account = await accounts.resolve(OPERATOR, values.account);
        // A password on the command line lands in the shell history and `ps`; a file or standard input does not.
        const bindPassword = values['bind-password-file'] !== undefined ? readText(values['bind-password-file'], 'the bind password file').replace(/\r?\n$/, '') : await readSecretLine(io, 'Bind password: ');
        const view = await directories.set(OPERATOR, account, {
          url: values.url!,
          bindDn: values['bind-dn']!,
          baseDn: values['base-dn']!,
          bindPassword,
          ...(values.preset ? { preset: values.preset } : {}),
          ...(values['user-filter'] !== undefined ? { userFilter: values['user-filter'] } : {}),
          ...(values['username-attribute'] !== undefined ? { usernameAttribute: values['username-attribute'] } : {}),
          ...(values['display-name-attribute'] !== undefined ? { displayNameAttribute: values['display-name-attribute'] } : {}),
          ...(values['email-attribute'] !== undefined ? { emailAttribute: values['email-attribute'] } : {}),
          ...(values['group-attribute'] !== undefined ? { groupAttribute: values['group-attribute'] } : {}),
          startTls: values['start-tls'] ?? false,
          caPem: values['ca-file'] !== undefined ? readText(values['ca-file'], 'the CA file') : null,
        });
        if (values.json) printJson(io, view);
        else {
          io.out.write(`directory of account ${account.name} set\n`);
          printDirectory(io, view);
        }
        return 0;
      }
      case 'show': {
        const { values } = parse(rest, { account: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, usage: this.usage[1]! });
        const view = await directories.show(await accounts.resolve(OPERATOR, values.account));
        if (values.json) printJson(io, view);
        else printDirectory(io, view);
        return 0;
      }
      case 'test': {
        const { values } = parse(rest, { account: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, usage: this.usage[2]! });
        const result = await directories.test(OPERATOR, await accounts.resolve(OPERATOR, values.account));
        if (values.json) printJson(io, result);
        else if (result.ok) io.out.write(`ok: the service bind works; the user filter finds ${result.usersFound} user${result.usersFound === 1 ? '' : 's'}${result.example ? `, for example ${result.example}` : ''}\n`);
        else io.err.write(`otpgate: directory test failed: ${result.error}\n`);
        return result.ok ? 0 : 1;
      }
      case 'remove': {
        const { values } = parse(rest, { account: { type: 'string' } }, { min: 0, max: 0, usage: this.usage[3]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        await directories.remove(OPERATOR, account);
        io.out.write(`removed the directory of account ${account.name}; its directory users stay (disabled from signing in until a directory is set again)\n`);
        return 0;
      }
      case 'sync': {
        const { values } = parse(rest, { account: { type: 'string' }, 'dry-run': { type: 'boolean' }, force: { type: 'boolean' }, json: { type: 'boolean' } }, { min: 0, max: 0, usage: this.usage[4]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        const report = await instance.services.directorySync.sync(OPERATOR, account, { dryRun: values['dry-run'] ?? false, force: values.force ?? false });
        if (values.json) printJson(io, report);
        else printSyncReport(io, report, values['dry-run'] ?? false);
        return report.refused ? 1 : 0;
      }
      default:
        throw new UsageErrorFor(this);
    }
  },
};
