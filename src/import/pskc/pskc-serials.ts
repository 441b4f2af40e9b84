// Validity dates and serials shared between keys of one file. docs/seed-files.md: several keys may share
// a serial (an OTP key and its PIN key, two slots of a device, successive validity periods); only two
// *usable* OTP keys of one serial whose validity overlaps make the file ambiguous, and refuse it.
import { type ImportedKey, type ReadResult, SeedFileError, type SkippedKey } from '../imported-key.js';
import type { UsableKey } from './pskc-key.js';

const NEG_INFINITY = Number.NEGATIVE_INFINITY;
const POS_INFINITY = Number.POSITIVE_INFINITY;

function start(key: UsableKey): number {
  return key.validFrom === null ? NEG_INFINITY : key.validFrom.getTime();
}

function end(key: UsableKey): number {
  return key.validUntil === null ? POS_INFINITY : key.validUntil.getTime();
}

function isoDate(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

/** Why a key is not valid at `now` (RFC 6030 §4.3.2 StartDate/ExpiryDate), or null when it is. */
function validityProblem(key: UsableKey, now: number): string | null {
  if (key.validFrom !== null && now < key.validFrom.getTime()) return `not valid before ${isoDate(key.validFrom)}`;
  if (key.validUntil !== null && now > key.validUntil.getTime()) return `expired on ${isoDate(key.validUntil)}`;
  return null;
}

/**
 * Settles the usable keys of a whole file: refuses the file where one serial has two keys with
 * overlapping validity (absent dates are open-ended), then imports the keys valid at `now` and skips
 * the others, naming the key that takes their place where there is one.
 */
export function settleKeys(usable: UsableKey[], skipped: Array<{ index: number; skipped: SkippedKey }>, now: Date): ReadResult {
  const bySerial = new Map<string, UsableKey[]>();
  for (const entry of usable) {
    const group = bySerial.get(entry.key.serial);
    if (group === undefined) bySerial.set(entry.key.serial, [entry]);
    else group.push(entry);
  }
  const nowTime = now.getTime();
  const imported: Array<{ index: number; key: ImportedKey }> = [];
  const allSkipped = [...skipped];
  for (const [serial, group] of bySerial) {
    if (group.length > 1) {
      // Sorting by start makes the overlap check linear, even for a hostile file with one serial repeated.
      const sorted = [...group].sort((a, b) => start(a) - start(b));
      let previous = sorted[0];
      for (const current of sorted.slice(1)) {
        if (previous !== undefined && start(current) <= end(previous)) {
          throw new SeedFileError(
            'duplicate_serial',
            `serial ${serial} has two usable keys whose validity overlaps (${previous.key.source} and ${current.key.source})`,
            current.key.source,
          );
        }
        if (previous === undefined || end(current) > end(previous)) previous = current;
      }
    }
    const current = group.find((entry) => validityProblem(entry, nowTime) === null);
    for (const entry of group) {
      const problem = validityProblem(entry, nowTime);
      if (problem === null) {
        // The dates stay with the token: it is refused at sign-in once they have passed (reason token_expired).
        if (entry.validFrom !== null) entry.key.validFrom = entry.validFrom;
        if (entry.validUntil !== null) entry.key.validUntil = entry.validUntil;
        imported.push({ index: entry.index, key: entry.key });
      } else {
        const reason = current === undefined ? problem : `${problem}; superseded by ${current.key.source}, valid now`;
        allSkipped.push({ index: entry.index, skipped: { serial, source: entry.key.source, reason } });
      }
    }
  }
  imported.sort((a, b) => a.index - b.index);
  allSkipped.sort((a, b) => a.index - b.index);
  return { keys: imported.map((entry) => entry.key), skipped: allSkipped.map((entry) => entry.skipped) };
}
