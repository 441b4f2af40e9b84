// otpgate restriction show|set|clear: a user's IP access restriction, or the account-wide one.
import { OPERATOR } from '../../services/context.js';
import type { RestrictionView } from '../../services/restriction-service.js';
import { printJson, printTable, UsageError, type CommandIo } from '../io.js';
import { ACCOUNT_OPTION, confirmed, JSON_OPTION, repeatable, YES_OPTION, type CommandGroup } from './command.js';

function printRestriction(io: CommandIo, view: RestrictionView): void {
  printTable(io, ['NETWORK', 'ACTION'], [...view.rules.map((r) => [r.cidr, r.action]), ['(default)', view.default]]);
  io.out.write(`source: ${view.source === 'user' ? "the user's own rules" : view.source === 'account' ? "the account's rules" : 'none (everything allowed)'}\n`);
}

/** Actions as typed: `require-otp` is `require_otp` (the shell-friendly spelling); the service checks the rest. */
function action(text: string): string {
  return text === 'require-otp' ? 'require_otp' : text;
}

/** `--rule CIDR=ACTION`, numbered from 1 in what it says. */
function parseRules(texts: string[]): { cidr: string; action: string }[] {
  return texts.map((text, index) => {
    const at = text.lastIndexOf('=');
    if (at <= 0) throw new UsageError(`rule ${index + 1}: --rule takes CIDR=ACTION, e.g. 10.0.0.0/8=allow, not "${text}"`);
    return { cidr: text.slice(0, at), action: action(text.slice(at + 1)) };
  });
}

interface Target {
  account?: string;
  accountWide?: boolean;
  json?: boolean;
}

/** Exactly one of a USER and --account-wide. */
function target(user: string | undefined, options: Target): string | null {
  if (!user === !options.accountWide) throw new UsageError('name a USER or pass --account-wide (one of them)');
  return user ?? null;
}

const ACCOUNT_WIDE_OPTION = ['--account-wide', "the account's restriction (for users without their own) instead of a user's"] as const;
const ACTIONS = 'allow, require_otp (or require-otp) or deny';

export const restrictionCommands: CommandGroup = (program, cli) => {
  const restriction = program.command('restriction').description('IP access restrictions (allow, require a passcode, or deny by network)');
  restriction
    .command('show')
    .description("show the restriction in force for a user (their own, else the account's), or the account-wide one")
    .argument('[user]', 'the user (or pass --account-wide)')
    .option(...ACCOUNT_WIDE_OPTION)
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, userArg: string | undefined, options: Target) => {
        const { accounts, restrictions } = instance.services;
        const user = target(userArg, options);
        const account = await accounts.resolve(OPERATOR, options.account);
        const view = user !== null ? await restrictions.showForUser(account, user) : restrictions.showForAccount(account);
        if (options.json) printJson(io, view);
        else printRestriction(io, view);
        return 0;
      }),
    );
  restriction
    .command('set')
    .description("replace a user's restriction, or the account-wide one")
    .argument('[user]', 'the user (or pass --account-wide)')
    .option(...ACCOUNT_WIDE_OPTION)
    .requiredOption('--default <action>', `the action where no rule matches: ${ACTIONS}`)
    .option('--rule <cidr=action>', `a network and its action, e.g. 10.0.0.0/8=allow (repeat for several; the longest matching prefix wins); action: ${ACTIONS}`, repeatable)
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, userArg: string | undefined, options: Target & { default: string; rule?: string[] }) => {
        const { accounts, restrictions } = instance.services;
        const user = target(userArg, options);
        const input = { rules: parseRules(options.rule ?? []), default: action(options.default) };
        const account = await accounts.resolve(OPERATOR, options.account);
        const view = user !== null ? await restrictions.setForUser(OPERATOR, account, user, input) : await restrictions.setForAccount(OPERATOR, account, input);
        if (options.json) printJson(io, view);
        else printRestriction(io, view);
        return 0;
      }),
    );
  restriction
    .command('clear')
    .description("remove a user's own restriction (the account's applies again), or the account-wide one (asks first)")
    .argument('[user]', 'the user (or pass --account-wide)')
    .option(...ACCOUNT_WIDE_OPTION)
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, userArg: string | undefined, options: Target & { yes?: boolean }) => {
        const { accounts, restrictions } = instance.services;
        const user = target(userArg, options);
        const account = await accounts.resolve(OPERATOR, options.account);
        if (user !== null) await restrictions.showForUser(account, user);
        const question = user !== null ? `Remove the IP restriction of ${user}? The account's restriction applies to them again.` : `Remove the account-wide IP restriction of account ${account.name}? Users without their own are then unrestricted.`;
        if (!(await confirmed(io, options.yes, 'clearing a restriction', question))) return 1;
        const view = user !== null ? await restrictions.setForUser(OPERATOR, account, user, null) : await restrictions.setForAccount(OPERATOR, account, null);
        if (options.json) printJson(io, view);
        else printRestriction(io, view);
        return 0;
      }),
    );
};
