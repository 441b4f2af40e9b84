// otpgate radius client add|list|remove
import { OPERATOR } from '../../services/context.js';
import { parse, printJson, printTable, readSecretLine, UsageError } from '../io.js';
import { subcommand, UsageErrorFor, type CommandGroup } from './command.js';

export const radiusCommands: CommandGroup = {
  name: 'radius',
  summary: 'RADIUS clients (VPN gateways, firewalls)',
  usage: [
    'radius client add NAME --ip CIDR [--secret S] [--account A] [--challenge] [--no-require-message-authenticator] [--trust-calling-station-id] [--otp-only]   (--otp-only: the device checks the password itself and sends the passcode alone; without --secret, the secret is read from standard input)',
    'radius client list [--account A] [--json]',
    'radius client remove NAME [--account A]',
  ],
  async run({ instance, io }, args) {
    const { accounts, radiusClients } = instance.services;
    const { sub: object, rest: afterObject } = subcommand(args, this);
    if (object !== 'client') throw new UsageErrorFor(this);
    const { sub, rest } = subcommand(afterObject, this);
    switch (sub) {
      case 'add': {
        const { values, positionals } = parse(
          rest,
          {
            ip: { type: 'string' },
            secret: { type: 'string' },
            account: { type: 'string' },
            challenge: { type: 'boolean' },
            'no-require-message-authenticator': { type: 'boolean' },
            'trust-calling-station-id': { type: 'boolean' },
            'otp-only': { type: 'boolean' },
          },
          { min: 1, max: 1, usage: this.usage[0]! },
        );
        if (values.ip === undefined) throw new UsageError(`--ip CIDR is required\nusage: ${this.usage[0]!}`);
        const account = await accounts.resolve(OPERATOR, values.account);
        // A secret on the command line lands in the shell history and `ps`; standard input does not.
        const secret = values.secret ?? (await readSecretLine(io, 'Shared secret: '));
        const view = await radiusClients.add(OPERATOR, account, positionals[0]!, values.ip, secret, {
          challenge: values.challenge ?? false,
          requireMessageAuthenticator: !(values['no-require-message-authenticator'] ?? false),
          trustCallingStationId: values['trust-calling-station-id'] ?? false,
          otpOnly: values['otp-only'] ?? false,
        });
        io.out.write(`RADIUS client ${view.name} (${view.cidr}) added to account ${account.name}: ${view.otpOnly ? 'expects the passcode alone as the password (the device checks the password)' : view.challenge ? 'asks for the passcode in an Access-Challenge' : 'expects the passcode appended to the password'}\n`);
        if (!view.requireMessageAuthenticator) io.err.write('warning: requests without Message-Authenticator are accepted from this client (open to Blast-RADIUS forgery, CVE-2024-3596)\n');
        return 0;
      }
      case 'list': {
        const { values } = parse(rest, { account: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0, usage: this.usage[1]! });
        const list = await radiusClients.list(await accounts.resolve(OPERATOR, values.account));
        if (values.json) printJson(io, list);
        else {
          printTable(
            io,
            ['NAME', 'NETWORK', 'MODE', 'MESSAGE-AUTHENTICATOR', 'CALLING-STATION-ID', 'CREATED'],
            list.map((c) => [c.name, c.cidr, c.otpOnly ? 'otp-only' : c.challenge ? 'challenge' : 'appended', c.requireMessageAuthenticator ? 'required' : 'optional', c.trustCallingStationId ? 'trusted' : 'ignored', c.createdAt]),
          );
        }
        return 0;
      }
      case 'remove': {
        const { values, positionals } = parse(rest, { account: { type: 'string' } }, { min: 1, max: 1, usage: this.usage[2]! });
        await radiusClients.remove(OPERATOR, await accounts.resolve(OPERATOR, values.account), positionals[0]!);
        io.out.write(`removed RADIUS client ${positionals[0]}\n`);
        return 0;
      }
      default:
        throw new UsageErrorFor(this);
    }
  },
};
