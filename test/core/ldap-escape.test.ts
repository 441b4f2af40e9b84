// Property: a value typed by someone signing in cannot change the shape of an LDAP filter (RFC 4515 §3) or
// of a distinguished name (RFC 4514 §2.4): every metacharacter comes out escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { equalityFilter, escapeDnValue, escapeFilterValue, firstRdnValue, isAttributeName } from '../../src/core/ldap-escape.js';

test('RFC 4515: * ( ) \\ and NUL become \\2a \\28 \\29 \\5c \\00', () => {
  assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
  assert.equal(escapeFilterValue('a\\b'), 'a\\5cb');
  assert.equal(escapeFilterValue('nul\0byte'), 'nul\\00byte');
  assert.equal(escapeFilterValue('plain.user@example.org'), 'plain.user@example.org');
  assert.equal(escapeFilterValue('Jürgen'), 'Jürgen');
});

test('an equality filter built from a hostile username stays one equality assertion', () => {
  const filter = equalityFilter('uid', 'admin)(|(uid=*');
  assert.equal(filter, '(uid=admin\\29\\28|\\28uid=\\2a)');
  // One opening and one closing parenthesis: the value added none.
  assert.equal(filter.split('(').length - 1, 1);
  assert.equal(filter.split(')').length - 1, 1);
});

test('RFC 4514: " + , ; < > \\ escaped; a leading space or # and a trailing space escaped', () => {
  assert.equal(escapeDnValue('Smith, John'), 'Smith\\, John');
  assert.equal(escapeDnValue('a+b=c;d<e>f"g\\h'), 'a\\+b=c\\;d\\<e\\>f\\"g\\\\h');
  assert.equal(escapeDnValue('#hash'), '\\#hash');
  assert.equal(escapeDnValue(' lead'), '\\ lead');
  assert.equal(escapeDnValue('trail '), 'trail\\ ');
  assert.equal(escapeDnValue('nul\0'), 'nul\\00');
});

test('the first RDN value is read back unescaped, hex escapes as UTF-8', () => {
  assert.equal(firstRdnValue('cn=VPN users,ou=groups,dc=example,dc=org'), 'VPN users');
  assert.equal(firstRdnValue('cn=Smith\\, John,ou=people'), 'Smith, John');
  assert.equal(firstRdnValue('cn=J\\C3\\BCrgen,ou=people'), 'Jürgen');
  assert.equal(firstRdnValue(`cn=${escapeDnValue('a+b, c')},dc=x`), 'a+b, c');
});

test('attribute names: names and OIDs only', () => {
  assert.ok(isAttributeName('sAMAccountName'));
  assert.ok(isAttributeName('2.5.4.3'));
  assert.ok(!isAttributeName('uid)(cn=*'));
  assert.ok(!isAttributeName(''));
});
