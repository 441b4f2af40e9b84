// otpgate token import|list|show|associate|resync|disassociate|unlock
import { createReadStream, existsSync, statSync } from 'node:fs';
import { OPERATOR } from '../../services/context.js';
import { IMPORT_FORMATS, type ImportFormat, type ImportReport } from '../../services/import-service.js';
import { isTokenStatus, TOKEN_STATUSES } from '../../core/token-status.js';
import type { TokenView } from '../../services/views.js';
import { confirm, parse, printJson, printTable, progressLine, UsageError, type CommandIo } from '../io.js';
import { subcommand, UsageErrorFor, type CommandGroup } from './command.js';

function printToken(io: CommandIo, token: TokenView): void {
  printTable(io, ['FIELD', 'VALUE'], [
    ['serial', token.serial],
    ['status', token.status],
    ['user', token.username],
    ['type', `${token.type} ${token.algorithm} ${token.digits} digits`],
    ['counter', token.type === 'hotp' ? token.counter : null],
    ['time step', token.periodInSeconds],
    ['fail count', token.failCount],
    ['last used', token.lastUsedAt],
    ['locked at', token.lockedAt],
    ['manufacturer', token.manufacturer],
    ['model', token.model],
  ]);
}

function printReport(io: CommandIo, report: ImportReport, file: string): void {
  const verb = report.dryRun ? 'would import' : 'imported';
  io.out.write(`${file}: read ${report.read} keys, ${verb} ${report.imported}, skipped ${report.skipped.length}${report.dryRun ? ' (dry run: nothing written)' : ''}\n`);
  for (const skip of report.skipped) io.out.write(`  skipped ${skip.serial ?? '(no serial)'} (${skip.source}): ${skip.reason}\n`);
}

export const tokenCommands: CommandGroup = {
  name: 'token',
  summary: 'the token inventory and the seed operations',
  usage: [
    'token import FILE [--format pskc|csv] [--psk HEX | --password PW] [--account A] [--dry-run] [--allow-short-secrets] [--json]',
    `token list [--status ${TOKEN_STATUSES.join('|')}] [--account A] [--json]`,
    'token show SERIAL [--account A] [--json]',
    'token associate USER SERIAL OTP [--account A]',
    'token resync USER OTP1 OTP2 [--account A]',
    'token disassociate USER [--account A] [--yes]',
    'token unlock SERIAL [--account A]',
  ],
  async run({ instance, io }, args) {
    const { accounts, tokens, imports } = instance.services;
    const { sub, rest } = subcommand(args, this);
    switch (sub) {
      case 'import': {
        const { values, positionals } = parse(
          rest,
          { format: { type: 'string' }, psk: { type: 'string' }, password: { type: 'string' }, account: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'allow-short-secrets': { type: 'boolean' }, json: { type: 'boolean' } },
          { min: 1, max: 1, usage: this.usage[0]! },
        );
        const file = positionals[0]!;
        if (values.format !== undefined && !(IMPORT_FORMATS as readonly string[]).includes(values.format)) throw new UsageError('--format takes pskc or csv');
        if (values.psk !== undefined && values.password !== undefined) throw new UsageError('give either --psk or --password, not both');
        if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${file}`);
        const account = await accounts.resolve(OPERATOR, values.account);
        const progress = progressLine(io);
        const report = await imports
          .import(OPERATOR, account, {
            input: createReadStream(file),
            fileName: file,
            ...(values.format ? { format: values.format as ImportFormat } : {}),
            ...(values.psk !== undefined ? { psk: values.psk } : {}),
            ...(values.password !== undefined ? { password: values.password } : {}),
            dryRun: values['dry-run'] ?? false,
            allowShortSecrets: values['allow-short-secrets'] ?? false,
            maxBytes: instance.config.importLimitBytes,
            onProgress: (p) => progress.update(`${p.phase}: ${p.keysRead} keys read, ${p.imported} written, ${p.skipped} skipped`),
          })
          .finally(() => progress.done());
        if (values.json) printJson(io, report);
        else printReport(io, report, file);
        return 0;
      }
      case 'list': {
        const { values } = parse(rest, { status: { type: 'string' }, account: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, usage: this.usage[1]! });
        const status = values.status;
        if (status !== undefined && !isTokenStatus(status)) throw new UsageError(`--status takes ${TOKEN_STATUSES.join(', ')}`);
        const account = await accounts.resolve(OPERATOR, values.account);
        const list = await tokens.list(account, status ? { status, limit: 1_000_000 } : { limit: 1_000_000 });
        if (values.json) printJson(io, list);
        else printTable(io, ['SERIAL', 'STATUS', 'USER', 'TYPE', 'DIGITS', 'FAILS', 'LAST USED'], list.map((t) => [t.serial, t.status, t.username, t.type, t.digits, t.failCount, t.lastUsedAt]));
        return 0;
      }
      case 'show': {
        const { values, positionals } = parse(rest, { account: { type: 'string' }, json: { type: 'boolean' } }, { min: 1, max: 1, usage: this.usage[2]! });
        const token = await tokens.show(await accounts.resolve(OPERATOR, values.account), positionals[0]!);
        if (values.json) printJson(io, token);
        else printToken(io, token);
        return 0;
      }
      case 'associate': {
        const { values, positionals } = parse(rest, { account: { type: 'string' } }, { min: 3, max: 3, usage: this.usage[3]! });
        const [user, serial, otp] = positionals as [string, string, string];
        const token = await tokens.associate(OPERATOR, await accounts.resolve(OPERATOR, values.account), user, serial, otp);
        io.out.write(`token ${token.serial} is now associated with ${token.username}\n`);
        return 0;
      }
      case 'resync': {
        const { values, positionals } = parse(rest, { account: { type: 'string' } }, { min: 3, max: 3, usage: this.usage[4]! });
        const [user, first, second] = positionals as [string, string, string];
        const token = await tokens.resync(OPERATOR, await accounts.resolve(OPERATOR, values.account), user, first, second);
        io.out.write(`token ${token.serial} of ${token.username} is re-synced (next counter ${token.counter})\n`);
        return 0;
      }
      case 'disassociate': {
        const { values, positionals } = parse(rest, { account: { type: 'string' }, yes: { type: 'boolean' } }, { min: 1, max: 1, usage: this.usage[5]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        const current = await tokens.ofUser(account, positionals[0]!);
        if (!values.yes) {
          if (!io.input.isTTY) throw new UsageError('disassociating needs confirmation: run it on a terminal, or pass --yes');
          if (!(await confirm(io, `Disassociate token ${current.serial} from ${current.username}? They will no longer need a passcode to sign in.`))) {
            io.err.write('nothing changed\n');
            return 1;
          }
        }
        const token = await tokens.disassociate(OPERATOR, account, positionals[0]!);
        io.out.write(`token ${token.serial} is disassociated from ${positionals[0]} and back in the inventory\n`);
        return 0;
      }
      case 'unlock': {
        const { values, positionals } = parse(rest, { account: { type: 'string' } }, { min: 1, max: 1, usage: this.usage[6]! });
        const token = await tokens.unlock(OPERATOR, await accounts.resolve(OPERATOR, values.account), positionals[0]!);
        io.out.write(`token ${token.serial} is unlocked\n`);
        return 0;
      }
      default:
        throw new UsageErrorFor(this);
    }
  },
};
