import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { count } from '../../src/core/count.js';

describe('count', () => {
  it('is singular for one and plural otherwise', () => {
    assert.equal(count(1, 'second'), '1 second');
    assert.equal(count(0, 'second'), '0 seconds');
    assert.equal(count(2, 'key'), '2 keys');
    assert.equal(count(1, 'entry', 'entries'), '1 entry');
    assert.equal(count(3, 'entry', 'entries'), '3 entries');
  });
});
