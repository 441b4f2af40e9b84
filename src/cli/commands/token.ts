// otpgate token import|list|show|associate|resync|disassociate|unlock (and token-life.ts's commands)
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { OPERATOR } from '../../services/context.js';
import { ServiceError } from '../../services/errors.js';
import { IMPORT_FORMATS, type ImportFormat } from '../../core/import-format.js';
import type { ImportReport } from '../../services/import-service.js';
import { TOKEN_STATUSES, type TokenStatus } from '../../core/token-status.js';
import type { TokenView } from '../../services/views.js';
import { Option } from 'commander';
import { printJson, printTable, progressLine, UsageError, type CommandIo } from '../io.js';
import { accountOf, ACCOUNT_OPTION, confirmed, JSON_OPTION, YES_OPTION, type CommandGroup } from './command.js';
import { printHistory, tokenLifeCommands } from './token-life.js';
import { wayIn, type WayIn } from '../../core/restriction-impact.js';
import { settingsOf } from '../../services/account-settings.js';
import { count } from '../../core/count.js';

/** What disassociating a user's last token means for their next sign-in, by what their restriction then does. */
const DISASSOCIATION_CONSEQUENCE: Record<WayIn, string> = {
  ok: 'No access restriction asks them for a passcode: they will sign in with the password alone. Their open sessions end.',
  asked_to_associate: 'Where their access restriction requires a passcode, they will be asked to associate a token at their next sign-in; elsewhere the password alone signs them in. Their open sessions end.',
  locked_out: 'Where their access restriction requires a passcode they will not be able to sign in (self-association is off) until a token is associated again; elsewhere the password alone signs them in. Their open sessions end.',
};

function printToken(io: CommandIo, token: TokenView): void {
  printTable(io, ['FIELD', 'VALUE'], [
    ['serial', token.serial],
    ['status', token.status],
    ['user', token.username],
    ['type', `${token.type} ${token.algorithm} ${token.digits} digits`],
    ['counter', token.type === 'hotp' ? token.counter : null],
    ['time step', token.periodInSeconds],
    ['clock drift', token.driftSteps === null ? null : `${count(token.driftSteps, 'step')} (${token.driftSteps * (token.periodInSeconds ?? 30)} s)`],
    ['fail count', token.failCount],
    ['last used', token.lastUsedAt],
    ['locked at', token.lockedAt],
    ['manufacturer', token.manufacturer],
    ['model', token.model],
    ['valid from', token.validFrom],
    ['valid until', token.validUntil],
    ['retired', token.retiredAt === null ? null : `${token.retiredAt} (${token.retiredReason ?? 'no reason'})`],
  ]);
}

function printReport(io: CommandIo, report: ImportReport, file: string): void {
  const verb = report.dryRun ? 'would import' : 'imported';
  io.out.write(`${file}: read ${count(report.read, 'key')}, ${verb} ${report.imported}, skipped ${report.skipped.length}${report.dryRun ? ' (dry run: nothing written)' : ''}\n`);
  for (const skip of report.skipped) io.out.write(`  skipped ${skip.serial ?? '(no serial)'} (${skip.source}): ${skip.reason}\n`);
}

interface ImportOptions {
  format?: ImportFormat;
  psk?: string;
  pskFile?: string;
  password?: string;
  account?: string;
  dryRun?: boolean;
  allowShortSecrets?: boolean;
  json?: boolean;
}

/** The pre-shared key in a file (hex, surrounding white space ignored). */
function readKeyFile(path: string): string {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`no such file: ${path} (--psk-file)`);
  return readFileSync(path, 'utf8').trim();
}

/** A file refused for want of its key names the options that give one. */
function missingKeyHint(error: unknown): unknown {
  if (!(error instanceof ServiceError) || error.code !== 'import_refused' || error.details?.category !== 'missing_key') return error;
  const hint = 'give the pre-shared key with --psk HEX or --psk-file FILE, or the password of a file encrypted with one with --password';
  return new ServiceError(error.code, `${error.message.replace(/; nothing was imported$/, '')}; ${hint}; nothing was imported`, error.details);
}

export const tokenCommands: CommandGroup = (program, cli) => {
  const token = program
    .command('token')
    .description('the token inventory and the token operations: import, associate, re-sync, disassociate, disable, retire, temporary codes')
    .addHelpText('after', '\nA token bound to a user is "associated" (shown as Assigned in the console); "available" ones are in the inventory, nobody\'s.\n');
  token
    .command('import')
    .description('import a vendor\'s seed file (PSKC, RFC 6030, or OATH CSV) into the inventory')
    .argument('<file>', 'the seed file')
    .addOption(new Option('--format <format>', 'the file\'s format (default: from its content)').choices(IMPORT_FORMATS))
    .option('--psk <hex>', 'the pre-shared key of an encrypted PSKC file')
    .option('--psk-file <file>', 'read that key (hex) from this file instead: it stays out of the shell history and the process list')
    .option('--password <password>', 'the password of an encrypted PSKC file')
    .option(...ACCOUNT_OPTION)
    .option('--dry-run', 'read and check everything, write nothing')
    .option('--allow-short-secrets', 'import secrets under 128 bits too')
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, file: string, options: ImportOptions) => {
        if ([options.psk, options.pskFile, options.password].filter((o) => o !== undefined).length > 1) throw new UsageError('give one of --psk, --psk-file or --password, not several');
        if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${file}`);
        const psk = options.pskFile !== undefined ? readKeyFile(options.pskFile) : options.psk;
        const account = await accountOf(instance, options);
        const progress = progressLine(io);
        const report = await instance.services.imports
          .import(OPERATOR, account, {
            input: createReadStream(file),
            fileName: file,
            ...(options.format ? { format: options.format } : {}),
            ...(psk !== undefined ? { psk } : {}),
            ...(options.password !== undefined ? { password: options.password } : {}),
            dryRun: options.dryRun ?? false,
            allowShortSecrets: options.allowShortSecrets ?? false,
            maxBytes: instance.config.importLimitBytes,
            onProgress: (p) => progress.update(`${p.phase}: ${count(p.keysRead, 'key')} read, ${p.imported} written, ${p.skipped} skipped`),
          })
          .catch((error: unknown) => {
            throw missingKeyHint(error);
          })
          .finally(() => progress.done());
        if (options.json) printJson(io, report);
        else printReport(io, report, file);
        return 0;
      }),
    );
  token
    .command('list')
    .description('list the tokens of an account')
    .addOption(new Option('--status <status>', 'only tokens in this status').choices(TOKEN_STATUSES))
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { status?: TokenStatus; account?: string; json?: boolean }) => {
        const account = await accountOf(instance, options);
        const list = await instance.services.tokens.list(account, options.status ? { status: options.status, limit: 1_000_000 } : { limit: 1_000_000 });
        if (options.json) printJson(io, list);
        else printTable(io, ['SERIAL', 'STATUS', 'USER', 'TYPE', 'DIGITS', 'FAILS', 'LAST USED'], list.map((t) => [t.serial, t.status, t.username, t.type, t.digits, t.failCount, t.lastUsedAt]));
        return 0;
      }),
    );
  token
    .command('show')
    .description('show one token and its history')
    .argument('<serial>', "the token's serial number")
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, serial: string, options: { account?: string; json?: boolean }) => {
        const account = await accountOf(instance, options);
        const shown = await instance.services.tokens.show(account, serial);
        const history = await instance.services.tokens.history(account, serial);
        if (options.json) printJson(io, { ...shown, history: history.events });
        else {
          printToken(io, shown);
          printHistory(io, history);
        }
        return 0;
      }),
    );
  token
    .command('associate')
    .description('associate a token with a user, proven by one passcode from it')
    .argument('<user>', 'the user')
    .argument('<serial>', "the token's serial number")
    .argument('<otp>', 'a passcode the token shows now')
    .option('--label <label>', 'a name for the token, unique per user ("desk", "spare")')
    .option(...ACCOUNT_OPTION)
    .action(
      cli.action(async ({ instance, io }, user: string, serial: string, otp: string, options: { account?: string; label?: string }) => {
        const account = await accountOf(instance, options);
        const associated = await instance.services.tokens.associate(OPERATOR, account, user, serial, otp, true, options.label);
        io.out.write(`token ${associated.serial}${associated.label === null ? '' : ` ("${associated.label}")`} is now associated with ${associated.username}\n`);
        return 0;
      }),
    );
  token
    .command('resync')
    .description("re-sync a user's token that drifted, with two consecutive passcodes")
    .argument('<user>', 'the user')
    .argument('<otp1>', 'a passcode')
    .argument('<otp2>', 'the next passcode')
    .option('--serial <serial>', 'which of the user\'s tokens (without it: the one whose window holds both passcodes)')
    .option(...ACCOUNT_OPTION)
    .action(
      cli.action(async ({ instance, io }, user: string, first: string, second: string, options: { account?: string; serial?: string }) => {
        const synced = await instance.services.tokens.resync(OPERATOR, await accountOf(instance, options), user, first, second, options.serial);
        const where = synced.driftSteps === null ? `next counter ${synced.counter}` : `clock drift ${synced.driftSteps} time steps`;
        io.out.write(`token ${synced.serial} of ${synced.username} is re-synced (${where})\n`);
        return 0;
      }),
    );
  token
    .command('enrol-app')
    .description("start adding an authenticator app for a user: prints the otpauth URI, its key and a QR code to scan (pending 15 minutes; `token activate` completes it)")
    .argument('<user>', 'the user')
    .option(...ACCOUNT_OPTION)
    .action(
      cli.action(async ({ instance, io }, user: string, options: { account?: string }) => {
        const { CLI_BINDING } = await import('../../services/app-enrolment-service.js');
        const { default: QRCode } = await import('qrcode');
        const pending = await instance.services.appEnrolments.start(OPERATOR, await accountOf(instance, options), user, CLI_BINDING);
        // The QR code's last line ends in a colour reset, without a line break.
        io.out.write(`${await QRCode.toString(pending.uri, { type: 'terminal', small: true })}\n`);
        io.out.write(`${pending.uri}\nkey: ${pending.secretText}\npending until ${pending.expiresAt}: complete it with \`otpgate token activate ${user} CODE\`\n`);
        return 0;
      }),
    );
  token
    .command('activate')
    .description('complete an authenticator app started by `token enrol-app`, with the code the app shows now')
    .argument('<user>', 'the user')
    .argument('<code>', 'the code the app shows now')
    .option(...ACCOUNT_OPTION)
    .action(
      cli.action(async ({ instance, io }, user: string, code: string, options: { account?: string }) => {
        const { CLI_BINDING } = await import('../../services/app-enrolment-service.js');
        const token = await instance.services.appEnrolments.activate(OPERATOR, await accountOf(instance, options), user, CLI_BINDING, code);
        io.out.write(`authenticator app ${token.serial} is now ${token.username}'s\n`);
        return 0;
      }),
    );
  token
    .command('disassociate')
    .description("take a user's token back into the inventory (asks first)")
    .argument('<user>', 'the user')
    .option('--serial <serial>', 'which of the user\'s tokens (required when they hold several)')
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .action(
      cli.action(async ({ instance, io }, user: string, options: { account?: string; yes?: boolean; serial?: string }) => {
        const { tokens } = instance.services;
        const account = await accountOf(instance, options);
        const current = await tokens.ofUser(account, user, options.serial);
        const last = (await tokens.listOfUser(account, user)).length === 1;
        // What the rules will do once the user has no token, as the console's page says (issue #29).
        const consequence = last
          ? DISASSOCIATION_CONSEQUENCE[wayIn(await instance.services.restrictions.showForUser(account, user), false, settingsOf(account).selfAssociation)]
          : 'Their other tokens stay theirs.';
        if (!(await confirmed(io, options.yes, 'disassociating', `Disassociate token ${current.serial} from ${current.username}? ${consequence}`))) return 1;
        const disassociated = await tokens.disassociate(OPERATOR, account, user, current.serial);
        io.out.write(`token ${disassociated.serial} is disassociated from ${user} and back in the inventory${last ? `. ${consequence}` : ''}\n`);
        return 0;
      }),
    );
  token
    .command('unlock')
    .description("unlock a user's tokens locked by wrong passcodes (and clear the back-off); the lock is the user's")
    .argument('<user-or-serial>', 'the user, or the serial number of one of their tokens')
    .option(...ACCOUNT_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { account?: string }) => {
        const unlocked = await instance.services.tokenStates.unlockHolder(OPERATOR, await accountOf(instance, options), name);
        io.out.write(unlocked.length === 1 ? `token ${unlocked[0]!.serial} is unlocked\n` : `tokens ${unlocked.map((t) => t.serial).join(', ')} of ${unlocked[0]?.username ?? name} are unlocked\n`);
        return 0;
      }),
    );
  tokenLifeCommands(token, cli);
};
