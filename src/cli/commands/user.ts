// otpgate user create|list|show|set|passwd|delete|disable|enable
import { Option } from 'commander';
import { ROLES, type Role } from '../../core/values.js';
import { OPERATOR } from '../../services/context.js';
import { printJson, printTable, readSecretLine, UsageError, type CommandIo } from '../io.js';
import { accountOf, ACCOUNT_OPTION, confirmed, JSON_OPTION, YES_OPTION, type CommandGroup } from './command.js';
import { count } from '../../core/count.js';

async function passwordFrom(io: CommandIo, given: string | undefined): Promise<string> {
  return given ?? (await readSecretLine(io, 'Password: '));
}

/** admin, helpdesk (users and tokens, no settings) or user. */
const ROLE_OPTION = () => new Option('--role <role>', 'admin, helpdesk (manages users and tokens, not settings) or user').choices([...ROLES]);

const PASSWORD_OPTION = ['--password <password>', 'the password (else it is read from standard input, hidden on a terminal)'] as const;

export const userCommands: CommandGroup = (program, cli) => {
  const user = program.command('user').description('users of an account');
  user
    .command('create')
    .description('create a user')
    .argument('<name>', 'the user name')
    .addOption(ROLE_OPTION().default('user'))
    .option('--display-name <text>', 'the name shown in the console')
    .option('--email <address>', 'where notifications for the user are mailed')
    .option(...ACCOUNT_OPTION)
    .option(...PASSWORD_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { role: Role; displayName?: string; email?: string; account?: string; password?: string }) => {
        const account = await accountOf(instance, options);
        const password = await passwordFrom(io, options.password);
        const created = await instance.services.users.create(OPERATOR, account, {
          username: name,
          password,
          role: options.role,
          ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
          ...(options.email !== undefined ? { email: options.email } : {}),
        });
        io.out.write(`created ${created.role} ${created.username} in account ${account.name}\n`);
        return 0;
      }),
    );
  user
    .command('list')
    .description('list the users of an account, with their tokens')
    .option(...ACCOUNT_OPTION)
    .option('--search <text>', 'only users whose name contains this')
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; search?: string; json?: boolean }) => {
        const account = await accountOf(instance, options);
        const list = await instance.services.users.list(account, options.search);
        if (options.json) printJson(io, list);
        else printTable(io, ['USERNAME', 'DISPLAY NAME', 'ROLE', 'TOKEN', 'TOKEN STATUS'], list.map((u) => [u.username, u.displayName, u.role, u.tokens.map((t) => t.serial).join(' ') || undefined, u.tokens.map((t) => t.status).join(' ') || undefined]));
        return 0;
      }),
    );
  user
    .command('show')
    .description('show one user')
    .argument('<name>', 'the user name')
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { account?: string; json?: boolean }) => {
        const account = await accountOf(instance, options);
        const shown = await instance.services.users.show(account, name);
        if (options.json) printJson(io, shown);
        else {
          const tempCode = await instance.services.tempCodes.show(account, shown.username);
          printTable(io, ['FIELD', 'VALUE'], [
            ['username', shown.username],
            ['display name', shown.displayName],
            ['role', shown.role],
            ['source', shown.source],
            ['email', shown.email],
            ['groups', shown.groups?.join(', ') || 'none'],
            ['status', shown.disabled ? `disabled since ${shown.disabledAt} (${shown.disabledReason ?? 'no reason'})` : 'enabled'],
            [shown.tokens.length > 1 ? 'tokens' : 'token', shown.tokens.length > 0 ? shown.tokens.map((t) => `${t.serial} (${t.status}${t.label === null ? '' : `, "${t.label}"`})`).join(', ') : 'none'],
            ['temporary code', tempCode?.live ? `live: ${count(tempCode.usesLeft, 'use')} left, until ${tempCode.expiresAt}` : 'none live'],
            ['created', shown.createdAt],
          ]);
        }
        return 0;
      }),
    );
  user
    .command('set')
    .description("change a user's role, e-mail address or display name")
    .argument('<name>', 'the user name')
    .addOption(ROLE_OPTION())
    .option('--email <address>', 'where notifications for the user are mailed ("" removes it)')
    .option('--display-name <text>', 'the name shown in the console')
    .option(...ACCOUNT_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { role?: Role; email?: string; displayName?: string; account?: string }) => {
        if (options.role === undefined && options.email === undefined && options.displayName === undefined) throw new UsageError('nothing to change: give --role, --email or --display-name');
        const account = await accountOf(instance, options);
        const changed = await instance.services.users.update(OPERATOR, account, name, {
          ...(options.role !== undefined ? { role: options.role } : {}),
          ...(options.email !== undefined ? { email: options.email.trim() === '' ? null : options.email } : {}),
          ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
        });
        io.out.write(`user ${changed.username}: role ${changed.role}, e-mail ${changed.email ?? '(none)'}, display name ${changed.displayName}\n`);
        return 0;
      }),
    );
  user
    .command('passwd')
    .description("set a user's password")
    .argument('<name>', 'the user name')
    .option(...ACCOUNT_OPTION)
    .option(...PASSWORD_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { account?: string; password?: string }) => {
        const { users } = instance.services;
        const account = await accountOf(instance, options);
        await users.require(account, name);
        await users.update(OPERATOR, account, name, { password: await passwordFrom(io, options.password) });
        io.out.write(`password changed for ${name}\n`);
        return 0;
      }),
    );
  user
    .command('delete')
    .description('delete a user; their token, if any, goes back to the inventory (asks first)')
    .argument('<name>', 'the user name')
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { account?: string; yes?: boolean }) => {
        const { users } = instance.services;
        const account = await accountOf(instance, options);
        const shown = await users.show(account, name);
        const question = `Delete user ${shown.username} of account ${account.name}${shown.tokens.length > 0 ? ` (their token${shown.tokens.length > 1 ? 's' : ''} ${shown.tokens.map((t) => t.serial).join(', ')} go${shown.tokens.length > 1 ? '' : 'es'} back to the inventory)` : ''}?`;
        if (!(await confirmed(io, options.yes, 'deleting a user', question))) return 1;
        await users.delete(OPERATOR, account, name);
        io.out.write(`deleted user ${name}; their token, if any, is back in the inventory\n`);
        return 0;
      }),
    );
  for (const [sub, description] of [
    ['disable', 'refuse every sign-in of a user; their sessions end'],
    ['enable', 'let a disabled user sign in again'],
  ] as const) {
    user
      .command(sub)
      .description(description)
      .argument('<name>', 'the user name')
      .option(...ACCOUNT_OPTION)
      .action(
        cli.action(async ({ instance, io }, name: string, options: { account?: string }) => {
          const account = await accountOf(instance, options);
          await instance.services.users.update(OPERATOR, account, name, { disabled: sub === 'disable' });
          io.out.write(`${sub}d user ${name}\n`);
          return 0;
        }),
      );
  }
};
