// otpgate audit list|verify
import { parse, printJson, printTable, progressLine, UsageError } from '../io.js';
import { subcommand, UsageErrorFor, type CommandGroup } from './command.js';

function time(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--${flag} takes a date or time such as 2026-11-28 or 2026-11-28T10:00:00Z`);
  return ms;
}

export const auditCommands: CommandGroup = {
  name: 'audit',
  summary: 'the audit log',
  usage: ['audit list [--account A] [--user U] [--from TIME] [--to TIME] [--outcome O] [--limit N] [--json]', 'audit verify'],
  async run({ instance, io }, args) {
    const { accounts, audit } = instance.services;
    const { sub, rest } = subcommand(args, this);
    switch (sub) {
      case 'list': {
        const { values } = parse(
          rest,
          { account: { type: 'string' }, user: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, outcome: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
          { min: 0, max: 0, usage: this.usage[0]! },
        );
        if (values.limit !== undefined && !/^[0-9]{1,6}$/.test(values.limit)) throw new UsageError('--limit takes a whole number');
        const account = await accounts.resolve({ name: 'cli', accountId: null, clientIp: null }, values.account);
        const from = time(values.from, 'from');
        const to = time(values.to, 'to');
        const events = await audit.list({
          accountId: account.id,
          ...(values.user ? { username: values.user } : {}),
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          ...(values.outcome ? { outcome: values.outcome } : {}),
          limit: values.limit ? Number(values.limit) : 100,
        });
        if (values.json) printJson(io, events);
        else printTable(io, ['TIME', 'ACTOR', 'ACTION', 'USER', 'SERIAL', 'CLIENT IP', 'OUTCOME', 'REASON'], events.map((e) => [e.at, e.actor, e.action, e.user, e.serial, e.clientIp, e.outcome, e.reason]));
        return 0;
      }
      case 'verify': {
        parse(rest, {}, { min: 0, max: 0, usage: this.usage[1]! });
        const progress = progressLine(io);
        const report = await audit.verify((n) => progress.update(`${n} events verified`)).finally(() => progress.done());
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
      }
      default:
        throw new UsageErrorFor(this);
    }
  },
};
