// otpgate account create NAME | list | settings
// The services' modules are imported when a command runs, not to declare it (main.ts: `--help` stays fast).
import { Option } from 'commander';
import { OPERATOR } from '../../services/context.js';
import type { AccountSettings } from '../../services/account-settings.js';
import { printJson, printTable, UsageError } from '../io.js';
import { accountOf, ACCOUNT_OPTION, JSON_OPTION, type CommandGroup } from './command.js';

interface SettingsOptions {
  account?: string;
  lookAheadWindow?: string;
  associateWindow?: string;
  syncWindow?: string;
  maxFailures?: string;
  maxTokensPerUser?: string;
  totpWindow?: string;
  totpSyncSteps?: string;
  selfAssociation?: 'on' | 'off';
  adminsRequireOtp?: 'on' | 'off';
  appEnrolment?: 'on' | 'off';
  totpIssuer?: string;
  helpContact?: string;
  json?: boolean;
}

export const accountCommands: CommandGroup = (program, cli) => {
  const account = program.command('account').description('accounts (tenants) and their settings');
  account
    .command('create')
    .description('create an account')
    .argument('<name>', 'the new account\'s name')
    .action(
      cli.action(async ({ instance, io }, name: string) => {
        const created = await instance.services.accounts.create(OPERATOR, name);
        io.out.write(`created account ${created.name}\n`);
        return 0;
      }),
    );
  account
    .command('list')
    .description('list the accounts and their settings')
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { json?: boolean }) => {
        const { toAccountView } = await import('../../services/account-service.js');
        const views = (await instance.services.accounts.list()).map(toAccountView);
        if (options.json) printJson(io, views);
        else printTable(io, ['NAME', 'LOOK-AHEAD', 'ASSOCIATE', 'SYNC', 'MAX-FAILURES', 'SELF-ASSOCIATION'], views.map((a) => [a.name, a.settings.lookAheadWindow, a.settings.associateWindow, a.settings.syncWindow, a.settings.maxFailures, a.settings.selfAssociation ? 'on' : 'off']));
        return 0;
      }),
    );
  account
    .command('settings')
    .description("show an account's settings, changing those given first")
    .option(...ACCOUNT_OPTION)
    .option('--look-ahead-window <n>', 'passcodes looked ahead at sign-in')
    .option('--associate-window <n>', 'passcodes looked ahead when associating')
    .option('--sync-window <n>', 'passcodes looked ahead when re-syncing')
    .option('--max-failures <n>', "wrong passcodes in a row (once per user) that lock the user's tokens")
    .option('--max-tokens-per-user <n>', 'how many tokens one user may hold (1-5, default 3)')
    .option('--totp-window <n>', "time steps a time-based token's passcode may be off either side, around its drift (0-10, default 1)")
    .option('--totp-sync-steps <n>', 'time steps a time-based re-sync searches either side (default 2880: a day at 30 s)')
    .addOption(new Option('--self-association <on|off>', 'whether users may associate a token themselves').choices(['on', 'off']))
    .addOption(new Option('--admins-require-otp <on|off>', 'whether administrators need a passcode at every console sign-in').choices(['on', 'off']))
    .addOption(new Option('--app-enrolment <on|off>', 'whether users may add an authenticator app').choices(['on', 'off']))
    .option('--totp-issuer <name>', "the issuer authenticator apps show (no colon; empty: the account's name)")
    .option('--help-contact <text>', 'whom users ask for help, shown when a sign-in is refused and on "Lost your token?" (at most 200 characters; empty: none)')
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: SettingsOptions) => {
        const { accounts } = instance.services;
        const { toAccountView } = await import('../../services/account-service.js');
        const resolved = await accountOf(instance, options);
        const changes: Partial<AccountSettings> = {};
        const numeric = { lookAheadWindow: 'look-ahead-window', associateWindow: 'associate-window', syncWindow: 'sync-window', maxFailures: 'max-failures', maxTokensPerUser: 'max-tokens-per-user', totpWindow: 'totp-window', totpSyncSteps: 'totp-sync-steps' } as const;
        for (const [field, flag] of Object.entries(numeric) as [keyof typeof numeric, string][]) {
          const text = options[field];
          if (text === undefined) continue;
          if (!/^[0-9]+$/.test(text)) throw new UsageError(`--${flag} takes a whole number`);
          changes[field] = Number(text);
        }
        if (options.selfAssociation !== undefined) changes.selfAssociation = options.selfAssociation === 'on';
        if (options.adminsRequireOtp !== undefined) changes.adminsRequireOtp = options.adminsRequireOtp === 'on';
        if (options.appEnrolment !== undefined) changes.appEnrolment = options.appEnrolment === 'on';
        if (options.totpIssuer !== undefined) changes.totpIssuer = options.totpIssuer.trim() === '' ? null : options.totpIssuer;
        if (options.helpContact !== undefined) changes.helpContact = options.helpContact.trim() === '' ? null : options.helpContact;
        const settings = Object.keys(changes).length > 0 ? await accounts.updateSettings(OPERATOR, resolved, changes) : toAccountView(resolved).settings;
        if (options.json) printJson(io, settings);
        else printTable(io, ['SETTING', 'VALUE'], Object.entries(settings).map(([k, v]: [string, number | boolean | string | null]) => [k, typeof v === 'boolean' ? (v ? 'on' : 'off') : v]));
        return 0;
      }),
    );
};
