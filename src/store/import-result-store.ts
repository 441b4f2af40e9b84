// The console's import results (migration 0016): written after an upload or an "Import now", read by the
// result page, their sealed upload taken once by "Import now". Expired rows are deleted as new ones come.
import type { Executor } from './transaction.js';
import type { ImportResultRow } from './schema.js';

/** Stores a result, and deletes every expired one. */
export async function putImportResult(db: Executor, row: ImportResultRow, now: number): Promise<void> {
  await db.deleteFrom('import_results').where('expires_at', '<=', now).execute();
  await db.insertInto('import_results').values(row).execute();
}

/** The unexpired result by its id hash, in its account (the caller compares the binding). */
export function findImportResult(db: Executor, accountId: number, idHash: string, now: number): Promise<ImportResultRow | undefined> {
  return db.selectFrom('import_results').selectAll().where('id_hash', '=', idHash).where('account_id', '=', accountId).where('expires_at', '>', now).executeTakeFirst();
}

/** Takes a result's sealed upload (one use): false when another request took it first or none is left. */
export async function takeImportUpload(db: Executor, idHash: string, createdAt: number): Promise<boolean> {
  const result = await db.updateTable('import_results').set({ upload_sealed: null }).where('id_hash', '=', idHash).where('created_at', '=', createdAt).where('upload_sealed', 'is not', null).executeTakeFirst();
  return result.numUpdatedRows === 1n;
}
