// otpgate oidc client add|list|show|update|remove, oidc key list|rotate
import { OPERATOR } from '../../services/context.js';
import type { OidcClientView } from '../../services/oidc-service.js';
import type { CommandIo } from '../io.js';
import { printJson, printTable } from '../io.js';
import { ACCOUNT_OPTION, confirmed, JSON_OPTION, YES_OPTION, type CommandGroup } from './command.js';

interface AddOptions {
  redirectUri: string[];
  postLogoutRedirectUri?: string[];
  allowedGroup?: string[];
  public?: boolean;
  account?: string;
  json?: boolean;
}

interface UpdateOptions {
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  clearPostLogoutRedirectUris?: boolean;
  allowedGroup?: string[];
  anyGroup?: boolean;
  account?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function printClient(io: CommandIo, view: OidcClientView): void {
  io.out.write(
    [
      `name: ${view.name}`,
      `client id: ${view.clientId}`,
      `type: ${view.public ? 'public (no secret; PKCE S256 required)' : 'confidential (client_secret_basic)'}`,
      `redirect URIs: ${view.redirectUris.join(' ')}`,
      `post-logout redirect URIs: ${view.postLogoutRedirectUris.join(' ') || '-'}`,
      `allowed groups: ${view.allowedGroups.join(', ') || 'every user of the account'}`,
      `created: ${view.createdAt}`,
      '',
    ].join('\n'),
  );
}

export const oidcCommands: CommandGroup = (program, cli) => {
  const oidc = program.command('oidc').description('the OpenID Connect provider: clients (web applications) and signing keys');
  const client = oidc.command('client').description("an account's OpenID Connect clients");
  client
    .command('add')
    .description('add a client; prints its id and, for a confidential client, its secret (shown only now)')
    .argument('<name>', "the client's name")
    .requiredOption('--redirect-uri <uri>', 'a redirect URI, matched exactly (repeat for more)', collect)
    .option('--post-logout-redirect-uri <uri>', 'where RP-initiated logout may return to (repeat for more)', collect)
    .option('--allowed-group <group>', 'only users in this group may sign in (repeat for more)', collect)
    .option('--public', 'a public client (a native or single-page application): no secret, PKCE required')
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: AddOptions) => {
        const account = await instance.services.accounts.resolve(OPERATOR, options.account);
        const added = await instance.services.oidc.addClient(OPERATOR, account, {
          name,
          redirectUris: options.redirectUri,
          postLogoutRedirectUris: options.postLogoutRedirectUri ?? [],
          allowedGroups: options.allowedGroup ?? [],
          public: options.public ?? false,
        });
        if (options.json) printJson(io, added);
        else {
          printClient(io, added);
          if (added.clientSecret) io.out.write(`client secret (shown only now): ${added.clientSecret}\n`);
        }
        return 0;
      }),
    );
  client
    .command('list')
    .description("list an account's clients (never their secrets)")
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; json?: boolean }) => {
        const list = await instance.services.oidc.listClients(await instance.services.accounts.resolve(OPERATOR, options.account));
        if (options.json) printJson(io, list);
        else printTable(io, ['NAME', 'CLIENT ID', 'TYPE', 'REDIRECT URIS', 'GROUPS'], list.map((c) => [c.name, c.clientId, c.public ? 'public' : 'confidential', c.redirectUris.join(' '), c.allowedGroups.join(',') || '-']));
        return 0;
      }),
    );
  client
    .command('show')
    .description('show a client (never its secret)')
    .argument('<name>', "the client's name")
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { account?: string; json?: boolean }) => {
        const view = await instance.services.oidc.showClient(await instance.services.accounts.resolve(OPERATOR, options.account), name);
        if (options.json) printJson(io, view);
        else printClient(io, view);
        return 0;
      }),
    );
  client
    .command('update')
    .description("change a client's redirect URIs, post-logout redirect URIs or allowed groups (each option given replaces that list)")
    .argument('<name>', "the client's name")
    .option('--redirect-uri <uri>', 'a redirect URI, matched exactly (repeat for more; replaces them all)', collect)
    .option('--post-logout-redirect-uri <uri>', 'where RP-initiated logout may return to (repeat for more; replaces them all)', collect)
    .option('--clear-post-logout-redirect-uris', 'remove every post-logout redirect URI')
    .option('--allowed-group <group>', 'only users in this group may sign in (repeat for more; replaces them all)', collect)
    .option('--any-group', 'let every user of the account sign in (clears the allowed groups)')
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: UpdateOptions) => {
        const account = await instance.services.accounts.resolve(OPERATOR, options.account);
        const view = await instance.services.oidc.updateClient(OPERATOR, account, name, {
          ...(options.redirectUri ? { redirectUris: options.redirectUri } : {}),
          ...(options.clearPostLogoutRedirectUris ? { postLogoutRedirectUris: [] } : options.postLogoutRedirectUri ? { postLogoutRedirectUris: options.postLogoutRedirectUri } : {}),
          ...(options.anyGroup ? { allowedGroups: [] } : options.allowedGroup ? { allowedGroups: options.allowedGroup } : {}),
        });
        if (options.json) printJson(io, view);
        else printClient(io, view);
        return 0;
      }),
    );
  client
    .command('remove')
    .description('remove a client: its users can no longer sign in to it, and its tokens stop working (asks first)')
    .argument('<name>', "the client's name")
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { account?: string; yes?: boolean }) => {
        const { accounts, oidc: service } = instance.services;
        const account = await accounts.resolve(OPERATOR, options.account);
        await service.showClient(account, name);
        if (!(await confirmed(io, options.yes, 'removing an OpenID client', `Remove OpenID client ${name} of account ${account.name}? Its users can no longer sign in to it.`))) return 1;
        await service.removeClient(OPERATOR, account, name);
        io.out.write(`removed OpenID client ${name}\n`);
        return 0;
      }),
    );
  const key = oidc.command('key').description("the provider's signing keys (RS256, sealed in the database)");
  key
    .command('list')
    .description('list the signing keys: current (signs), next (published ahead), retired (published until their tokens expire)')
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { json?: boolean }) => {
        const keys = await instance.services.oidc.listKeys();
        if (options.json) printJson(io, keys);
        else printTable(io, ['KID', 'STATUS', 'CREATED', 'RETIRES'], keys.map((k) => [k.kid, k.status, k.createdAt, k.retireAt ?? '-']));
        return 0;
      }),
    );
  key
    .command('rotate')
    .description('rotate the signing key: the key published ahead starts signing, the old one stays published for 24 hours')
    .action(
      cli.action(async ({ instance, io }) => {
        const result = await instance.services.oidc.rotateKeys(OPERATOR);
        io.out.write(`signing with key ${result.current}; retired ${result.retired.join(', ') || 'none'} (published for 24 hours more); running servers take the new key within 30 seconds\n`);
        return 0;
      }),
    );
};
