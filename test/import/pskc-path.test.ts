// Property: the PSKC reader's named path checks match exactly the positions they name: `at` the whole path
// from the root, `within` a prefix of it, `below` the steps under a given element; a list of names matches
// any of them and ANY matches every element, and nothing matches past the open elements.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANY, ElementPath, pattern } from '../../src/import/pskc/pskc-path.js';
import { AT_KEY, IN_PIN_POLICY, POLICY_CHILD, SUITE } from '../../src/import/pskc/pskc-vocabulary.js';

function pathOf(...names: string[]): ElementPath {
  const path = new ElementPath();
  for (const name of names) path.push(name);
  return path;
}

describe('ElementPath', () => {
  it('at: the whole path, each level by name, by any of its names, or ANY', () => {
    const path = pathOf('KeyContainer', 'KeyPackage', 'Key', 'Policy', 'PINPolicy');
    assert.equal(path.at(POLICY_CHILD), true);
    assert.equal(path.at(IN_PIN_POLICY), true);
    assert.equal(path.at(AT_KEY), false, 'a prefix is not the whole path');
    assert.equal(path.at(pattern('KeyContainer', 'KeyPackage', 'Key', 'Policy', 'PINPolicy', ANY)), false, 'nothing past the open elements');
    assert.equal(pathOf('SecretContainer', 'Device', 'Secret').at(AT_KEY), true, "the drafts' names");
    assert.equal(pathOf('KeyContainer', 'KeyPackage', 'Key', 'AlgorithmParameters', 'Suite').at(SUITE), true);
    assert.equal(pathOf('KeyContainer', 'KeyPackage', 'Key', 'Data', 'Suite').at(SUITE), false);
  });

  it('within: the open element is at the steps or inside them', () => {
    const path = pathOf('KeyContainer', 'KeyPackage', 'Key', 'Policy', 'PINPolicy', 'Extra');
    assert.equal(path.within(IN_PIN_POLICY), true);
    assert.equal(path.within(AT_KEY), true);
    assert.equal(pathOf('KeyContainer', 'KeyPackage', 'Key', 'Policy').within(IN_PIN_POLICY), false);
  });

  it('below: the steps under the element open at a depth', () => {
    const path = pathOf('KeyContainer', 'KeyPackage', 'Key', 'Data', 'Secret', 'EncryptedValue', 'CipherData', 'CipherValue');
    assert.equal(path.below(5, pattern('EncryptedValue', 'CipherData', 'CipherValue')), true);
    assert.equal(path.below(5, pattern(ANY, ANY, 'CipherValue')), true);
    assert.equal(path.below(4, pattern('EncryptedValue', 'CipherData', 'CipherValue')), false, 'one level off');
    assert.equal(path.below(5, pattern('EncryptedValue', 'CipherData')), false, 'the open element is deeper');
  });

  it('push and pop keep depth, current and name in step', () => {
    const path = pathOf('KeyContainer', 'KeyPackage');
    assert.deepEqual([path.depth, path.current, path.name(0), path.name(1)], [2, 'KeyPackage', 'KeyContainer', 'KeyPackage']);
    path.pop();
    path.pop();
    assert.deepEqual([path.depth, path.current], [0, '']);
  });
});
