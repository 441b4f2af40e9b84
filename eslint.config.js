import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers' edges (docs/architecture.md). Each entry: which files, what they may not import, and why.
const IO_AND_FRAMEWORKS = ['node:fs', 'node:fs/*', 'node:net', 'node:dgram', 'node:http', 'node:https', 'node:child_process', 'node:os', 'node:worker_threads'];
const FRAMEWORKS = ['fastify', '@fastify/*', 'eta', 'pino', 'saxes'];
const ENGINES = ['kysely', 'pg', 'better-sqlite3'];
const layer = (files, patterns, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }] },
});
const layerTypesAllowed = (files, patterns, message) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: patterns, message, allowTypeImports: true }] }] },
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'test-output/', 'bench/*.mjs', 'scripts/'] },
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
  layer(
    ['src/core/**/*.ts'],
    [...IO_AND_FRAMEWORKS, ...FRAMEWORKS, ...ENGINES, 'oidc-provider', '**/store/*', '**/store/**', '**/services/*', '**/http/**', '**/console/*', '**/cli/**', '**/radius/*', '**/oidc/*', '**/runtime/*', '**/import/**'],
    'core/ is pure: no I/O, no framework, no database, no other layer (docs/architecture.md)',
  ),
  layerTypesAllowed(
    ['src/services/**/*.ts'],
    [...ENGINES, 'fastify', '@fastify/*', 'eta', 'oidc-provider', '**/http/**', '**/console/*', '**/cli/**', '**/radius/*', '**/oidc/*'],
    'services/ reach the database only through store/ functions and know no adapter (docs/architecture.md)',
  ),
  layer(
    ['src/http/**/*.ts', 'src/console/**/*.ts', 'src/cli/**/*.ts', 'src/radius/**/*.ts', 'src/oidc/**/*.ts'],
    [...ENGINES, '**/store/*', '**/store/**'],
    'adapters go through services/, never the store or a database driver (docs/architecture.md)',
  ),
  layer(
    ['src/console/**/*.ts'],
    [...ENGINES, '**/store/*', '**/store/**', '**/http/*', '**/http/**'],
    'the console is an adapter over services/ and a plugin that the HTTP app registers: no store, no http/ (docs/architecture.md)',
  ),
  layer(['src/store/**/*.ts'], ['fastify', '@fastify/*', 'eta', 'oidc-provider', '**/services/*', '**/http/**', '**/console/*', '**/cli/**', '**/radius/*', '**/oidc/*'], 'store/ knows no service or adapter (docs/architecture.md)'),
  layer(
    ['src/oidc/**/*.ts'],
    [...ENGINES, '**/store/*', '**/store/**', '**/http/*', '**/http/**', '**/console/*', '**/cli/**', '**/radius/*'],
    'oidc/ is an adapter over services/ (the provider and its storage glue), registered by the HTTP app: no store, no other adapter (docs/architecture.md)',
  ),
  {
    files: ['**/*.js', 'docs/examples/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
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
