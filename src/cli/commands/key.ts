// otpgate key rotate --new-key-file F
// The database stack is imported when the command runs, not to declare it (main.ts: `--help` stays fast).
import type { CommandGroup } from './command.js';

export const keyCommands: CommandGroup = (program, cli) => {
  const key = program.command('key').description('the master key');
  key
    .command('rotate')
    .description('re-seal every secret under a new master key in one transaction; the new key then takes the place of OTPGATE_KEY_FILE (the old file is kept, renamed: it opens only older backups)')
    .requiredOption('--new-key-file <file>', 'the new key: 32 random bytes, base64, mode 0600 — (umask 077; head -c 32 /dev/urandom | base64 > new.key)')
    .action(
      cli.action(async ({ instance, io }, options: { newKeyFile: string }) => {
        const { rotateMasterKey } = await import('../../runtime/key-rotation.js');
        const result = await rotateMasterKey(instance, options.newKeyFile);
        io.out.write(
          `re-sealed ${result.tokens} token secrets, ${result.radiusClients} RADIUS secrets, ${result.directories} directory passwords and ${result.webhooks} webhook secrets, ${result.oidcClients} OpenID client secrets and ${result.oidcKeys} OpenID signing keys, and the audit chain's key, under the new master key.\n` +
            `${instance.config.keyFile} now holds the new key; the old one is ${result.oldKeyFile} (it opens only backups taken before now). Running servers take the new key by themselves. Back up the new key; then delete ${options.newKeyFile}.\n`,
        );
        return 0;
      }),
    );
};
