// otpgate restriction show|set
import { OPERATOR } from '../../services/context.js';
import type { RestrictionView } from '../../services/restriction-service.js';
import { parse, printJson, printTable, UsageError, type CommandIo } from '../io.js';
import { subcommand, UsageErrorFor, type CommandGroup } from './command.js';

function printRestriction(io: CommandIo, view: RestrictionView): void {
  printTable(io, ['NETWORK', 'ACTION'], [...view.rules.map((r) => [r.cidr, r.action]), ['(default)', view.default]]);
  io.out.write(`source: ${view.source === 'user' ? "the user's own rules" : view.source === 'account' ? "the account's rules" : 'none (everything allowed)'}\n`);
}

export const restrictionCommands: CommandGroup = {
  name: 'restriction',
  summary: 'IP access restrictions',
  usage: [
    'restriction show USER [--account A] [--json]          (USER may be --account-wide)',
    'restriction set USER --default allow|require_otp|deny [--rule CIDR=ACTION]... [--account A]',
    'restriction set --account-wide --default ACTION [--rule CIDR=ACTION]... [--account A]',
    'restriction clear USER|--account-wide [--account A]',
  ],
  async run({ instance, io }, args) {
    const { accounts, restrictions } = instance.services;
    const { sub, rest } = subcommand(args, this);
    const common = { account: { type: 'string' }, 'account-wide': { type: 'boolean' }, json: { type: 'boolean' } } as const;
    switch (sub) {
      case 'show': {
        const { values, positionals } = parse(rest, common, { min: 0, max: 1, usage: this.usage[0]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        const user = positionals[0];
        if (!user && !values['account-wide']) throw new UsageError(`usage: otpgate ${this.usage[0]}`);
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
        if (!user === !values['account-wide']) throw new UsageError('name a USER or pass --account-wide');
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
