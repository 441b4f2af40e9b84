// One canonical username (issue 24, finding 1): username_key was the name in lower case, so " lina", "LINA "
// and the fullwidth "ｌｉｎａ" were other users to otpgate while a directory matched them all to lina. The key
// becomes the canonical form of core/username.ts (trimmed, NFKC, case-folded, NFKC), recomputed here for every
// user and every pending RADIUS challenge. Two users whose names become one key cannot both keep it: the
// migration then changes nothing and names them, and the operator deletes or renames one with the older
// version before upgrading.
//
// Issue 24, finding 2: `directories.shared` marks the one directory the operator lets a sign-in without an
// account (console, `otpgate check`) reach for a name no user has yet; 0 for every existing directory.
import { sql, type Kysely, type Migration } from 'kysely';

/**
 * core/username.ts's key as of this migration, written out on purpose: a migration is a snapshot of its
 * moment, and a later change of the rule needs a migration of its own.
 */
function canonicalKey(username: string): string {
  return username.trim().normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

interface NameRow {
  id: number | string;
  username: string;
  username_key: string;
}

/** The users whose names share one canonical key, as `"a" and "b" (key "k")`; empty when there are none. */
function collisions(users: NameRow[]): string[] {
  const byKey = new Map<string, string[]>();
  for (const user of users) {
    const key = canonicalKey(user.username);
    byKey.set(key, [...(byKey.get(key) ?? []), user.username]);
  }
  return [...byKey].filter(([, names]) => names.length > 1).map(([key, names]) => `${names.map((n) => JSON.stringify(n)).join(' and ')} (one name: ${JSON.stringify(key)})`);
}

export function canonicalUsernameSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const users = (await sql<NameRow>`select id, username, username_key from users order by id`.execute(db)).rows;
      const clashes = collisions(users);
      if (clashes.length > 0) {
        throw new Error(
          `migration 0008: usernames are now one user whatever their case, width or surrounding spaces, and these users would be one: ${clashes.join('; ')}. ` +
            'Nothing was changed. Delete or rename all but one of each (with the otpgate version you run now), then upgrade again.',
        );
      }
      const changed = users.filter((u) => canonicalKey(u.username) !== u.username_key);
      // Two passes: a key may move to one that another row still holds until its own update.
      for (const user of changed) await sql`update users set username_key = ${`\u0001${String(user.id)}`} where id = ${user.id}`.execute(db);
      for (const user of changed) await sql`update users set username_key = ${canonicalKey(user.username)} where id = ${user.id}`.execute(db);
      const challenges = (await sql<{ state_hash: string; username_key: string }>`select state_hash, username_key from radius_challenges`.execute(db)).rows;
      for (const c of challenges) {
        if (canonicalKey(c.username_key) !== c.username_key) await sql`update radius_challenges set username_key = ${canonicalKey(c.username_key)} where state_hash = ${c.state_hash}`.execute(db);
      }
      await db.schema.alterTable('directories').addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<unknown>) {
      // The lower-case key of before; a canonical key that differed (NFKC, "ß") goes back to the name's lower case.
      const users = (await sql<NameRow>`select id, username, username_key from users order by id`.execute(db)).rows;
      for (const user of users) await sql`update users set username_key = ${user.username.toLowerCase()} where id = ${user.id}`.execute(db);
      await db.schema.alterTable('directories').dropColumn('shared').execute();
    },
  };
}
