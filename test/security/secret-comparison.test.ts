// Property: secrets (passcodes, temporary codes, session CSRF tokens, password hashes, the master key check,
// API key hashes, the metrics token, RADIUS authenticators, PSKC MACs, webhook signatures in the receiver
// example) are compared only in constant time. A structural test: every module under src/ (and the example in
// docs/examples) is read as TypeScript, and the modules that handle secrets are FOUND, not listed by hand:
//   - a module that imports node:crypto or src/crypto/, or imports or declares a name that marks a secret
//     (`csrfTokensEqual`, `tempCodeMatches`, `MasterKey`, `secretsEqual`), may not compare two values with
//     ===, !==, == or != (or Buffer#equals / Buffer.compare) at all, unless one side is plainly not a secret
//     (a literal, a length, a typeof, a constant) or the comparison is listed below with the reason it is
//     harmless;
//   - any other module may not compare a value whose name marks a secret (`storedHash`, `client_secret`,
//     `metricsToken`, `expectedSignature`) that way.
// A mutant that puts `===` back where timingSafeEqual was fails here; a behavioural test cannot see it. A new
// module that compares secrets (an OIDC client secret, say) is found by the same rules.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = new URL('../../', import.meta.url);

/** Where modules are looked for (from the repository root), and which files are modules. */
const FOLDERS = ['src', 'docs/examples'];
const MODULE_FILE = /(?<!\.d)\.(ts|mts|mjs|js)$/;

/**
 * The words that mark a name as a secret, as whole words of a camelCase or snake_case name, plurals too
 * (`storedHash`, `expected_mac`, `clientSecrets`, `apiKey`, `metricsToken`): a token record or a group key is
 * no secret, its seed or a session's token is.
 */
const SECRET_NAME = wordPattern([
  'secret', 'password', 'passphrase', 'passcode', 'hash', 'digest', 'hmac', 'mac', 'signature', 'csrf', 'authenticator', 'credential', 'bearer', 'nonce', 'verifier',
  'api key', 'temp code', 'master key', 'check value', 'chain key', 'metrics token', 'csrf token', 'session token', 'access token', 'refresh token', 'id token', 'bearer token', 'authorization code',
]);

/** The words that, with a secret's, name a comparer of secrets (`secretsEqual`, `verifyClientSecret`). */
const COMPARER_NAME = wordPattern(['equal', 'match', 'compare', 'comparer', 'same', 'verify']);

/** Comparisons in secret modules that involve no secret, by module: the exact source text, and why. */
const HARMLESS: Record<string, Record<string, string>> = {
  'src/services/api-key-service.ts': {
    'k.name === name': 'key names are not secret',
    'removals !== this.#removals': 'a counter of removals, not a key',
    'principal.accountId === account.id': 'account ids are not secret',
    'principal.name === name': 'key names are not secret',
  },
  'src/services/sealed-secrets.ts': {
    'kept.key === masterKey.keyFor(KINDS.token.purpose)': 'the same key object (reference identity), not its bytes',
    'kept.owner === owner': "a token's owner (account and serial) is not secret",
    'kept.sealed.equals(token.secret_sealed)': 'sealed values are ciphertext, stored as they are in the database',
  },
  'src/services/directory-service.ts': {
    'i !== trimmed.length - 1': 'a position in a DN',
    'Number(user.account_id) !== accountId': 'account ids are not secret',
    "stored.join('\\n') !== groups.join('\\n')": "a user's group names are not secret",
    'changes.display_name !== user.display_name': 'directory attributes are not secret',
    'changes.email !== user.email': 'directory attributes are not secret',
    'changes.dn !== user.dn': 'directory attributes are not secret',
    'existing.url !== url': "a directory's address is not secret",
    'existing.bind_dn !== bindDn': "a directory's bind DN is not secret",
    'existing[column] === row[column]': "a directory's settings that decide who is found (URL, DNs, filter, attribute names, TLS, CA): the bind password is not among the columns compared",
  },
  'src/directory/ldap-directory.ts': {
    'key.toLowerCase() === wanted': 'an LDAP attribute name',
  },
  'src/services/notification-service.ts': {
    'w.name === webhookName': 'webhook names are not secret',
  },
  'src/core/notifications.ts': {
    'network.kind() === address.kind()': 'an address family',
  },
  'src/services/sign-in-service.ts': {
    'subject.user.account_id !== accountId': 'account ids are not secret',
    't.digits === digits': "a token's number of digits is not secret",
  },
  'src/services/oidc-service.ts': {
    'Number(user.account_id) !== Number(row.account_id)': 'account ids are not secret',
  },
  'src/oidc/plugin.ts': {
    '(await oidc.keySetVersion()) !== current.version': 'a fingerprint of public key ids and their status, not key material',
    'Number(session.user.account_id) === accountId': 'account ids are not secret',
  },
  'src/runtime/backup.ts': {
    'known[i] !== name': 'migration names are not secret',
  },
  'src/store/sqlite/sqlite-backup.ts': {
    'written.ino !== fstatSync(fd).ino': 'file inode numbers are not secret',
    'o.name === name': 'schema object names are not secret',
  },
  'src/services/token-service.ts': {
    'holder.account_id === account.id': 'account ids are not secret',
    't.label === label': "a token's label is not secret",
  },
  'src/services/user-service.ts': {
    'user.account_id !== account.id': 'account ids are not secret',
    'changes.disabled !== (user.disabled_at !== null)': 'whether a user is disabled',
    'set.role !== user.role': 'roles are not secret',
  },
  'src/store/audit-log.ts': {
    'chainValue(chainKey, previous, fields) !== chain': 'the audit chain is verified over stored values, by the operator: no one times it with values of their choosing',
    'walked.events !== head.events': 'event counts are not secret',
    'walked.last.previous !== head.head': 'chain values are stored in the clear and checked by the operator',
    'head.anchorChain !== genesisOf(head)': 'chain values are stored in the clear and checked by the operator',
    'expected.afterId !== head.anchorId': 'event ids are not secret',
    'expected.previous !== head.anchorChain': 'chain values are stored in the clear and checked by the operator',
    'h.id === id': 'chain ids are not secret',
    'chains.get(cut.chainId)!.anchorId !== cut.afterId': 'event ids are not secret',
    'changes !== cut.events': 'event counts are not secret',
  },
  'src/radius/radius-server.ts': {
    'replies.get(key) === entry': 'the same cache entry (reference identity)',
  },
  'src/services/bulk-associate.ts': {
    'user.account_id !== account.id': 'account ids are not secret',
  },
};

/** The modules known to compare secrets: the rules above must keep finding them (a floor, not the list). */
const KNOWN_SECRET_MODULES = [
  'src/core/passcode.ts', // passcodes: passcodeComparer, used by every HOTP/TOTP window search
  'src/core/otp-window.ts', // the window searches that call it
  'src/core/temp-code.ts', // temporary codes: tempCodeMatches
  'src/services/session-service.ts', // session CSRF tokens (csrfTokensEqual) and the pre-session pair
  'src/console/forms.ts', // the console's CSRF check (hasSessionCsrf)
  'src/http/api/index.ts', // X-CSRF-Token for console sessions calling the API
  'src/http/app.ts', // the metrics token: secretsEqual
  'src/services/api-key-service.ts', // API keys, found by hash
  'src/crypto/password-hash.ts', // password hashes
  'src/crypto/master-key.ts', // the master key's check value
  'src/radius/radius-auth.ts', // RADIUS authenticators and Message-Authenticator
  'src/import/pskc/pskc-crypto.ts', // PSKC value MACs
  'docs/examples/verify-webhook.mjs', // the receiver's check of a webhook signature
];

const EQUALITY = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken]);
const COMPARING_METHODS = new Set(['equals', 'compare', 'localeCompare']);

/** The words of an identifier: `tempCodeHash` → temp, code, hash; `client_secret` → client, secret. */
function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** A pattern matching a name whose words contain one of these (a word, or words in a row), plurals too. */
function wordPattern(words: string[]): RegExp {
  return new RegExp(`(^| )(${words.join('|')})(e?s)?( |$)`);
}

function namesSecret(name: string): boolean {
  return SECRET_NAME.test(wordsOf(name).join(' '));
}

/** Whether any name in the expression marks a secret (`a.storedHash`, `tempCodeHash(key, code)`, `x['client_secret']`). */
function mentionsSecret(node: ts.Node): boolean {
  if ((ts.isIdentifier(node) || ts.isPrivateIdentifier(node) || ts.isStringLiteral(node)) && namesSecret(node.text)) return true;
  return ts.forEachChild(node, mentionsSecret) ?? false;
}

/** Plainly not a secret: a literal, a length, a typeof, a SCREAMING_CASE constant or an enum member. */
function plainlyPublic(node: ts.Expression): boolean {
  const e = ts.isParenthesizedExpression(node) ? node.expression : node;
  if (ts.isLiteralExpression(e) || ts.isNoSubstitutionTemplateLiteral(e)) return true;
  if ([ts.SyntaxKind.NullKeyword, ts.SyntaxKind.TrueKeyword, ts.SyntaxKind.FalseKeyword].includes(e.kind)) return true;
  if (ts.isIdentifier(e) && (e.text === 'undefined' || /^[A-Z][A-Z0-9_]*$/.test(e.text))) return true;
  if (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand)) return true;
  if (ts.isTypeOfExpression(e)) return true;
  if (ts.isPropertyAccessExpression(e) && ['length', 'size', 'byteLength'].includes(e.name.text)) return true;
  if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && /^[A-Z]/.test(e.expression.text)) return true;
  return false;
}

function parse(source: string, name = 'module.ts'): ts.SourceFile {
  return ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true, /\.m?js$/.test(name) ? ts.ScriptKind.JS : ts.ScriptKind.TS);
}

/** The names a module imports or declares as functions, classes, methods or variables. */
function boundNames(file: ts.SourceFile): string[] {
  const names: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportSpecifier(node) || ts.isImportClause(node) || ts.isNamespaceImport(node)) && node.name) names.push(node.name.text);
    if ((ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isMethodDeclaration(node) || ts.isVariableDeclaration(node)) && node.name && ts.isIdentifier(node.name)) {
      names.push(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return names;
}

/** A comparer of secrets, by its name: `csrfTokensEqual`, `tempCodeMatches`, `passcodeComparer`, `verifyClientSecret`. */
function namesSecretComparer(name: string): boolean {
  return namesSecret(name) && COMPARER_NAME.test(wordsOf(name).join(' '));
}

/** Why a module handles secrets (so every comparison in it is checked), or null when nothing says it does. */
function handlesSecrets(file: ts.SourceFile): string | null {
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const from = statement.moduleSpecifier.text;
      if (from === 'node:crypto' || from === 'crypto' || /(^|\/)crypto\/[^/]+$/.test(from)) return `imports ${from}`;
    }
  }
  const comparer = boundNames(file).find(namesSecretComparer);
  return comparer === undefined ? null : `imports or declares ${comparer}`;
}

/**
 * The comparisons in `source` that could be a non-constant-time comparison of secrets, as "line: text": in a
 * module that handles secrets every comparison of two values, elsewhere those that mention a secret's name.
 */
function suspectComparisons(file: ts.SourceFile, harmless: Record<string, string> = {}): string[] {
  const strict = handlesSecrets(file) !== null;
  const found: string[] = [];
  const suspect = (node: ts.Node, operands: readonly ts.Expression[]) => {
    if (operands.some(plainlyPublic)) return;
    if (!strict && !operands.some(mentionsSecret)) return;
    const text = node.getText(file);
    if (!(text in harmless)) found.push(`${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: ${text}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind)) suspect(node, [node.left, node.right]);
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && COMPARING_METHODS.has(node.expression.name.text)) {
      const receiver = node.expression.expression;
      // Buffer.compare(a, b) compares its arguments; a.equals(b) its receiver and argument.
      suspect(node, ts.isIdentifier(receiver) && /^[A-Z]/.test(receiver.text) ? node.arguments : [receiver, ...node.arguments]);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function modulesUnder(folder: string): string[] {
  return readdirSync(new URL(folder, ROOT)).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(new URL(path, ROOT)).isDirectory()) return modulesUnder(path);
    return MODULE_FILE.test(name) ? [path] : [];
  });
}

const MODULES = new Map(FOLDERS.flatMap(modulesUnder).sort().map((path) => [path, parse(readFileSync(new URL(path, ROOT), 'utf8'), path)]));
const inModule = (path: string) => suspectComparisons(MODULES.get(path)!, HARMLESS[path]);
/** The findings in a few lines of code (a module of their own). */
const inSnippet = (source: string) => suspectComparisons(parse(source));

describe('secret comparisons', () => {
  it('finds the modules that handle secrets by what they import or name, among them every module known to compare one', () => {
    const found = [...MODULES].filter(([, file]) => handlesSecrets(file) !== null).map(([path]) => path);
    assert.deepEqual(KNOWN_SECRET_MODULES.filter((path) => !found.includes(path)), []);
  });

  for (const path of MODULES.keys()) {
    it(`${path} compares no secret with ===, !==, equals or compare`, () => {
      assert.deepEqual(inModule(path), []);
    });
  }

  it('every listed harmless comparison is still in its module (the list does not go stale)', () => {
    for (const [path, entries] of Object.entries(HARMLESS)) {
      const all = suspectComparisons(MODULES.get(path)!).map((line) => line.replace(/^\d+: /, ''));
      for (const text of Object.keys(entries)) assert.ok(all.includes(text), `${path}: "${text}" is no longer there`);
    }
  });

  it('finds the comparisons a careless edit would write, in a module that imports node:crypto', () => {
    const crypto = "import { createHmac } from 'node:crypto';\n";
    const planted = [
      'return expected === candidate;',
      'if (given !== token) return false;',
      'return a == b;',
      'return computed.equals(expected);',
      'return Buffer.compare(mine, stored) === 0;',
      'return hmac.toString("hex") === mac.toString("hex");',
    ];
    for (const line of planted) assert.equal(inSnippet(crypto + line).length, 1, line);
    for (const line of ['return a.length === b.length;', 'return iv.equals(RFC3394_IV);', "if (typeof given !== 'string') return false;", 'if (x === null) return;', 'return mode === MODE_ONE;', 'return type === AttributeType.UserName;']) {
      assert.deepEqual(inSnippet(crypto + line), [], line);
    }
  });

  it('finds a secret compared in a module that imports nothing of the kind, by the names it uses or declares', () => {
    // A future OIDC module: the client secret, the PKCE verifier, a state's nonce.
    assert.equal(inSnippet('if (body.client_secret !== client.secret) throw new Error("no");').length, 1);
    assert.equal(inSnippet('return clientSecret === given;').length, 1);
    assert.equal(inSnippet('return tempCodeHash(key, userId, code) === stored;').length, 1);
    assert.equal(inSnippet('return session.nonce === claims["nonce"];').length, 1);
    assert.equal(inSnippet('return expectedDigest.equals(d);').length, 1);
    // A function named for secrets: every comparison in its module is checked.
    assert.equal(inSnippet('function secretsEqual(given: string, expected: string) { return given === expected; }').length, 1);
    assert.equal(inSnippet('import { csrfTokensEqual } from "./session.js";\nif (a === b) x();').length, 1);
    // A module that names no secret: an ordinary comparison is no finding.
    assert.deepEqual(inSnippet('if (user.account_id !== account.id) throw new Error("x");\nreturn w.name === webhookName;'), []);
    assert.deepEqual(inSnippet('return u.username_key === usernameKey(name) && token.serial === serial;'), []);
  });
});
