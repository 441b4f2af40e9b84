// otpgate audit list|verify
import { printJson, printTable, progressLine, UsageError } from '../io.js';
import { ACCOUNT_OPTION, JSON_OPTION, type CommandGroup } from './command.js';

function time(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--${flag} takes a date or time such as 2026-11-28 or 2026-11-28T10:00:00Z`);
  return ms;
}

interface ListOptions {
  account?: string;
  user?: string;
  from?: string;
  to?: string;
  outcome?: string;
  limit?: string;
  json?: boolean;
}

export const auditCommands: CommandGroup = (program, cli) => {
  const audit = program.command('audit').description('the audit log');
  audit
    .command('list')
    .description("list an account's audit events, newest first")
    .option(...ACCOUNT_OPTION)
    .option('--user <name>', "only this user's events")
    .option('--from <time>', 'only events at or after this date or time')
    .option('--to <time>', 'only events before this date or time')
    .option('--outcome <outcome>', 'only events with this outcome (success, failure, …)')
    .option('--limit <n>', 'at most this many events', '100')
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: ListOptions) => {
        if (options.limit !== undefined && !/^[0-9]{1,6}$/.test(options.limit)) throw new UsageError('--limit takes a whole number');
        const account = await instance.services.accounts.resolve({ name: 'cli', accountId: null, clientIp: null }, options.account);
        const from = time(options.from, 'from');
        const to = time(options.to, 'to');
        const events = await instance.services.audit.list({
          accountId: account.id,
          ...(options.user ? { username: options.user } : {}),
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          ...(options.outcome ? { outcome: options.outcome } : {}),
          limit: options.limit ? Number(options.limit) : 100,
        });
        if (options.json) printJson(io, events);
        else printTable(io, ['TIME', 'ACTOR', 'ACTION', 'USER', 'SERIAL', 'CLIENT IP', 'OUTCOME', 'REASON'], events.map((e) => [e.at, e.actor, e.action, e.user, e.serial, e.clientIp, e.outcome, e.reason]));
        return 0;
      }),
    );
  audit
    .command('verify')
    .description("verify the audit log's HMAC chain: exit 1 when an event was changed, removed or reordered")
    .action(
      cli.action(async ({ instance, io }) => {
        const progress = progressLine(io);
        const report = await instance.services.audit.verify((n) => progress.update(`${n} events verified`)).finally(() => progress.done());
        if (report.brokenAt !== null) {
          io.out.write(`audit log BROKEN at event ${report.brokenAt}: it was changed, or events before it were removed (${report.events} events verified before it)\n`);
          return 1;
        }
        if (!report.headMatches) {
          io.out.write(`audit log BROKEN: its last events were removed (${report.events} events verify)\n`);
          return 1;
        }
        io.out.write(`audit log intact: ${report.events} events verified\n`);
        return 0;
      }),
    );
};
