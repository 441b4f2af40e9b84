// Property: secrets (passcodes, session CSRF tokens, password hashes, the master key check, API key hashes,
// RADIUS authenticators, PSKC MACs) are compared only in constant time. A structural test: the modules that
// compare them are read as TypeScript, and none may compare two values with ===, !==, == or != (or with
// Buffer#equals / Buffer.compare), unless one side is plainly not a secret (a literal, a length, a typeof,
// a constant) or the comparison is listed below with the reason it is harmless. A mutant that puts `===`
// back where timingSafeEqual was fails here; a behavioural test cannot see it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import ts from 'typescript';

/** The modules that compare secrets (paths from the repository root). */
const SECRET_MODULES = [
  'src/core/passcode.ts', // passcodes: passcodeComparer, used by every HOTP/TOTP window search
  'src/core/otp-window.ts', // the window searches that call it
  'src/services/session-service.ts', // session CSRF tokens (csrfTokensEqual) and the pre-session pair
  'src/console/forms.ts', // the console's CSRF check (hasSessionCsrf)
  'src/http/api/index.ts', // X-CSRF-Token for console sessions calling the API
  'src/services/api-key-service.ts', // API keys, found by hash
  'src/crypto/password-hash.ts', // password hashes
  'src/crypto/master-key.ts', // the master key's check value
  'src/radius/radius-auth.ts', // RADIUS authenticators and Message-Authenticator
  'src/import/pskc/pskc-crypto.ts', // PSKC value MACs
];

/** Comparisons in those modules that involve no secret, by module: the exact source text, and why. */
const HARMLESS: Record<string, Record<string, string>> = {
  'src/services/api-key-service.ts': {
    'k.name === name': 'key names are not secret',
    'removals !== this.#removals': 'a counter of removals, not a key',
    'principal.accountId === account.id': 'account ids are not secret',
    'principal.name === name': 'key names are not secret',
  },
};

const EQUALITY = new Set([ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken]);

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

/** The comparisons in `source` that could be a non-constant-time comparison of secrets, as "line: text". */
function suspectComparisons(source: string, harmless: Record<string, string> = {}): string[] {
  const file = ts.createSourceFile('module.ts', source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const report = (node: ts.Node) => {
    const text = node.getText(file);
    if (!(text in harmless)) found.push(`${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: ${text}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind) && !plainlyPublic(node.left) && !plainlyPublic(node.right)) report(node);
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ['equals', 'compare', 'localeCompare'].includes(node.expression.name.text) && !node.arguments.some(plainlyPublic)) report(node);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('secret comparisons', () => {
  for (const path of SECRET_MODULES) {
    it(`${path} compares no secret with ===, !==, equals or compare`, () => {
      const source = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
      assert.deepEqual(suspectComparisons(source, HARMLESS[path]), []);
    });
  }

  it('every listed harmless comparison is still in its module (the list does not go stale)', () => {
    for (const [path, entries] of Object.entries(HARMLESS)) {
      const all = suspectComparisons(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')).map((line) => line.replace(/^\d+: /, ''));
      for (const text of Object.keys(entries)) assert.ok(all.includes(text), `${path}: "${text}" is no longer there`);
    }
  });

  it('finds the comparisons a careless edit would write', () => {
    const planted = [
      'return expected === candidate;',
      'if (given !== token) return false;',
      'return a == b;',
      'return computed.equals(expected);',
      'return Buffer.compare(mine, stored) === 0;',
      'return hmac.toString("hex") === mac.toString("hex");',
    ];
    for (const line of planted) assert.equal(suspectComparisons(line).length, 1, line);
    for (const line of ['return a.length === b.length;', 'return iv.equals(RFC3394_IV);', "if (typeof given !== 'string') return false;", 'if (x === null) return;', 'return mode === MODE_ONE;', 'return type === AttributeType.UserName;']) {
      assert.deepEqual(suspectComparisons(line), [], line);
    }
  });
});
