// otpgate restriction show|set|clear: a user's, a directory group's or the account-wide IP access restriction.
import { describeSource } from '../../core/restriction-precedence.js';
import { OPERATOR } from '../../services/context.js';
import type { GroupRestrictionView, RestrictionView } from '../../services/restriction-service.js';
import { printJson, printTable, UsageError, type CommandIo } from '../io.js';
import { accountOf, ACCOUNT_OPTION, confirmed, JSON_OPTION, repeatable, YES_OPTION, type CommandGroup } from './command.js';

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

interface TargetOptions {
  account?: string;
  accountWide?: boolean;
  group?: string;
  json?: boolean;
}

type Target = { kind: 'user'; user: string } | { kind: 'group'; group: string } | { kind: 'account' };

/** Exactly one of a USER, --group G and --account-wide. */
function target(user: string | undefined, options: TargetOptions): Target {
  if ([user !== undefined, options.group !== undefined, options.accountWide === true].filter(Boolean).length !== 1) throw new UsageError('name a USER, or pass --group G or --account-wide (one of them)');
  if (user !== undefined) return { kind: 'user', user };
  if (options.group !== undefined) return { kind: 'group', group: options.group };
  return { kind: 'account' };
}

const USER_ARGUMENT = ['[user]', 'the user (or pass --group G or --account-wide)'] as const;
const GROUP_OPTION = ['--group <group>', "a directory group's restriction (for its members without their own)"] as const;
const ACCOUNT_WIDE_OPTION = ['--account-wide', "the account's restriction (for users without their own or a group's)"] as const;
const ACTIONS = 'allow, require_otp (or require-otp) or deny';

export const restrictionCommands: CommandGroup = (program, cli) => {
  const restriction = program.command('restriction').description('IP access restrictions (allow, require a passcode, or deny by network)');
  restriction
    .command('show')
    .description('show the restriction that applies to a user and why (their own, their groups\', else the account\'s), a group\'s, or the account-wide one')
    .argument(...USER_ARGUMENT)
    .option(...GROUP_OPTION)
    .option(...ACCOUNT_WIDE_OPTION)
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, user: string | undefined, options: TargetOptions) => {
        const { restrictions } = instance.services;
        const of = target(user, options);
        const account = await accountOf(instance, options);
        if (of.kind === 'group') {
          const view = await restrictions.showForGroup(account, of.group);
          if (options.json) printJson(io, view);
          else printGroupRestriction(io, view);
          return 0;
        }
        const view = of.kind === 'user' ? await restrictions.showForUser(account, of.user) : restrictions.showForAccount(account);
        if (options.json) printJson(io, view);
        else printRestriction(io, view);
        return 0;
      }),
    );
  restriction
    .command('set')
    .description("replace a user's restriction, a directory group's, or the account-wide one")
    .argument(...USER_ARGUMENT)
    .option(...GROUP_OPTION)
    .option(...ACCOUNT_WIDE_OPTION)
    .requiredOption('--default <action>', `the action where no rule matches: ${ACTIONS}`)
    .option('--rule <cidr=action>', `a network and its action, e.g. 10.0.0.0/8=allow (repeat for several; the longest matching prefix wins); action: ${ACTIONS}`, repeatable)
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, user: string | undefined, options: TargetOptions & { default: string; rule?: string[] }) => {
        const { restrictions } = instance.services;
        const of = target(user, options);
        const input = { rules: parseRules(options.rule ?? []), default: action(options.default) };
        const account = await accountOf(instance, options);
        if (of.kind === 'group') {
          const view = await restrictions.setForGroup(OPERATOR, account, of.group, input);
          if (options.json) printJson(io, view);
          else printGroupRestriction(io, view);
          return 0;
        }
        const view = of.kind === 'user' ? await restrictions.setForUser(OPERATOR, account, of.user, input) : await restrictions.setForAccount(OPERATOR, account, input);
        if (options.json) printJson(io, view);
        else printRestriction(io, view);
        return 0;
      }),
    );
  restriction
    .command('clear')
    .description("remove a user's own restriction, a directory group's, or the account-wide one (asks first)")
    .argument(...USER_ARGUMENT)
    .option(...GROUP_OPTION)
    .option(...ACCOUNT_WIDE_OPTION)
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, user: string | undefined, options: TargetOptions & { yes?: boolean }) => {
        const { restrictions } = instance.services;
        const of = target(user, options);
        const account = await accountOf(instance, options);
        // An unknown user, or a group without a restriction, is refused before asking.
        let question: string;
        if (of.kind === 'user') {
          await restrictions.showForUser(account, of.user);
          question = `Remove the IP restriction of ${of.user}? Their groups' or the account's applies to them again.`;
        } else if (of.kind === 'group') {
          const view = await restrictions.showForGroup(account, of.group);
          question = `Remove the IP restriction of group ${view.group} (${view.members} ${view.members === 1 ? 'user carries' : 'users carry'} it)?`;
        } else {
          question = `Remove the account-wide IP restriction of account ${account.name}? Users without their own or a group's are then unrestricted.`;
        }
        if (!(await confirmed(io, options.yes, 'clearing a restriction', question))) return 1;
        if (of.kind === 'group') {
          await restrictions.clearForGroup(OPERATOR, account, of.group);
          io.out.write(`group ${of.group.trim()} has no restriction now: its users get their own, another group's or the account-wide one\n`);
          return 0;
        }
        const view = of.kind === 'user' ? await restrictions.setForUser(OPERATOR, account, of.user, null) : await restrictions.setForAccount(OPERATOR, account, null);
        if (options.json) printJson(io, view);
        else printRestriction(io, view);
        return 0;
      }),
    );
};
