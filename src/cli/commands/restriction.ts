// otpgate restriction show|set|clear: a user's, a directory group's or the account-wide restriction
import { describeSource } from '../../core/restriction-precedence.js';
import { OPERATOR } from '../../services/context.js';
import type { GroupRestrictionView, RestrictionView } from '../../services/restriction-service.js';
import { parse, printJson, printTable, UsageError, type CommandIo } from '../io.js';
import { subcommand, UsageErrorFor, type CommandGroup } from './command.js';

function printRules(io: CommandIo, view: RestrictionView | GroupRestrictionView): void {
  printTable(io, ['NETWORK', 'ACTION'], [...view.rules.map((r) => [r.cidr, r.action]), ['(default)', view.default]]);
}

function printRestriction(io: CommandIo, view: RestrictionView): void {
  printRules(io, view);
  io.out.write(`applies: ${describeSource(view)}\n`);
}

function printGroupRestriction(io: CommandIo, view: GroupRestrictionView): void {
  printRules(io, view);
  io.out.write(`group: ${view.group} (${view.members} ${view.members === 1 ? 'user carries' : 'users carry'} it; a user's own restriction comes first)\n`);
}

export const restrictionCommands: CommandGroup = {
  name: 'restriction',
  summary: 'IP access restrictions',
  usage: [
    'restriction show USER|--group G|--account-wide [--account A] [--json]',
    'restriction set USER --default allow|require_otp|deny [--rule CIDR=ACTION]... [--account A]',
    'restriction set --group G|--account-wide --default ACTION [--rule CIDR=ACTION]... [--account A]',
    'restriction clear USER|--group G|--account-wide [--account A]',
  ],
  async run({ instance, io }, args) {
    const { accounts, restrictions } = instance.services;
    const { sub, rest } = subcommand(args, this);
    const common = { account: { type: 'string' }, 'account-wide': { type: 'boolean' }, group: { type: 'string' }, json: { type: 'boolean' } } as const;
    /** Exactly one of USER, --group G and --account-wide. */
    const target = (user: string | undefined, values: { group?: string; 'account-wide'?: boolean }) => {
      if ([user !== undefined, values.group !== undefined, values['account-wide'] === true].filter(Boolean).length !== 1) throw new UsageError('name a USER, or pass --group G or --account-wide');
    };
    switch (sub) {
      case 'show': {
        const { values, positionals } = parse(rest, common, { min: 0, max: 1, usage: this.usage[0]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        const user = positionals[0];
        target(user, values);
        if (values.group !== undefined) {
          const view = await restrictions.showForGroup(account, values.group);
          if (values.json) printJson(io, view);
          else printGroupRestriction(io, view);
          return 0;
        }
        const view = user ? await restrictions.showForUser(account, user) : restrictions.showForAccount(account);
        if (values.json) printJson(io, view);
        else printRestriction(io, view);
        return 0;
      }
      case 'set':
      case 'clear': {
        const { values, positionals } = parse(rest, { ...common, default: { type: 'string' }, rule: { type: 'string', multiple: true } }, { min: 0, max: 1, usage: this.usage[1]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        const user = positionals[0];
        target(user, values);
        let input = null;
        if (sub === 'set') {
          if (!values.default) throw new UsageError('--default is required (allow, require_otp or deny)');
          const rules = (values.rule ?? []).map((text) => {
            const at = text.lastIndexOf('=');
            if (at <= 0) throw new UsageError(`--rule takes CIDR=ACTION, e.g. 10.0.0.0/8=allow, not "${text}"`);
            return { cidr: text.slice(0, at), action: text.slice(at + 1) };
          });
          input = { rules, default: values.default };
        }
        if (values.group !== undefined) {
          if (input === null) {
            await restrictions.clearForGroup(OPERATOR, account, values.group);
            io.out.write(`group ${values.group.trim()} has no restriction now: its users get their own, another group's or the account-wide one\n`);
            return 0;
          }
          const view = await restrictions.setForGroup(OPERATOR, account, values.group, input);
          if (values.json) printJson(io, view);
          else printGroupRestriction(io, view);
          return 0;
        }
        const view = user ? await restrictions.setForUser(OPERATOR, account, user, input) : await restrictions.setForAccount(OPERATOR, account, input);
        if (values.json) printJson(io, view);
        else printRestriction(io, view);
        return 0;
      }
      default:
        throw new UsageErrorFor(this);
    }
  },
};
