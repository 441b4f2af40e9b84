// IP restrictions per directory group, one per group name (compared in lower case) in each account.
import type { Insertable } from 'kysely';
import type { Executor } from './transaction.js';
import type { GroupRestrictionRow, GroupRestrictionsTable } from './schema.js';

/** Group names are compared ignoring case, like directories compare them. */
export function groupKey(name: string): string {
  return name.toLowerCase();
}

export function findGroupRestriction(db: Executor, accountId: number, group: string): Promise<GroupRestrictionRow | undefined> {
  return db.selectFrom('group_restrictions').selectAll().where('account_id', '=', accountId).where('group_key', '=', groupKey(group)).executeTakeFirst();
}

export function listGroupRestrictions(db: Executor, accountId: number): Promise<GroupRestrictionRow[]> {
  return db.selectFrom('group_restrictions').selectAll().where('account_id', '=', accountId).orderBy('group_key').execute();
}

/** The account's restrictions for any of these groups (a user's groups). */
export async function groupRestrictionsFor(db: Executor, accountId: number, groups: string[]): Promise<GroupRestrictionRow[]> {
  if (groups.length === 0) return [];
  const keys = [...new Set(groups.map(groupKey))];
  return db.selectFrom('group_restrictions').selectAll().where('account_id', '=', accountId).where('group_key', 'in', keys).orderBy('group_key').execute();
}

/** Creates or replaces the group's restriction (the name's spelling is the latest one given). */
export async function saveGroupRestriction(db: Executor, row: Omit<Insertable<GroupRestrictionsTable>, 'group_key'>): Promise<void> {
  await db
    .insertInto('group_restrictions')
    .values({ ...row, group_key: groupKey(row.group_name) })
    .onConflict((oc) => oc.columns(['account_id', 'group_key']).doUpdateSet({ group_name: row.group_name, restriction: row.restriction, updated_at: row.updated_at }))
    .execute();
}

export async function deleteGroupRestriction(db: Executor, accountId: number, group: string): Promise<boolean> {
  const deleted = await db.deleteFrom('group_restrictions').where('account_id', '=', accountId).where('group_key', '=', groupKey(group)).returning('id').executeTakeFirst();
  return deleted !== undefined;
}

/** How many of the account's users carry each group (keyed by groupKey), for the lists that show groups. */
export async function groupMemberCounts(db: Executor, accountId: number): Promise<Map<string, { name: string; members: number }>> {
  const rows = await db
    .selectFrom('user_groups')
    .innerJoin('users', 'users.id', 'user_groups.user_id')
    .select(['user_groups.group_name', (eb) => eb.fn.countAll<number | string | bigint>().as('members')])
    .where('users.account_id', '=', accountId)
    .groupBy('user_groups.group_name')
    .orderBy('user_groups.group_name')
    .execute();
  const counts = new Map<string, { name: string; members: number }>();
  for (const row of rows) {
    const key = groupKey(row.group_name);
    const known = counts.get(key);
    counts.set(key, { name: known?.name ?? row.group_name, members: (known?.members ?? 0) + Number(row.members) });
  }
  return counts;
}
