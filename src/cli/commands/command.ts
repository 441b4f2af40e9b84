// What a command receives, and how a command group adds itself to the command line. commander owns the
// parsing, the help (`--help` on every command, `otpgate help TOPIC`) and the usage errors; a group only
// declares its subcommands, their arguments and options, and an action that returns the exit code.
import type { Command } from 'commander';
import type { Instance } from '../../runtime/instance.js';
import { OPERATOR } from '../../services/context.js';
import { confirm, UsageError, type CommandIo } from '../io.js';

export interface CommandContext {
  instance: Instance;
  io: CommandIo;
}

/** What main.ts hands each group: where to print, and how to wrap an action that needs the installation. */
export interface Cli {
  io: CommandIo;
  /** An action over the opened installation; its result is the process's exit code. */
  action<A extends unknown[]>(run: (ctx: CommandContext, ...args: A) => Promise<number>): (...args: A) => Promise<void>;
  /** The environment the configuration comes from (for a command that works without an open installation). */
  env: NodeJS.ProcessEnv;
  /** Sets the exit code of a command that works without an open installation. */
  setCode(code: number): void;
}

/** A command group (`token`, `user`, …) adds its command and subcommands to the program. */
export type CommandGroup = (program: Command, cli: Cli) => void;

/** Options most commands share. */
export const ACCOUNT_OPTION = ['--account <name>', 'the account (default: "default")'] as const;
export const JSON_OPTION = ['--json', 'print JSON instead of a table'] as const;
export const YES_OPTION = ['--yes', 'do it without asking (needed when not on a terminal)'] as const;

/** The account a command acts on: the one `--account` names, else `default`; an unknown name is account_not_found. */
export function accountOf(instance: Instance, options: { account?: string | undefined }): ReturnType<Instance['services']['accounts']['resolve']> {
  return instance.services.accounts.resolve(OPERATOR, options.account);
}

/** commander's argument parser for an option that may be repeated: the values in order. */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The one rule for a destructive command (delete, disassociate, revoke, remove): `--yes` does it; without
 * it, a terminal is asked `question` and anything but yes changes nothing (exit 1); without a terminal it is
 * bad usage (exit 2), so a script never deletes by accident.
 */
export async function confirmed(io: CommandIo, yes: boolean | undefined, what: string, question: string): Promise<boolean> {
  if (yes) return true;
  if (!io.input.isTTY) throw new UsageError(`${what} needs confirmation: run it on a terminal, or pass --yes`);
  if (await confirm(io, question)) return true;
  io.err.write('nothing changed\n');
  return false;
}
