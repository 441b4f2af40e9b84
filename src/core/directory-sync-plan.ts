// What a directory sync would change, as a pure function of what the directory says and what otpgate holds,
// and the safety limit that stops a sync from disabling a large part of the users at once. It never plans a
// deletion and knows nothing of tokens: a sync creates, updates, disables and re-enables users, no more.
import { usernameKey } from './username.js';

export interface SyncPerson {
  username: string;
  dn: string;
  displayName: string | null;
  email: string | null;
  groups: string[];
  disabled: boolean;
}

export interface SyncUser {
  id: number;
  username: string;
  /** In the account being synced (false: a user of another account holds the name). */
  inAccount: boolean;
  source: 'local' | 'directory';
  dn: string | null;
  displayName: string;
  email: string | null;
  groups: string[];
  disabled: boolean;
  /** Disabled by a sync (not by an administrator): a later sync may enable them again. */
  disabledBySync: boolean;
}

export interface SyncChange {
  displayName?: string;
  email?: string | null;
  groups?: string[];
  dn?: string;
}

export type DisableReason = 'gone_from_directory' | 'disabled_in_directory';

export interface SyncPlan {
  create: SyncPerson[];
  update: { userId: number; username: string; changes: SyncChange }[];
  disable: { userId: number; username: string; reason: DisableReason }[];
  /** Users a sync disabled earlier who are back (enabled) in the directory. */
  enable: { userId: number; username: string }[];
  /** People not acted on, and why (a local user or another account's user has the name, a duplicate…). */
  skipped: { username: string; reason: string }[];
  /** The account's directory users before the sync: the base of the safety limit's share. */
  directoryUsers: number;
  /** Of those, the ones not disabled yet. */
  enabledDirectoryUsers: number;
  /** How many people the directory listed. */
  peopleFound: number;
}

/** More than this many disables, and more than this share of the directory users, needs --force. */
export const SAFETY_LIMIT = { maxDisables: 10, maxShare: 0.1 } as const;

export const SYNC_DISABLE_PREFIX = 'directory sync: ';

/** A person and a user are the same name by the installation's canonical key. */
const key = usernameKey;

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** `users`: the account's directory users, plus any user (of any account) whose name a person has. */
export function planDirectorySync(people: SyncPerson[], users: SyncUser[]): SyncPlan {
  const plan: SyncPlan = { create: [], update: [], disable: [], enable: [], skipped: [], directoryUsers: 0, enabledDirectoryUsers: 0, peopleFound: people.length };
  const byKey = new Map(users.map((u) => [key(u.username), u]));
  plan.directoryUsers = users.filter((u) => u.inAccount && u.source === 'directory').length;
  plan.enabledDirectoryUsers = users.filter((u) => u.inAccount && u.source === 'directory' && !u.disabled).length;

  const seen = new Map<string, number>();
  for (const person of people) seen.set(key(person.username), (seen.get(key(person.username)) ?? 0) + 1);

  for (const person of people) {
    const k = key(person.username);
    // Two entries with one username: which is the person? Neither is acted on (nor counted as gone).
    if ((seen.get(k) ?? 0) > 1) {
      plan.skipped.push({ username: person.username, reason: 'several directory entries have this username' });
      continue;
    }
    const user = byKey.get(k);
    if (!user) {
      if (person.disabled) plan.skipped.push({ username: person.username, reason: 'disabled in the directory: not created' });
      else plan.create.push(person);
      continue;
    }
    if (!user.inAccount) {
      plan.skipped.push({ username: person.username, reason: 'a user of another account has this name' });
      continue;
    }
    if (user.source !== 'directory') {
      plan.skipped.push({ username: person.username, reason: 'a local user has this name' });
      continue;
    }
    const changes: SyncChange = {};
    const displayName = (person.displayName ?? person.username).slice(0, 200);
    if (displayName !== user.displayName) changes.displayName = displayName;
    if (person.email !== user.email) changes.email = person.email;
    if (!sameList(person.groups, user.groups)) changes.groups = person.groups;
    if (person.dn !== user.dn) changes.dn = person.dn;
    if (Object.keys(changes).length > 0) plan.update.push({ userId: user.id, username: user.username, changes });
    if (person.disabled && !user.disabled) plan.disable.push({ userId: user.id, username: user.username, reason: 'disabled_in_directory' });
    if (!person.disabled && user.disabled && user.disabledBySync) plan.enable.push({ userId: user.id, username: user.username });
  }

  for (const user of users) {
    if (!user.inAccount || user.source !== 'directory' || user.disabled) continue;
    if (!seen.has(key(user.username))) plan.disable.push({ userId: user.id, username: user.username, reason: 'gone_from_directory' });
  }
  return plan;
}

/**
 * The safety limit: a sync that would disable more than 10 users and more than 10% of the directory users
 * is refused unless forced. A directory that answers with half its people (a wrong base DN, a filter
 * changed by mistake, a replica mid-rebuild) must not lock out half the organisation. A directory that finds
 * nobody, or a sync that would disable every directory user, is refused too whatever the numbers: in a small
 * directory (10 users or fewer) the limit above never applies, and an empty answer would disable them all,
 * the only administrator included.
 */
export function safetyRefusal(plan: SyncPlan, force: boolean): string | null {
  const count = plan.disable.length;
  if (force) return null;
  const retry = 'nothing was applied. Check the directory settings (base DN, user filter), then run it again with --force if this is right';
  if (plan.peopleFound === 0) return `the directory found no people; ${retry}`;
  if (count > 0 && count >= plan.enabledDirectoryUsers) return `the sync would disable every directory user (${count} of ${plan.enabledDirectoryUsers} enabled); ${retry}`;
  if (count <= SAFETY_LIMIT.maxDisables || count <= plan.directoryUsers * SAFETY_LIMIT.maxShare) return null;
  return `the sync would disable ${count} of ${plan.directoryUsers} directory users (more than ${SAFETY_LIMIT.maxDisables} and more than ${SAFETY_LIMIT.maxShare * 100}%); nothing was applied. Check the directory settings, then run it again with --force if this is right`;
}
