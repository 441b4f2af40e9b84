// otpgate token disable|enable|retire|set|temp-code|associate-bulk, and the history `token show` prints:
// a token's life at the help desk (docs/token-life.md). Added to the `token` command by token.ts.
import { readFileSync, existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { RETIRE_REASONS, type RetireReason } from '../../core/token-status.js';
import { TEMP_CODE_LIMITS } from '../../core/temp-code.js';
import { OPERATOR } from '../../services/context.js';
import type { TokenHistory } from '../../services/token-service.js';
import { printJson, printTable, UsageError, type CommandIo } from '../io.js';
import { accountOf, ACCOUNT_OPTION, confirmed, JSON_OPTION, YES_OPTION, type Cli } from './command.js';
import { count } from '../../core/count.js';

/** The token's history as `token show` prints it after its fields. */
export function printHistory(io: CommandIo, history: TokenHistory): void {
  io.out.write('\nhistory (newest first):\n');
  const rows: (string | null)[][] = history.events.map((e) => [e.at, e.actor, e.action, e.user, e.outcome, e.reason]);
  if (history.nextBefore === null) rows.push([history.importedAt, '-', 'token.import', null, 'success', 'imported into the inventory']);
  else io.err.write(`(older events: GET /api/v1/tokens/${history.serial}/history?before=${history.nextBefore})\n`);
  printTable(io, ['WHEN', 'WHO', 'WHAT', 'USER', 'OUTCOME', 'DETAIL'], rows);
}

function wholeNumber(max: number) {
  return (value: string): number => {
    if (!/^[0-9]{1,3}$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`a whole number from 1 to ${max}`);
    return Number(value);
  };
}

/** A time for --valid-from/--valid-until: ISO 8601 (checked here), or `none` (kept: commander takes a null as no value). */
function timeOrNone(value: string): string {
  if (value !== 'none' && !Number.isFinite(Date.parse(value))) throw new InvalidArgumentError('a date and time (ISO 8601, e.g. 2027-01-01T00:00:00Z) or none');
  return value;
}

export function tokenLifeCommands(token: Command, cli: Cli): void {
  token
    .command('disable')
    .description("disable a user's token: OTP stays required, no passcode from it is accepted (asks first)")
    .argument('<serial>', "the token's serial number")
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .action(
      cli.action(async ({ instance, io }, serial: string, options: { account?: string; yes?: boolean }) => {
        const { tokens, tokenStates } = instance.services;
        const account = await accountOf(instance, options);
        const current = await tokens.show(account, serial);
        if (!(await confirmed(io, options.yes, 'disabling', `Disable token ${current.serial} of ${current.username ?? '(nobody)'}? No passcode from it will be accepted until it is enabled.`))) return 1;
        const disabled = await tokenStates.disable(OPERATOR, account, serial);
        io.out.write(`token ${disabled.serial} of ${disabled.username} is disabled\n`);
        return 0;
      }),
    );
  token
    .command('enable')
    .description('enable a disabled token')
    .argument('<serial>', "the token's serial number")
    .option(...ACCOUNT_OPTION)
    .action(
      cli.action(async ({ instance, io }, serial: string, options: { account?: string }) => {
        const enabled = await instance.services.tokenStates.enable(OPERATOR, await accountOf(instance, options), serial);
        io.out.write(`token ${enabled.serial} of ${enabled.username} is enabled${enabled.wasLocked ? ' and unlocked: it was locked by wrong passcodes when disabled, and enabling lifts that lock (as token unlock does)' : ''}\n`);
        return 0;
      }),
    );
  token
    .command('retire')
    .description('take a token out of service for good: disassociated, never associated again, kept listed (asks first)')
    .argument('<serial>', "the token's serial number")
    .addOption(new Option('--reason <reason>', 'why').choices(RETIRE_REASONS).makeOptionMandatory())
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .action(
      cli.action(async ({ instance, io }, serial: string, options: { reason: RetireReason; account?: string; yes?: boolean }) => {
        const { tokens, tokenStates } = instance.services;
        const account = await accountOf(instance, options);
        const current = await tokens.show(account, serial);
        const whose = current.username ? ` of ${current.username}` : '';
        if (!(await confirmed(io, options.yes, 'retiring', `Retire token ${current.serial}${whose} (${options.reason})? It can never be associated again.`))) return 1;
        const retired = await tokenStates.retire(OPERATOR, account, serial, options.reason);
        io.out.write(`token ${retired.serial} is retired (${options.reason})\n`);
        return 0;
      }),
    );
  token
    .command('set')
    .description("set a token's validity dates; outside them it is treated as disabled")
    .argument('<serial>', "the token's serial number")
    .option('--valid-from <time>', 'ISO 8601 time, or none', timeOrNone)
    .option('--valid-until <time>', 'ISO 8601 time, or none', timeOrNone)
    .option(...ACCOUNT_OPTION)
    .action(
      cli.action(async ({ instance, io }, serial: string, options: { validFrom?: string; validUntil?: string; account?: string }) => {
        if (options.validFrom === undefined && options.validUntil === undefined) throw new UsageError('give --valid-from or --valid-until');
        const time = (value: string) => (value === 'none' ? null : value);
        const dates = { ...(options.validFrom !== undefined ? { validFrom: time(options.validFrom) } : {}), ...(options.validUntil !== undefined ? { validUntil: time(options.validUntil) } : {}) };
        const set = await instance.services.tokenStates.setValidity(OPERATOR, await accountOf(instance, options), serial, dates);
        io.out.write(`token ${set.serial} is valid from ${set.validFrom ?? '(open)'} until ${set.validUntil ?? '(open)'}\n`);
        return 0;
      }),
    );
  token
    .command('temp-code')
    .description('issue a temporary code for a forgotten or lost token (printed once, alone on the last line), or --revoke it')
    .argument('<user>', 'the user')
    .option('--uses <n>', `how many sign-ins (default ${TEMP_CODE_LIMITS.defaultUses}, at most ${TEMP_CODE_LIMITS.maxUses})`, wholeNumber(TEMP_CODE_LIMITS.maxUses))
    .option('--hours <h>', `for how long (default ${TEMP_CODE_LIMITS.defaultHours}, at most ${TEMP_CODE_LIMITS.maxHours})`, wholeNumber(TEMP_CODE_LIMITS.maxHours))
    .option('--revoke', "revoke the user's temporary code instead")
    .option(...ACCOUNT_OPTION)
    .action(
      cli.action(async ({ instance, io }, user: string, options: { uses?: number; hours?: number; revoke?: boolean; account?: string }) => {
        const account = await accountOf(instance, options);
        if (options.revoke) {
          if (options.uses !== undefined || options.hours !== undefined) throw new UsageError('--revoke takes no --uses or --hours');
          await instance.services.tempCodes.revoke(OPERATOR, account, user);
          io.out.write(`the temporary code of ${user} is revoked\n`);
          return 0;
        }
        const issued = await instance.services.tempCodes.issue(OPERATOR, account, user, { ...(options.uses !== undefined ? { uses: options.uses } : {}), ...(options.hours !== undefined ? { hours: options.hours } : {}) });
        if (issued.replacedLive) io.out.write(`it replaces ${user}'s earlier temporary code, which no longer signs in\n`);
        if (issued.tokensLocked) io.out.write(`${user}'s tokens are locked: this code signs in all the same (enter it where the passcode is asked); the tokens stay locked until unlocked or re-synced\n`);
        io.out.write(`temporary code for ${user}: ${count(issued.usesLeft, 'use')}, until ${issued.expiresAt}; shown this once:\n${issued.code}\n`);
        return 0;
      }),
    );
  token
    .command('associate-bulk')
    .description('associate many tokens from a CSV file (username,serial[,otp]): all lines or none; a line without a passcode is associated unproven')
    .argument('<file>', 'the CSV file')
    .option('--dry-run', 'check every line, associate nothing')
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, file: string, options: { dryRun?: boolean; account?: string; json?: boolean }) => {
        if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${file}`);
        const account = await accountOf(instance, options);
        const report = await instance.services.tokens.associateBulk(OPERATOR, account, readFileSync(file, 'utf8'), { dryRun: options.dryRun ?? false });
        if (options.json) {
          printJson(io, report);
          return 0;
        }
        const unproven = report.associated.filter((a) => !a.proven).length;
        io.out.write(`${file}: ${report.dryRun ? 'would associate' : 'associated'} ${count(report.associated.length, 'token')}${unproven > 0 ? ` (${unproven} unproven: no passcode)` : ''}${report.dryRun ? ' (dry run: nothing written)' : ''}\n`);
        printTable(io, ['LINE', 'USER', 'SERIAL', 'PROVEN'], report.associated.map((a) => [a.line, a.username, a.serial, a.proven ? 'yes' : 'no']));
        return 0;
      }),
    );
}
