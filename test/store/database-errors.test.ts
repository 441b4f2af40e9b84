// Property: one classifier reads every engine's errors. Each error that means "the database will not serve
// now" is unavailable (503, nothing decided); constraint and data errors are not, and neither is a bug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isContention, isDataRefused, isDatabaseUnavailable, isUniqueViolation } from '../../src/store/database-errors.js';

const withCode = (code: string, message = 'engine error') => Object.assign(new Error(message), { code });

test('PostgreSQL refusing or dropping connections, sockets failing and SQLite busy or unreadable are unavailable', () => {
  for (const code of ['55000', '53300', '3D000', '57P01', '57P02', '57P03', '08006', '08001', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'SQLITE_BUSY', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_CANTOPEN', 'SQLITE_IOERR']) {
    assert.equal(isDatabaseUnavailable(withCode(code)), true, code);
  }
  assert.equal(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')), true);
  assert.equal(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect')), true);
  assert.equal(isDatabaseUnavailable(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])), true);
});

test('constraint, data and programming errors are not unavailability', () => {
  for (const code of ['23505', '22001', '42P01', '42601', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR']) {
    assert.equal(isDatabaseUnavailable(withCode(code)), false, code);
  }
  assert.equal(isDatabaseUnavailable(new TypeError('x is undefined')), false);
  assert.equal(isDatabaseUnavailable(null), false);
});

test('unique violations, contention and refused data on both engines', () => {
  assert.equal(isUniqueViolation(withCode('23505')), true);
  assert.equal(isUniqueViolation(withCode('SQLITE_CONSTRAINT_UNIQUE')), true);
  assert.equal(isUniqueViolation(withCode('23503')), false);
  assert.equal(isContention(withCode('40001')), true);
  assert.equal(isContention(withCode('SQLITE_BUSY_SNAPSHOT')), true);
  assert.equal(isContention(withCode('55000')), false);
  assert.equal(isDataRefused(withCode('22P02')), true);
  assert.equal(isDataRefused(withCode('SQLITE_TOOBIG')), true);
  assert.equal(isDataRefused(withCode('57P01')), false);
});
