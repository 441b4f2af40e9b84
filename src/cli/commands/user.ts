// otpgate user create|list|show|passwd|delete
import { OPERATOR } from '../../services/context.js';
import { parse, printJson, printTable, readSecretLine, UsageError, type CommandIo } from '../io.js';
import { subcommand, UsageErrorFor, type CommandGroup } from './command.js';

async function passwordFrom(io: CommandIo, given: string | undefined): Promise<string> {
  return given ?? (await readSecretLine(io, 'Password: '));
}

export const userCommands: CommandGroup = {
  name: 'user',
  summary: 'users of an account',
  usage: [
    'user create NAME [--role admin|user] [--display-name TEXT] [--account A] [--password PW]   (else the password is read from standard input)',
    'user list [--account A] [--search TEXT] [--json]',
    'user show NAME [--account A] [--json]',
    'user passwd NAME [--account A] [--password PW]',
    'user delete NAME [--account A]',
    'user disable NAME [--account A]     (every sign-in refused; sessions end)',
    'user enable NAME [--account A]',
  ],
  async run({ instance, io }, args) {
    const { accounts, users } = instance.services;
    const { sub, rest } = subcommand(args, this);
    switch (sub) {
      case 'create': {
        const { values, positionals } = parse(rest, { role: { type: 'string' }, 'display-name': { type: 'string' }, account: { type: 'string' }, password: { type: 'string' } }, { min: 1, max: 1, usage: this.usage[0]! });
        if (values.role !== undefined && values.role !== 'admin' && values.role !== 'user') throw new UsageError('--role takes admin or user');
        const account = await accounts.resolve(OPERATOR, values.account);
        const password = await passwordFrom(io, values.password);
        const user = await users.create(OPERATOR, account, {
          username: positionals[0]!,
          password,
          role: values.role ?? 'user',
          ...(values['display-name'] !== undefined ? { displayName: values['display-name'] } : {}),
        });
        io.out.write(`created ${user.role} ${user.username} in account ${account.name}\n`);
        return 0;
      }
      case 'list': {
        const { values } = parse(rest, { account: { type: 'string' }, search: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, usage: this.usage[1]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        const list = await users.list(account, values.search);
        if (values.json) printJson(io, list);
        else printTable(io, ['USERNAME', 'DISPLAY NAME', 'ROLE', 'TOKEN', 'TOKEN STATUS'], list.map((u) => [u.username, u.displayName, u.role, u.token?.serial, u.token?.status]));
        return 0;
      }
      case 'show': {
        const { values, positionals } = parse(rest, { account: { type: 'string' }, json: { type: 'boolean' } }, { min: 1, max: 1, usage: this.usage[2]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        const user = await users.show(account, positionals[0]!);
        if (values.json) printJson(io, user);
        else {
          printTable(io, ['FIELD', 'VALUE'], [
            ['username', user.username],
            ['display name', user.displayName],
            ['role', user.role],
            ['source', user.source],
            ['email', user.email],
            ['groups', user.groups?.join(', ') || 'none'],
            ['status', user.disabled ? `disabled since ${user.disabledAt} (${user.disabledReason ?? 'no reason'})` : 'enabled'],
            ['token', user.token ? `${user.token.serial} (${user.token.status})` : 'none'],
            ['created', user.createdAt],
          ]);
        }
        return 0;
      }
      case 'passwd': {
        const { values, positionals } = parse(rest, { account: { type: 'string' }, password: { type: 'string' } }, { min: 1, max: 1, usage: this.usage[3]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        await users.require(account, positionals[0]!);
        await users.update(OPERATOR, account, positionals[0]!, { password: await passwordFrom(io, values.password) });
        io.out.write(`password changed for ${positionals[0]}\n`);
        return 0;
      }
      case 'delete': {
        const { values, positionals } = parse(rest, { account: { type: 'string' } }, { min: 1, max: 1, usage: this.usage[4]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        await users.delete(OPERATOR, account, positionals[0]!);
        io.out.write(`deleted user ${positionals[0]}; their token, if any, is back in the inventory\n`);
        return 0;
      }
      case 'disable':
      case 'enable': {
        const { values, positionals } = parse(rest, { account: { type: 'string' } }, { min: 1, max: 1, usage: this.usage[sub === 'disable' ? 5 : 6]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        await users.update(OPERATOR, account, positionals[0]!, { disabled: sub === 'disable' });
        io.out.write(`${sub}d user ${positionals[0]}\n`);
        return 0;
      }
      default:
        throw new UsageErrorFor(this);
    }
  },
};
