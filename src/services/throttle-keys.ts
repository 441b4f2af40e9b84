// Which back-off counters a sign-in attempt feeds: the user's, and the end user's address when it is known.
import { ADDRESS_THROTTLE, USER_THROTTLE, type ThrottlePolicy } from '../core/throttle.js';
import { usernameKey } from '../store/user-store.js';

/**
 * The per-user back-off key. It names the account the check ran in, so that another account's application
 * sending a name it does not have cannot slow down the user of that name here.
 */
export function userThrottleKey(accountId: number | null, username: string): string {
  return `user:${accountId ?? '*'}:${usernameKey(username)}`;
}

export function throttleKeys(accountId: number | null, username: string, endUserIp: string | null): { key: string; policy: ThrottlePolicy }[] {
  const keys = [{ key: userThrottleKey(accountId, username), policy: USER_THROTTLE }];
  if (endUserIp) keys.push({ key: `ip:${endUserIp}`, policy: ADDRESS_THROTTLE });
  return keys;
}
