// The strings the PSKC reader keeps from a file: trimmed, detached from the parser's input, and the ones
// that repeat on every key (algorithm, manufacturer, issuer…) stored once.

/**
 * A copy of a string that shares no memory with the parser's input. V8 makes substrings of 13 or more
 * characters "sliced strings" that keep their whole parent alive: a serial kept from each KeyPackage
 * would otherwise pin every 64 KiB input chunk, i.e. the whole file, in memory.
 */
function detach(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

/** The text without surrounding white space, or null when nothing is left. */
export function nonEmpty(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

export class StringKeeper {
  private readonly interned = new Map<string, string>();

  /** A detached copy of a value that is particular to one key (serial, Id, friendly name). */
  keep(text: string | null): string | null {
    return text === null ? null : detach(text);
  }

  /** A detached copy of a value that usually repeats across keys, shared between them. */
  intern(text: string | null): string | null {
    if (text === null) return null;
    const known = this.interned.get(text);
    if (known !== undefined) return known;
    const copy = detach(text);
    if (this.interned.size < 1024) this.interned.set(copy, copy);
    return copy;
  }
}
