// The audit log's chain: each event carries an HMAC, under a key derived from the master key, of the
// previous event's chain value and this event's fields. Editing, deleting or reordering events breaks the
// chain, and it cannot be recomputed without the master key (`otpgate audit verify`). Pure: no I/O.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The chain value before the first event. */
export const GENESIS = 'genesis';

/** The fields of an event that its chain value covers (every column but its id and the chain itself). */
export interface ChainedFields {
  account_id: number | null;
  at: number;
  actor: string;
  action: string;
  target_user: string | null;
  target_serial: string | null;
  client_ip: string | null;
  outcome: string;
  reason: string | null;
}

/** The bytes hashed for one event's fields. */
function chainInput(event: ChainedFields): string {
  return JSON.stringify([event.account_id, event.at, event.actor, event.action, event.target_user, event.target_serial, event.client_ip, event.outcome, event.reason]);
}

/** The chain value of an event that follows `previous`. */
export function chainValue(key: Buffer, previous: string, event: ChainedFields): string {
  return createHmac('sha256', key).update(previous).update(chainInput(event)).digest('base64url');
}

// ── Chains and their heads ──────────────────────────────────────────────────────────────────────────────
// The log is several chains: one per account and stripe (a fixed share of the account's users), one for
// the installation's own events, and the closed chain an older otpgate kept for everything. Each chain has
// a head row saying where it starts (its anchor: the last archived event), how many events follow, and its
// last chain value, MAC'd under a key derived from the chain key, so that moving the anchor (cutting the
// oldest events) or rolling the head back (cutting the newest) is found without the key to MAC it again.

/** How many chains an account's events are spread over, by user: appends to different stripes do not queue. */
export const STRIPES = 8;

/** The stripe of an account's event: by the user it names (lower case), stripe 0 for none. */
export function stripeOf(targetUser: string | null): number {
  if (targetUser === null || targetUser === '') return 0;
  // FNV-1a: stable across versions and engines; the stripe only spreads load, it protects nothing.
  let hash = 0x811c9dc5;
  for (let i = 0; i < targetUser.length; i++) hash = Math.imul(hash ^ targetUser.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % STRIPES;
}

/** The unique name of a chain: what its head row is found by. */
export function chainName(accountId: number | null, stripe: number): string {
  return accountId === null ? INSTALLATION_CHAIN : `account ${accountId} stripe ${stripe}`;
}

/** The chain of the installation's own events (no account), which also records every other chain's opening. */
export const INSTALLATION_CHAIN = 'installation';
/** The single chain of an older otpgate (before migration 0009), closed: nothing is appended to it any more. */
export const LEGACY_CHAIN = 'legacy';

/** The chain value before a chain's first event: the older single chain's was GENESIS; each new chain's names it. */
export function genesisOf(chain: { id: number; name: string }): string {
  return chain.name === LEGACY_CHAIN ? GENESIS : `${GENESIS}:${chain.id}`;
}

/** What a chain's head row states, all of it under its MAC. */
export interface ChainHead {
  id: number;
  name: string;
  /** The last archived event's id, or 0 when the chain starts at its genesis. */
  anchorId: number;
  /** The last archived event's chain value, or the chain's genesis. */
  anchorChain: string;
  /** How many events follow the anchor. */
  events: number;
  /** The last event's chain value (the anchor's when there is none). */
  head: string;
}

/** The head's MAC, under a key of its own derived from the chain key (so it is never an event's chain value). */
export function headMac(chainKey: Buffer, head: ChainHead): string {
  const key = createHmac('sha256', chainKey).update('otpgate audit chain head').digest();
  return createHmac('sha256', key).update(JSON.stringify([head.id, head.name, head.anchorId, head.anchorChain, head.events, head.head])).digest('base64url');
}

/** True when `mac` is the head's MAC (compared in constant time). */
export function headMacMatches(chainKey: Buffer, head: ChainHead, mac: string | null): boolean {
  if (mac === null) return false;
  const expected = Buffer.from(headMac(chainKey, head));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
