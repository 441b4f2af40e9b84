// What a command receives: the opened installation and where to print.
import type { Instance } from '../../runtime/instance.js';
import type { CommandIo } from '../io.js';

export interface CommandContext {
  instance: Instance;
  io: CommandIo;
}

/** A command group: `token`, `user`, …; `run` returns the exit code. */
export interface CommandGroup {
  name: string;
  summary: string;
  usage: string[];
  run(ctx: CommandContext, args: string[]): Promise<number>;
}

export function subcommand(args: string[], group: CommandGroup): { sub: string; rest: string[] } {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') throw new UsageErrorFor(group);
  return { sub, rest };
}

export class UsageErrorFor extends Error {
  constructor(readonly group: CommandGroup) {
    super(`usage:\n${group.usage.map((u) => `  otpgate ${u}`).join('\n')}`);
  }
}
