// otpgate check USER --password PW [--otp CODE] [--ip ADDR]: the sign-in rules, as POST /auth/check runs them.
// Prints the result (accept, reject, otp_required, enroll_required, locked) or `throttled (retry in N s)`.
import { parseAddress } from '../../core/access-rule.js';
import { describeAuditReason } from '../../core/audit-reasons.js';
import { printJson, UsageError } from '../io.js';
import { JSON_OPTION, type CommandGroup } from './command.js';

export const checkCommand: CommandGroup = (program, cli) => {
  program
    .command('check')
    .description('run the sign-in rules for a user and print the result, as POST /api/v1/auth/check does (exit 0 only on accept)')
    .argument('<user>', 'the user name')
    .requiredOption('--password <password>', "the user's password")
    .option('--otp <code>', 'a passcode from their token')
    .option('--ip <address>', 'the client address the access rules see (without it no rule matches: the default action applies)')
    .option(...JSON_OPTION)
    .addHelpText('after', '\nPrints accept, reject, otp_required, enroll_required or locked, or `throttled (retry in N s)` while the user is backed off.\n')
    .action(
      cli.action(async ({ instance, io }, username: string, options: { password: string; otp?: string; ip?: string; json?: boolean }) => {
        if (options.ip !== undefined && !parseAddress(options.ip)) throw new UsageError(`--ip "${options.ip}" is not an IPv4 or IPv6 address`);
        const outcome = await instance.services.signIn.check({
          accountId: null,
          username,
          password: options.password,
          passcode: options.otp ?? null,
          actor: { name: 'cli', accountId: null, clientIp: options.ip ?? null },
          channel: 'cli',
        });
        // A back-off is not a wrong passcode: like the API's 429 it says so, and when to try again.
        if (outcome.reason === 'throttled') {
          if (options.json) printJson(io, { result: 'throttled', retryAfterSeconds: outcome.retryAfterSeconds });
          else io.out.write(`throttled (retry in ${outcome.retryAfterSeconds} s)\n`);
          return 1;
        }
        // The operator sees why (the audit log's reason code) on standard error; standard output stays the result alone.
        if (options.json) printJson(io, { result: outcome.result, reason: outcome.reason });
        else {
          io.out.write(`${outcome.result}\n`);
          if (outcome.result !== 'accept') io.err.write(`reason: ${outcome.reason} (${describeAuditReason(outcome.reason).text})\n`);
        }
        return outcome.result === 'accept' ? 0 : 1;
      }),
    );
};
