// The seed-file formats an import reads, a value set every layer shares (`--format`, the API's and the console's `format` field).
export const IMPORT_FORMATS = ['csv', 'pskc'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
