import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers' edges: for each folder of src/, the other folders of src/ it may import (values and types
 * alike). Every folder is listed; an import of any folder not listed for it is a lint error. docs/architecture.md
 * shows the same table (test/architecture/layers.test.ts checks both, and plants each forbidden edge).
 */
export const MAY_IMPORT = {
  core: [],
  crypto: [],
  import: ['core', 'crypto'],
  store: ['core'],
  directory: ['core'],
  notify: ['core'],
  services: ['core', 'crypto', 'import', 'store', 'directory', 'notify'],
  web: ['core', 'services'],
  console: ['core', 'services', 'web'],
  oidc: ['services', 'web'],
  http: ['core', 'services', 'web', 'console', 'oidc'],
  radius: ['core', 'services'],
  cli: ['core', 'services', 'runtime'],
  runtime: ['core', 'crypto', 'import', 'store', 'directory', 'notify', 'services', 'web', 'console', 'oidc', 'http', 'radius'],
};
const FOLDERS = Object.keys(MAY_IMPORT);

// Packages a folder may not use, beside the folder table.
const IO_AND_FRAMEWORKS = ['node:fs', 'node:fs/*', 'node:net', 'node:dgram', 'node:http', 'node:https', 'node:child_process', 'node:os', 'node:worker_threads'];
const FRAMEWORKS = ['fastify', '@fastify/*', 'eta', 'pino', 'saxes'];
const ENGINES = ['kysely', 'pg', 'better-sqlite3'];
const WEB = ['fastify', '@fastify/*', 'eta'];
const PACKAGES = {
  core: { group: [...IO_AND_FRAMEWORKS, ...FRAMEWORKS, ...ENGINES, 'oidc-provider'], why: 'core/ is pure: no I/O, no framework, no database' },
  // Kysely's types describe the handle services carry; its values (and the drivers) stay in store/. TypeBox is
  // allowed: a schema library, no I/O, in which services declare the views they show (services/views.ts).
  services: { group: [...ENGINES, ...WEB, 'oidc-provider'], why: 'services/ reach the database only through store/ functions and know no web framework', allowTypeImports: true },
  store: { group: [...WEB, 'oidc-provider'], why: 'store/ knows no web framework' },
  ...Object.fromEntries(['web', 'console', 'oidc', 'http', 'radius', 'cli'].map((adapter) => [adapter, { group: ENGINES, why: `${adapter}/ is an adapter: the database only through services/` }])),
};

/** The no-restricted-imports rule of one folder: every folder it may not import, and its forbidden packages. */
function layer(folder) {
  const forbidden = FOLDERS.filter((other) => other !== folder && !MAY_IMPORT[folder].includes(other));
  const patterns = [];
  if (forbidden.length > 0) {
    const allowed = MAY_IMPORT[folder].length > 0 ? MAY_IMPORT[folder].map((f) => `${f}/`).join(', ') : 'no other folder';
    patterns.push({ group: forbidden.flatMap((f) => [`**/${f}/*`, `**/${f}/**`]), message: `${folder}/ may import ${allowed} (eslint.config.js MAY_IMPORT, docs/architecture.md)` });
  }
  const packages = PACKAGES[folder];
  if (packages) patterns.push({ group: packages.group, message: `${packages.why} (docs/architecture.md)`, ...(packages.allowTypeImports ? { allowTypeImports: true } : {}) });
  return { files: [`src/${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

// The globals of Node scripts (bin/, bench/, scripts/, docs/examples/), which are linted as plain JavaScript.
const NODE_GLOBALS = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'structuredClone', 'performance', 'fetch', 'AbortController', 'AbortSignal', 'TextEncoder', 'TextDecoder', 'globalThis'].map((name) => [name, 'readonly']),
);

/** Building a query is the store's alone: outside src/store/ these are lint errors. */
const QUERY_BUILDING = [
  { selector: "CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)$/]", message: 'queries live in src/store/ (docs/architecture.md): call a store function' },
  { selector: "TaggedTemplateExpression[tag.name='sql']", message: 'SQL lives in src/store/ (docs/architecture.md): call a store function' },
  { selector: "CallExpression[callee.object.name='sql']", message: 'SQL lives in src/store/ (docs/architecture.md): call a store function' },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'docs/examples/*.mjs'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Fastify plugins and hooks are async functions by contract, whether or not they await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  ...FOLDERS.map(layer),
  { files: ['src/**/*.ts'], ignores: ['src/store/**'], rules: { 'no-restricted-syntax': ['error', ...QUERY_BUILDING] } },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: NODE_GLOBALS, parserOptions: { projectService: false, project: false } },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
