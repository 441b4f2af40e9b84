// otpgate apikey create|list|remove
import { OPERATOR } from '../../services/context.js';
import { parse, printJson, printTable } from '../io.js';
import { subcommand, UsageErrorFor, type CommandGroup } from './command.js';

export const apiKeyCommands: CommandGroup = {
  name: 'apikey',
  summary: 'API keys for applications',
  usage: [
    'apikey create NAME [--account A] [--scope admin|check|otp-only]... [--client-ip]   (prints the key once, alone on the last line)',
    'apikey list [--account A] [--json]',
    'apikey remove NAME [--account A]',
  ],
  async run({ instance, io }, args) {
    const { accounts, apiKeys } = instance.services;
    const { sub, rest } = subcommand(args, this);
    switch (sub) {
      case 'create': {
        const { values, positionals } = parse(rest, { account: { type: 'string' }, scope: { type: 'string', multiple: true }, 'client-ip': { type: 'boolean' } }, { min: 1, max: 1, usage: this.usage[0]! });
        const account = await accounts.resolve(OPERATOR, values.account);
        const { key, view } = await apiKeys.create(OPERATOR, account, positionals[0]!, values.scope ?? [], values['client-ip'] ?? false);
        io.out.write(`API key ${view.name} for account ${account.name}, scopes ${view.scopes.join(', ')}${view.allowClientIp ? ', may pass clientIp' : ''}.\nStore it now: it is not shown again.\n${key}\n`);
        return 0;
      }
      case 'list': {
        const { values } = parse(rest, { account: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, usage: this.usage[1]! });
        const list = await apiKeys.list(await accounts.resolve(OPERATOR, values.account));
        if (values.json) printJson(io, list);
        else printTable(io, ['NAME', 'SCOPES', 'CLIENT-IP', 'CREATED'], list.map((k) => [k.name, k.scopes.join(','), k.allowClientIp ? 'yes' : 'no', k.createdAt]));
        return 0;
      }
      case 'remove': {
        const { values, positionals } = parse(rest, { account: { type: 'string' } }, { min: 1, max: 1, usage: this.usage[2]! });
        await apiKeys.remove(OPERATOR, await accounts.resolve(OPERATOR, values.account), positionals[0]!);
        io.out.write(`removed API key ${positionals[0]}\n`);
        return 0;
      }
      default:
        throw new UsageErrorFor(this);
    }
  },
};
