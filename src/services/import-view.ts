// What adapters show of a seed-file import: the report of an accepted file (a refused one is the error
// import_refused). A TypeBox schema (the API answers with it, services/views.ts says why); its TypeScript type
// derives from it.
import { Type, type Static } from '@sinclair/typebox';
import { IMPORT_FORMATS } from '../core/import-format.js';
import { oneOf } from './views.js';

export const ImportReportSchema = Type.Object({
  format: oneOf(IMPORT_FORMATS),
  dryRun: Type.Boolean(),
  read: Type.Integer({ description: 'Keys read from the file, usable or not' }),
  imported: Type.Integer({ description: 'Keys written; in a dry run, the keys that would be written' }),
  skipped: Type.Array(Type.Object({ serial: Type.Union([Type.String(), Type.Null()]), source: Type.String(), reason: Type.String() }), {
    description: 'Keys not imported, each with its serial and reason (already known, or not usable)',
  }),
  rejected: Type.Integer({ description: 'Always 0: a refused file is the error import_refused, and imports nothing' }),
});
export type ImportReport = Static<typeof ImportReportSchema>;
