// The audit log's chain: each event carries an HMAC, under a key derived from the master key, of the
// previous event's chain value and this event's fields. Editing, deleting or reordering events breaks the
// chain, and it cannot be recomputed without the master key (`otpgate audit verify`). Pure: no I/O.
import { createHmac } from 'node:crypto';

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
