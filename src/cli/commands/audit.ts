// otpgate audit list|verify|export|archive
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { printJson, printTable, progressLine, UsageError } from '../io.js';
import { accountOf, ACCOUNT_OPTION, JSON_OPTION, repeatable, type CommandGroup } from './command.js';
import { count } from '../../core/count.js';

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
        const account = await accountOf(instance, options);
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
    .option('--archive <file>', 'verify this archive first (repeat, oldest first, to verify the whole history)', repeatable)
    .action(
      cli.action(async ({ instance, io }, options: { archive?: string[] }) => {
        for (const file of options.archive ?? []) if (!existsSync(file)) throw new UsageError(`--archive ${file}: no such file`);
        const archives = (options.archive ?? []).map((file) => createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity }));
        const progress = progressLine(io);
        const report = await instance.services.audit.verifyWithArchives(archives, (n) => progress.update(`${count(n, 'event')} verified`)).finally(() => progress.done());
        for (const chain of report.chains) {
          const start = chain.startsAfter === 0 ? 'from its beginning' : `after event ${chain.startsAfter} (the events before it are archived)`;
          io.out.write(`  chain ${chain.id} (${chain.name}): ${count(chain.events, 'event')} ${start}${chain.problem === null ? '' : `: BROKEN, ${chain.problem}`}\n`);
        }
        for (const problem of report.problems) io.out.write(`  BROKEN: ${problem}\n`);
        if (report.brokenAt !== null) {
          io.out.write(`audit log BROKEN at event ${report.brokenAt}: it was changed, or events before it were removed (${count(report.events, 'event')} verified)\n`);
          return 1;
        }
        if (!report.headMatches || report.problems.length > 0) {
          const removed = report.chains.some((c) => c.problem?.startsWith('its last events were removed'));
          io.out.write(`audit log BROKEN: ${removed ? 'its last events were removed' : 'see the chains above'} (${count(report.events, 'event')} verify)\n`);
          return 1;
        }
        io.out.write(`audit log intact: ${count(report.events, 'event')} verified in ${count(report.chains.length, 'chain')}${report.archived > 0 ? ` (${report.archived} of them from ${count(options.archive!.length, 'archive')})` : ''}\n`);
        return 0;
      }),
    );
  audit
    .command('export')
    .description("write an account's audit events, oldest first, as CSV or JSON Lines (to standard output, or --out FILE)")
    .requiredOption('--format <format>', 'csv or jsonl')
    .option(...ACCOUNT_OPTION)
    .option('--user <name>', "only this user's events")
    .option('--from <time>', 'only events at or after this date or time')
    .option('--to <time>', 'only events before this date or time')
    .option('--outcome <outcome>', 'only events with this outcome')
    .option('--out <file>', 'write to this file (mode 0600) instead of standard output')
    .action(
      cli.action(async ({ instance, io }, options: ListOptions & { format: string; out?: string }) => {
        if (options.format !== 'csv' && options.format !== 'jsonl') throw new UsageError('--format is csv or jsonl');
        const account = await accountOf(instance, options);
        const from = time(options.from, 'from');
        const to = time(options.to, 'to');
        const fd = options.out !== undefined ? openSync(options.out, 'w', 0o600) : null;
        try {
          const exported = await instance.services.audit.export(
            { accountId: account.id, ...(options.user ? { username: options.user } : {}), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...(options.outcome ? { outcome: options.outcome } : {}) },
            options.format,
            (chunk) => (fd !== null ? void writeSync(fd, chunk) : void io.out.write(chunk)),
          );
          if (fd !== null) io.out.write(`exported ${count(exported, 'event')} to ${options.out}\n`);
        } finally {
          if (fd !== null) closeSync(fd);
        }
        return 0;
      }),
    );
  audit
    .command('archive')
    .description('move the events before TIME (all accounts) into a JSON Lines file, then delete them from the log; audit verify still holds for what remains, and with --archive for the whole')
    .requiredOption('--before <time>', 'archive the events before this date or time')
    .requiredOption('--out <file>', 'the archive to write (must not exist; mode 0600)')
    .action(
      cli.action(async ({ instance, io }, options: { before: string; out: string }) => {
        const before = time(options.before, 'before')!;
        if (existsSync(options.out)) throw new UsageError(`--out ${options.out} exists: an archive is never overwritten`);
        const fd = openSync(options.out, 'wx', 0o600);
        let result;
        try {
          result = await instance.services.audit.archive(before, {
            write: async (chunk) => void writeSync(fd, chunk),
            // The events are deleted only once their archive is on disk.
            finish: async () => fsyncSync(fd),
          });
        } finally {
          closeSync(fd);
        }
        if (result === null) {
          unlinkSync(options.out);
          io.out.write(`no events before ${new Date(before).toISOString()} to archive; nothing changed\n`);
        }
        else io.out.write(`archived ${count(result.events, 'event')} of ${count(result.chains, 'chain')} (ids ${result.firstId}-${result.lastId}) to ${options.out} and removed them from the log; keep the archive: audit verify --archive ${options.out} verifies the whole history\n`);
        return 0;
      }),
    );
};
