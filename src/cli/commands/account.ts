// otpgate account create NAME | list | settings
import { OPERATOR } from '../../services/context.js';
import type { AccountSettings } from '../../services/account-settings.js';
import { toAccountView } from '../../services/account-service.js';
import { parse, printJson, printTable, UsageError } from '../io.js';
import { subcommand, UsageErrorFor, type CommandGroup } from './command.js';

export const accountCommands: CommandGroup = {
  name: 'account',
  summary: 'accounts (tenants) and their settings',
  usage: [
    'account create NAME',
    'account list [--json]',
    'account settings [--account A] [--look-ahead-window N] [--associate-window N] [--sync-window N] [--max-failures N] [--self-association on|off] [--json]',
  ],
  async run({ instance, io }, args) {
    const { accounts } = instance.services;
    const { sub, rest } = subcommand(args, this);
    switch (sub) {
      case 'create': {
        const { positionals } = parse(rest, {}, { min: 1, max: 1, usage: 'account create NAME' });
        const account = await accounts.create(OPERATOR, positionals[0]!);
        io.out.write(`created account ${account.name}\n`);
        return 0;
      }
      case 'list': {
        const { values } = parse(rest, { json: { type: 'boolean' } }, { min: 0, max: 0, usage: 'account list [--json]' });
        const views = (await accounts.list()).map(toAccountView);
        if (values.json) printJson(io, views);
        else printTable(io, ['NAME', 'LOOK-AHEAD', 'ASSOCIATE', 'SYNC', 'MAX-FAILURES', 'SELF-ASSOCIATION'], views.map((a) => [a.name, a.settings.lookAheadWindow, a.settings.associateWindow, a.settings.syncWindow, a.settings.maxFailures, a.settings.selfAssociation ? 'on' : 'off']));
        return 0;
      }
      case 'settings': {
        const { values } = parse(
          rest,
          {
            account: { type: 'string' },
            'look-ahead-window': { type: 'string' },
            'associate-window': { type: 'string' },
            'sync-window': { type: 'string' },
            'max-failures': { type: 'string' },
            'self-association': { type: 'string' },
            json: { type: 'boolean' },
          },
          { min: 0, max: 0, usage: this.usage[2]! },
        );
        const account = await accounts.resolve(OPERATOR, values.account);
        const changes: Partial<AccountSettings> = {};
        const numeric = { 'look-ahead-window': 'lookAheadWindow', 'associate-window': 'associateWindow', 'sync-window': 'syncWindow', 'max-failures': 'maxFailures' } as const;
        for (const [flag, field] of Object.entries(numeric)) {
          const text = values[flag as keyof typeof numeric];
          if (text === undefined) continue;
          if (!/^[0-9]+$/.test(text)) throw new UsageError(`--${flag} takes a whole number`);
          changes[field] = Number(text);
        }
        if (values['self-association'] !== undefined) {
          if (!['on', 'off'].includes(values['self-association'])) throw new UsageError('--self-association takes on or off');
          changes.selfAssociation = values['self-association'] === 'on';
        }
        const settings = Object.keys(changes).length > 0 ? await accounts.updateSettings(OPERATOR, account, changes) : toAccountView(account).settings;
        if (values.json) printJson(io, settings);
        else printTable(io, ['SETTING', 'VALUE'], Object.entries(settings).map(([k, v]: [string, number | boolean]) => [k, typeof v === 'boolean' ? (v ? 'on' : 'off') : v]));
        return 0;
      }
      default:
        throw new UsageErrorFor(this);
    }
  },
};
