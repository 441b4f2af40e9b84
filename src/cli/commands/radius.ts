// otpgate radius client add|list|remove
import { OPERATOR } from '../../services/context.js';
import { printJson, printTable, readSecretLine } from '../io.js';
import { accountOf, ACCOUNT_OPTION, confirmed, JSON_OPTION, YES_OPTION, type CommandGroup } from './command.js';

interface AddOptions {
  ip: string;
  secret?: string;
  account?: string;
  challenge?: boolean;
  requireMessageAuthenticator: boolean;
  trustCallingStationId?: boolean;
  otpOnly?: boolean;
}

export const radiusCommands: CommandGroup = (program, cli) => {
  const client = program.command('radius').description('RADIUS clients (VPN gateways, firewalls)').command('client').description('the RADIUS clients of an account');
  client
    .command('add')
    .description('add a RADIUS client: a device (network) that may send Access-Requests, and its shared secret')
    .argument('<name>', "the client's name")
    .requiredOption('--ip <cidr>', 'the address or network the requests come from')
    .option('--secret <secret>', 'the shared secret (else it is read from standard input, hidden on a terminal)')
    .option(...ACCOUNT_OPTION)
    .option('--challenge', 'ask for the passcode in an Access-Challenge (else it is appended to the password)')
    .option('--no-require-message-authenticator', 'accept requests without Message-Authenticator (open to Blast-RADIUS, CVE-2024-3596)')
    .option('--trust-calling-station-id', "use the request's Calling-Station-Id as the client address for the access rules")
    .option('--otp-only', 'the device checks the password itself and sends the passcode alone')
    .action(
      cli.action(async ({ instance, io }, name: string, options: AddOptions) => {
        const account = await accountOf(instance, options);
        // A secret on the command line lands in the shell history and `ps`; standard input does not.
        const secret = options.secret ?? (await readSecretLine(io, 'Shared secret: '));
        const view = await instance.services.radiusClients.add(OPERATOR, account, name, options.ip, secret, {
          challenge: options.challenge ?? false,
          requireMessageAuthenticator: options.requireMessageAuthenticator,
          trustCallingStationId: options.trustCallingStationId ?? false,
          otpOnly: options.otpOnly ?? false,
        });
        io.out.write(`RADIUS client ${view.name} (${view.cidr}) added to account ${account.name}: ${view.otpOnly ? 'expects the passcode alone as the password (the device checks the password)' : view.challenge ? 'asks for the passcode in an Access-Challenge' : 'expects the passcode appended to the password'}\n`);
        if (!view.requireMessageAuthenticator) io.err.write('warning: requests without Message-Authenticator are accepted from this client (open to Blast-RADIUS forgery, CVE-2024-3596)\n');
        return 0;
      }),
    );
  client
    .command('list')
    .description("list an account's RADIUS clients (never their secrets)")
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; json?: boolean }) => {
        const list = await instance.services.radiusClients.list(await accountOf(instance, options));
        if (options.json) printJson(io, list);
        else {
          printTable(
            io,
            ['NAME', 'NETWORK', 'MODE', 'MESSAGE-AUTHENTICATOR', 'CALLING-STATION-ID', 'CREATED'],
            list.map((c) => [c.name, c.cidr, c.otpOnly ? 'otp-only' : c.challenge ? 'challenge' : 'appended', c.requireMessageAuthenticator ? 'required' : 'optional', c.trustCallingStationId ? 'trusted' : 'ignored', c.createdAt]),
          );
        }
        return 0;
      }),
    );
  client
    .command('remove')
    .description('remove a RADIUS client: its requests are dropped from then on (asks first)')
    .argument('<name>', "the client's name")
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { account?: string; yes?: boolean }) => {
        const { radiusClients } = instance.services;
        const account = await accountOf(instance, options);
        // An unknown name is refused by the service without asking.
        const known = (await radiusClients.list(account)).some((c) => c.name === name);
        if (known && !(await confirmed(io, options.yes, 'removing a RADIUS client', `Remove RADIUS client ${name} of account ${account.name}? Its requests are dropped from then on.`))) return 1;
        await radiusClients.remove(OPERATOR, account, name);
        io.out.write(`removed RADIUS client ${name}\n`);
        return 0;
      }),
    );
};
