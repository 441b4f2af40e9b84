// Property: RADIUS PAP's one field splits into the password and the passcode appended to it by the user's
// tokens' digits: a 6- or 8-digit token takes that many trailing characters, a password that ends in digits
// keeps them, a field no longer than the passcode keeps no passcode, a user without a token has the whole
// field as the password, tokens of 6 and 8 digits take the length whose trailing code a token accepts (the
// largest when none does), and a live temporary code takes 10 trailing digits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitAppendedPasscode, type SplitCredentials } from '../../src/core/appended-passcode.js';

/** `accepts`: the trailing codes a token of that length takes as a next code. */
type Case = { name: string; field: string; tokenDigits: number[]; tempCodeLive?: boolean; accepts?: string[]; want: SplitCredentials };

const CASES: Case[] = [
  { name: 'a 6-digit token', field: 'secret123456', tokenDigits: [6], want: { password: 'secret', passcode: '123456' } },
  { name: 'an 8-digit token', field: 'secret12345678', tokenDigits: [8], want: { password: 'secret', passcode: '12345678' } },
  { name: 'a password ending in digits', field: 'hunter2024123456', tokenDigits: [6], want: { password: 'hunter2024', passcode: '123456' } },
  { name: 'a password of digits only', field: '9876543210123456', tokenDigits: [6], want: { password: '9876543210', passcode: '123456' } },
  { name: 'too short: the passcode alone', field: '123456', tokenDigits: [6], want: { password: '123456', passcode: null } },
  { name: 'too short: fewer characters than the digits', field: 'abc12', tokenDigits: [8], want: { password: 'abc12', passcode: null } },
  { name: 'empty', field: '', tokenDigits: [6], want: { password: '', passcode: null } },
  { name: 'empty, no token', field: '', tokenDigits: [], want: { password: '', passcode: null } },
  { name: 'no token: the whole field is the password', field: 'secret123456', tokenDigits: [], want: { password: 'secret123456', passcode: null } },
  { name: 'two 6-digit tokens', field: 'secret123456', tokenDigits: [6, 6], want: { password: 'secret', passcode: '123456' } },
  { name: '6 and 8 digits, the 6-digit token accepts', field: 'secret12345678', tokenDigits: [6, 8], accepts: ['345678'], want: { password: 'secret12', passcode: '345678' } },
  { name: '6 and 8 digits, the 8-digit token accepts', field: 'secret12345678', tokenDigits: [8, 6], accepts: ['12345678'], want: { password: 'secret', passcode: '12345678' } },
  { name: '6 and 8 digits, neither accepts: the largest', field: 'secret12345678', tokenDigits: [6, 8], accepts: [], want: { password: 'secret', passcode: '12345678' } },
  { name: '6 and 8 digits, only 7 characters: the 6-digit code', field: 'x123456', tokenDigits: [6, 8], accepts: ['123456'], want: { password: 'x', passcode: '123456' } },
  { name: '6 and 8 digits, a non-digit inside the last 8: the 6-digit code', field: 'secret-x123456', tokenDigits: [6, 8], accepts: ['123456', '-x123456'], want: { password: 'secret-x', passcode: '123456' } },
  { name: 'a live temporary code: 10 trailing digits', field: 'secret0123456789', tokenDigits: [6], tempCodeLive: true, want: { password: 'secret', passcode: '0123456789' } },
  { name: 'a live temporary code, no token', field: 'secret0123456789', tokenDigits: [], tempCodeLive: true, want: { password: 'secret', passcode: '0123456789' } },
  { name: 'a live temporary code, but a 6-digit passcode sent', field: 'secret-123456', tokenDigits: [6], tempCodeLive: true, want: { password: 'secret-', passcode: '123456' } },
  { name: 'no live temporary code: 10 trailing digits are password and passcode', field: 'secret0123456789', tokenDigits: [6], want: { password: 'secret0123', passcode: '456789' } },
  { name: 'a live temporary code, the field only the code', field: '0123456789', tokenDigits: [6], tempCodeLive: true, want: { password: '0123', passcode: '456789' } },
];

for (const c of CASES) {
  test(`split: ${c.name}`, () => {
    const asked: string[] = [];
    const got = splitAppendedPasscode({
      field: c.field,
      tokenDigits: c.tokenDigits,
      tempCodeLive: c.tempCodeLive ?? false,
      matches: (passcode, digits) => {
        asked.push(passcode);
        assert.equal(passcode.length, digits);
        return (c.accepts ?? []).includes(passcode);
      },
    });
    assert.deepEqual(got, c.want);
    // The tokens are asked only when their digit counts differ (one code check per sign-in otherwise).
    if (new Set(c.tokenDigits).size <= 1) assert.deepEqual(asked, []);
    // Whatever the split, the parts put together are the field.
    assert.equal(got.password + (got.passcode ?? ''), c.field);
  });
}
