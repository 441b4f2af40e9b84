// otpgate webhook add|list|remove|deliveries
import { readFileSync } from 'node:fs';
import { OPERATOR } from '../../services/context.js';
import { printJson, printTable, UsageError } from '../io.js';
import { accountOf, ACCOUNT_OPTION, confirmed, JSON_OPTION, YES_OPTION, type CommandGroup } from './command.js';

export const webhookCommands: CommandGroup = (program, cli) => {
  const webhook = program.command('webhook').description('webhooks: signed notifications of token and sign-in events (docs/webhooks.md)');
  webhook
    .command('add')
    .description('add a webhook; without --secret-file a signing secret is generated and printed once, alone on the last line')
    .argument('<name>', "the webhook's name")
    .requiredOption('--url <url>', 'where events are POSTed (https://; http:// and private addresses only with OTPGATE_WEBHOOK_ALLOW_PRIVATE=true)')
    .option('--events <list>', 'comma-separated event types (default: all)')
    .option('--secret-file <file>', 'read the signing secret from this file (16-200 characters)')
    .option(...ACCOUNT_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { url: string; events?: string; secretFile?: string; account?: string }) => {
        let secret: string | undefined;
        if (options.secretFile !== undefined) {
          try {
            secret = readFileSync(options.secretFile, 'utf8').trim();
          } catch (error) {
            throw new UsageError(`--secret-file ${options.secretFile}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        const account = await accountOf(instance, options);
        const events = options.events?.split(',').map((e) => e.trim()).filter(Boolean);
        const added = await instance.services.notifications.addWebhook(OPERATOR, account, { name, url: options.url, ...(events ? { events } : {}), ...(secret !== undefined ? { secret } : {}) });
        const what = added.webhook.events === '*' ? 'every event' : added.webhook.events.join(', ');
        if (secret !== undefined) io.out.write(`webhook ${name} added for account ${account.name}: ${added.webhook.url}, ${what}; signed with the secret from ${options.secretFile}\n`);
        else io.out.write(`webhook ${name} added for account ${account.name}: ${added.webhook.url}, ${what}.\nIts signing secret (store it in the receiver now; it is not shown again):\n${added.secret}\n`);
        return 0;
      }),
    );
  webhook
    .command('list')
    .description("list an account's webhooks (never their secrets)")
    .option(...ACCOUNT_OPTION)
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, options: { account?: string; json?: boolean }) => {
        const list = await instance.services.notifications.listWebhooks(await accountOf(instance, options));
        if (options.json) printJson(io, list);
        else printTable(io, ['NAME', 'URL', 'EVENTS', 'CREATED'], list.map((w) => [w.name, w.url, w.events === '*' ? 'all' : w.events.join(','), w.createdAt]));
        return 0;
      }),
    );
  webhook
    .command('remove')
    .description('remove a webhook; its pending deliveries are dropped (asks first)')
    .argument('<name>', "the webhook's name")
    .option(...ACCOUNT_OPTION)
    .option(...YES_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string, options: { account?: string; yes?: boolean }) => {
        const { notifications } = instance.services;
        const account = await accountOf(instance, options);
        const known = (await notifications.listWebhooks(account)).some((w) => w.name === name);
        if (known && !(await confirmed(io, options.yes, 'removing a webhook', `Remove webhook ${name} of account ${account.name}? Its pending deliveries are dropped.`))) return 1;
        await notifications.removeWebhook(OPERATOR, account, name);
        io.out.write(`removed webhook ${name}\n`);
        return 0;
      }),
    );
  webhook
    .command('deliveries')
    .description('the latest deliveries, newest first: status, attempts, last error')
    .argument('[name]', 'only this webhook')
    .option(...ACCOUNT_OPTION)
    .option('--limit <n>', 'at most this many', '50')
    .option(...JSON_OPTION)
    .action(
      cli.action(async ({ instance, io }, name: string | undefined, options: { account?: string; limit: string; json?: boolean }) => {
        if (!/^[0-9]{1,4}$/.test(options.limit) || Number(options.limit) < 1) throw new UsageError('--limit takes a whole number from 1 to 9999');
        const account = await accountOf(instance, options);
        const list = await instance.services.notifications.deliveries(account, name, Number(options.limit));
        if (options.json) printJson(io, list);
        else printTable(io, ['ID', 'WEBHOOK', 'EVENT', 'AT', 'STATUS', 'ATTEMPTS', 'NEXT', 'LAST ERROR'], list.map((d) => [String(d.id), d.webhook, d.type, d.occurredAt, d.status, String(d.attempts), d.nextAttemptAt, d.lastError]));
        return 0;
      }),
    );
};
