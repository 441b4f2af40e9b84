// RADIUS clients: the network devices (VPN concentrators, firewalls) allowed to send Access-Requests.
// The shared secret is stored sealed; this file only moves rows.
import type { Executor } from './transaction.js';
import type { RadiusClientRow, RadiusClientsTable } from './schema.js';
import type { Insertable } from 'kysely';

export function listRadiusClients(db: Executor, accountId: number): Promise<RadiusClientRow[]> {
  return db.selectFrom('radius_clients').selectAll().where('account_id', '=', accountId).orderBy('name').execute();
}

/** Every account's clients: the RADIUS front end matches a packet's source address against all of them. */
export function listAllRadiusClients(db: Executor): Promise<RadiusClientRow[]> {
  return db.selectFrom('radius_clients').selectAll().execute();
}

export function findRadiusClientByName(db: Executor, name: string): Promise<RadiusClientRow | undefined> {
  return db.selectFrom('radius_clients').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function insertRadiusClient(db: Executor, row: Insertable<RadiusClientsTable>): Promise<number> {
  const inserted = await db.insertInto('radius_clients').values(row).returning('id').executeTakeFirstOrThrow();
  return Number(inserted.id);
}

export async function deleteRadiusClient(db: Executor, accountId: number, name: string): Promise<number | null> {
  const row = await db.deleteFrom('radius_clients').where('account_id', '=', accountId).where('name', '=', name).returning('id').executeTakeFirst();
  return row ? Number(row.id) : null;
}
