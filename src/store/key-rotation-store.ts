// A master-key rotation's writes: every sealed value in the database re-sealed, the audit chain's key kept
// sealed, and the key check replaced, in ONE transaction, so the database is never half under one key.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { inTransaction } from './transaction.js';

const PAGE = 1000;

export interface SealedToken {
  id: number;
  account_id: number;
  serial: string;
  seal_version: number;
  secret_sealed: Uint8Array;
}

/** How each kind of sealed value is opened under the old key and sealed under the new one. */
export interface Resealers {
  /** Returns the new sealed value and its seal version. */
  token(row: SealedToken): { sealed: Buffer; version: number };
  radiusClient(row: { name: string; secret_sealed: Uint8Array }): Buffer;
  directory(row: { account_id: number; bind_password_sealed: Uint8Array }): Buffer;
  webhook(row: { account_id: number; name: string; secret_sealed: Uint8Array }): Buffer;
  oidcClient(row: { client_id: string; secret_sealed: Uint8Array }): Buffer;
  oidcKey(row: { kid: string; private_sealed: Uint8Array }): Buffer;
  /** The audit chain key sealed under the new key (given its sealed form under the old one, if any). */
  auditChainKey(sealedBefore: string | undefined): string;
  /** The new key's check value. */
  keyCheck: string;
}

export interface ResealCounts {
  tokens: number;
  radiusClients: number;
  directories: number;
  webhooks: number;
  oidcClients: number;
  oidcKeys: number;
}

/** Pages through a table by id inside the transaction, replacing each row's sealed value. */
async function eachPage<R extends { id: number }>(read: (afterId: number) => Promise<R[]>, write: (row: R) => Promise<void>): Promise<number> {
  let afterId = 0;
  let count = 0;
  for (;;) {
    const page = await read(afterId);
    if (page.length === 0) return count;
    for (const row of page) await write(row);
    count += page.length;
    afterId = Number(page.at(-1)!.id);
  }
}

/** `beforeCommit` runs last inside the transaction (the new key file is put in place there). */
export async function resealEverything(db: Kysely<Database>, keyCheckKey: string, chainKeyKey: string, reseal: Resealers, beforeCommit: () => void): Promise<ResealCounts> {
  return inTransaction(db, async (trx) => {
    const tokens = await eachPage(
      (afterId) => trx.selectFrom('tokens').select(['id', 'account_id', 'serial', 'seal_version', 'secret_sealed']).where('id', '>', afterId).orderBy('id').limit(PAGE).execute(),
      async (row) => {
        const next = reseal.token({ ...row, id: Number(row.id), account_id: Number(row.account_id), seal_version: Number(row.seal_version) });
        await trx.updateTable('tokens').set({ secret_sealed: next.sealed, seal_version: next.version }).where('id', '=', row.id).execute();
      },
    );
    const radiusClients = await eachPage(
      (afterId) => trx.selectFrom('radius_clients').select(['id', 'name', 'secret_sealed']).where('id', '>', afterId).orderBy('id').limit(PAGE).execute(),
      async (row) => void (await trx.updateTable('radius_clients').set({ secret_sealed: reseal.radiusClient(row) }).where('id', '=', row.id).execute()),
    );
    const directories = await eachPage(
      (afterId) => trx.selectFrom('directories').select(['id', 'account_id', 'bind_password_sealed']).where('id', '>', afterId).orderBy('id').limit(PAGE).execute(),
      async (row) => void (await trx.updateTable('directories').set({ bind_password_sealed: reseal.directory({ ...row, account_id: Number(row.account_id) }) }).where('id', '=', row.id).execute()),
    );
    const webhooks = await eachPage(
      (afterId) => trx.selectFrom('webhooks').select(['id', 'account_id', 'name', 'secret_sealed']).where('id', '>', afterId).orderBy('id').limit(PAGE).execute(),
      async (row) => void (await trx.updateTable('webhooks').set({ secret_sealed: reseal.webhook({ ...row, account_id: Number(row.account_id) }) }).where('id', '=', row.id).execute()),
    );
    // The OpenID Provider's confidential client secrets and signing keys (few rows: no paging).
    const oidcClients = await trx.selectFrom('oidc_clients').select(['id', 'client_id', 'secret_sealed']).where('secret_sealed', 'is not', null).execute();
    for (const row of oidcClients) await trx.updateTable('oidc_clients').set({ secret_sealed: reseal.oidcClient({ client_id: row.client_id, secret_sealed: row.secret_sealed! }) }).where('id', '=', row.id).execute();
    // Pending authenticator-app enrolments (15 minutes at most) end: their users start again under the new key.
    await trx.deleteFrom('app_enrolments').execute();
    // So do the console's kept import uploads (15 minutes at most): the dry run is run again under the new key.
    await trx.deleteFrom('import_results').execute();
    const oidcKeys = await trx.selectFrom('oidc_keys').select(['kid', 'private_sealed']).execute();
    for (const row of oidcKeys) await trx.updateTable('oidc_keys').set({ private_sealed: reseal.oidcKey(row) }).where('kid', '=', row.kid).execute();
    const chain = await trx.selectFrom('meta').select('value').where('key', '=', chainKeyKey).executeTakeFirst();
    const sealedChainKey = reseal.auditChainKey(chain?.value);
    await trx.insertInto('meta').values({ key: chainKeyKey, value: sealedChainKey }).onConflict((oc) => oc.column('key').doUpdateSet({ value: sealedChainKey })).execute();
    await trx.updateTable('meta').set({ value: reseal.keyCheck }).where('key', '=', keyCheckKey).execute();
    beforeCommit();
    return { tokens, radiusClients, directories, webhooks, oidcClients: oidcClients.length, oidcKeys: oidcKeys.length };
  });
}
