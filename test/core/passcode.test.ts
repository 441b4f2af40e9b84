// Passcodes are compared in constant time and must be exactly the token's digits; serials are normalised
// the way a person types them and validated.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isWellFormedPasscode, passcodeComparer } from '../../src/core/passcode.js';
import { normalizeSerial } from '../../src/core/serial.js';

describe('passcodeComparer (the constant-time comparison every passcode check uses)', () => {
  it('is true only for the identical code', () => {
    assert.equal(passcodeComparer('123456', 6)(123456), true);
    assert.equal(passcodeComparer('123457', 6)(123456), false);
    assert.equal(passcodeComparer('023456', 6)(123456), false);
    assert.equal(passcodeComparer('12345678', 8)(12345678), true);
    assert.equal(passcodeComparer('12345678', 8)(12345679), false);
  });

  it('writes a small code with its leading zeros', () => {
    assert.equal(passcodeComparer('023456', 6)(23456), true);
    assert.equal(passcodeComparer('000000', 6)(0), true);
    assert.equal(passcodeComparer('23456', 6)(23456), false);
  });

  it('can be called again and again (the buffer it reuses keeps no earlier code)', () => {
    const matches = passcodeComparer('755224', 6);
    assert.deepEqual([111111, 755224, 755225, 755224, 0].map(matches), [false, true, false, true, false]);
  });

  it('treats codes of different lengths as unequal without throwing (timingSafeEqual would throw)', () => {
    assert.equal(passcodeComparer('1234567', 6)(123456), false);
    assert.equal(passcodeComparer('', 6)(0), false);
    assert.equal(passcodeComparer('123456', 8)(123456), false);
  });

  it('does not confuse non-ASCII input with digits', () => {
    assert.equal(passcodeComparer('１２３４５６', 6)(123456), false);
    assert.equal(passcodeComparer('é23456', 6)(123456), false);
  });
});

describe('isWellFormedPasscode', () => {
  it('accepts exactly N ASCII digits', () => {
    assert.equal(isWellFormedPasscode('012345', 6), true);
    assert.equal(isWellFormedPasscode('01234567', 8), true);
  });

  it('refuses other lengths, spaces, signs and non-ASCII digits', () => {
    for (const bad of ['12345', '1234567', ' 123456', '12 345', '+12345', '-12345', '١٢٣٤٥٦', '12345a', '']) {
      assert.equal(isWellFormedPasscode(bad, 6), false, JSON.stringify(bad));
    }
  });
});

describe('normalizeSerial', () => {
  it('drops spaces and dashes a person types between digits', () => {
    assert.equal(normalizeSerial('1234 5678-90123'), '1234567890123');
    assert.equal(normalizeSerial(' 1234567890123 '), '1234567890123');
  });

  it("keeps other vendors' dashes and underscores", () => {
    assert.equal(normalizeSerial('YK-1234_ab'), 'YK-1234_ab');
  });

  it('refuses empty, over-long and out-of-alphabet serials', () => {
    for (const bad of ['', '   ', '--', 'a'.repeat(65), 'abc/def', 'abc;drop', 'ä123', '12.34']) {
      assert.equal(normalizeSerial(bad), null, JSON.stringify(bad));
    }
    assert.equal(normalizeSerial('a'.repeat(64)), 'a'.repeat(64));
  });
});
