// otpgate check USER --password PW [--otp CODE] [--ip ADDR]: the sign-in rules, as POST /auth/check runs them.
// Prints the result (accept, reject, otp_required, enroll_required, locked) or `throttled (retry in N s)`.
import { parseAddress } from '../../core/access-rule.js';
import { parse, printJson, UsageError } from '../io.js';
import type { CommandGroup } from './command.js';

export const checkCommand: CommandGroup = {
  name: 'check',
  summary: 'run the sign-in rules for a user (exit 0 only on accept)',
  usage: ['check USER --password PW [--otp CODE] [--ip ADDR] [--json]    (prints the result, or `throttled (retry in N s)`; without --ip no rule matches: the default action applies)'],
  async run({ instance, io }, args) {
    const { values, positionals } = parse(args, { password: { type: 'string' }, otp: { type: 'string' }, ip: { type: 'string' }, json: { type: 'boolean' } }, { min: 1, max: 1, usage: this.usage[0]! });
    if (values.password === undefined) throw new UsageError('--password is required');
    if (values.ip !== undefined && !parseAddress(values.ip)) throw new UsageError(`--ip "${values.ip}" is not an IPv4 or IPv6 address`);
    const outcome = await instance.services.signIn.check({
      accountId: null,
      username: positionals[0]!,
      password: values.password,
      passcode: values.otp ?? null,
      actor: { name: 'cli', accountId: null, clientIp: values.ip ?? null },
    });
    // A back-off is not a wrong passcode: like the API's 429 it says so, and when to try again.
    if (outcome.reason === 'throttled') {
      if (values.json) printJson(io, { result: 'throttled', retryAfterSeconds: outcome.retryAfterSeconds });
      else io.out.write(`throttled (retry in ${outcome.retryAfterSeconds} s)\n`);
      return 1;
    }
    if (values.json) printJson(io, { result: outcome.result });
    else io.out.write(`${outcome.result}\n`);
    return outcome.result === 'accept' ? 0 : 1;
  },
};
