// otpgate report tokens|users
import { TOKEN_STATUSES, type TokenStatus } from '../../core/token-status.js';
import { printJson, printTable, UsageError } from '../io.js';
import { accountOf, ACCOUNT_OPTION, JSON_OPTION, type CommandGroup } from './command.js';

export const reportCommands: CommandGroup = (program, cli) => {
  const report = program.command('report').description('reports: unused tokens, users without a token, locked tokens');
  report
    .command('tokens')
    .description('tokens unused for N days (--unused-days N) or in one status (--status locked)')
    .option('--unused-days <n>', "tokens in users' hands that signed no one in for N days")
    .option('--status <status>', `tokens in this status (${TOKEN_STATUSES.join(', ')})`)
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { unusedDays?: string; status?: string; account?: string; json?: boolean }) => {
        if ((options.unusedDays === undefined) === (options.status === undefined)) throw new UsageError('give exactly one of --unused-days N and --status S');
        if (options.unusedDays !== undefined && !/^[0-9]{1,4}$/.test(options.unusedDays)) throw new UsageError('--unused-days takes a whole number of days');
        if (options.status !== undefined && !(TOKEN_STATUSES as readonly string[]).includes(options.status)) throw new UsageError(`--status is one of ${TOKEN_STATUSES.join(', ')}`);
        const account = await accountOf(instance, options);
        const { reports } = instance.services;
        const tokens = options.unusedDays !== undefined ? await reports.unusedTokens(account, Number(options.unusedDays)) : await reports.tokensWithStatus(account, options.status as TokenStatus);
        if (options.json) printJson(io, tokens);
        else printTable(io, ['SERIAL', 'STATUS', 'USER', 'LAST USED', 'ASSOCIATED'], tokens.map((t) => [t.serial, t.status, t.username, t.lastUsedAt, t.associatedAt]));
        return 0;
      }),
    );
  report
    .command('users')
    .description('users without a token (--without-token)')
    .requiredOption('--without-token', 'users who have no token')
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; json?: boolean }) => {
        const users = await instance.services.reports.usersWithoutToken(await accountOf(instance, options));
        if (options.json) printJson(io, users);
        else printTable(io, ['USERNAME', 'ROLE', 'SOURCE', 'DISABLED', 'CREATED'], users.map((u) => [u.username, u.role, u.source, u.disabled ? 'yes' : 'no', u.createdAt]));
        return 0;
      }),
    );
};
