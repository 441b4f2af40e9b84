// Which back-off counters a sign-in attempt feeds: the user's, and the end user's address when it is known.
import { canonicalAddress } from '../core/access-rule.js';
import { ADDRESS_THROTTLE, USER_THROTTLE, type ThrottlePolicy } from '../core/throttle.js';
import { usernameKey } from '../store/user-store.js';

/**
 * The per-user back-off key. It names the account the check ran in, so that another account's application
 * sending a name it does not have cannot slow down the user of that name here.
 */
export function userThrottleKey(accountId: number | null, username: string): string {
  return `user:${accountId ?? '*'}:${usernameKey(username)}`;
}

/**
 * The back-off keys of one attempt. The address's is kept per account that the check ran in (`addressScope`:
 * an API key's account; null, the whole installation, for a sign-in without one, such as the console's).
 */
export function throttleKeys(accountId: number | null, username: string, endUserIp: string | null, addressScope: number | null = accountId): { key: string; policy: ThrottlePolicy }[] {
  const keys = [{ key: userThrottleKey(accountId, username), policy: USER_THROTTLE }];
  // One address, one key: `::ffff:192.0.2.1` is 192.0.2.1 and `2001:DB8:0::1` is 2001:db8::1, so that
  // spelling an address differently does not start a fresh back-off. Per account, as the user's: another
  // tenant's application cannot throttle an address here (it names end-user addresses it chooses), and the
  // row is written only by the account's own sign-ins (no installation-wide row in the sign-in write).
  // The address's text is canonical already when it comes from the HTTP server or RADIUS; the memo
  // (core/access-rule.ts) makes that a look-up, not a second parse, while a caller's other spelling
  // (the CLI's --ip) is still made canonical here.
  if (endUserIp) keys.push({ key: `ip:${addressScope ?? '*'}:${canonicalAddress(endUserIp) ?? endUserIp}`, policy: ADDRESS_THROTTLE });
  return keys;
}
