// otpgate apikey create|list|remove
import { OPERATOR } from '../../services/context.js';
import { printJson, printTable } from '../io.js';
import { accountOf, ACCOUNT_OPTION, confirmed, JSON_OPTION, repeatable, YES_OPTION, type CommandGroup } from './command.js';

export const apiKeyCommands: CommandGroup = (program, cli) => {
  const apikey = program.command('apikey').description('API keys for applications');
  apikey
    .command('create')
    .description('create an API key; it is printed once, alone on the last line')
    .argument('<name>', "the key's name")
    .option(...ACCOUNT_OPTION)
    .option('--scope <scope>', 'admin, check or otp-only (repeat for several; default: check)', repeatable)
    .option('--client-ip', 'the key may pass clientIp (for a trusted proxy)')
    .action(
      cli.action(async ({ instance, io }, name: string, options: { account?: string; scope?: string[]; clientIp?: boolean }) => {
        const account = await accountOf(instance, options);
        const { key, view } = await instance.services.apiKeys.create(OPERATOR, account, name, options.scope ?? [], options.clientIp ?? false);
        io.out.write(`API key ${view.name} for account ${account.name}, scopes ${view.scopes.join(', ')}${view.allowClientIp ? ', may pass clientIp' : ''}.\nStore it now: it is not shown again.\n${key}\n`);
        return 0;
      }),
    );
  apikey
    .command('list')
    .description("list an account's API keys (never the keys themselves)")
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; json?: boolean }) => {
        const list = await instance.services.apiKeys.list(await accountOf(instance, options));
        if (options.json) printJson(io, list);
        else printTable(io, ['NAME', 'SCOPES', 'CLIENT-IP', 'CREATED'], list.map((k) => [k.name, k.scopes.join(','), k.allowClientIp ? 'yes' : 'no', k.createdAt]));
        return 0;
      }),
    );
  apikey
    .command('remove')
    .alias('revoke')
    .description('revoke an API key: applications using it are refused at once (asks first)')
    .argument('<name>', "the key's name")
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { account?: string; yes?: boolean }) => {
        const { apiKeys } = instance.services;
        const account = await accountOf(instance, options);
        // An unknown name is refused by the service without asking.
        const known = (await apiKeys.list(account)).some((k) => k.name === name);
        if (known && !(await confirmed(io, options.yes, 'revoking an API key', `Revoke API key ${name} of account ${account.name}? Applications using it are refused from now on.`))) return 1;
        await apiKeys.remove(OPERATOR, account, name);
        io.out.write(`removed API key ${name}\n`);
        return 0;
      }),
    );
};
