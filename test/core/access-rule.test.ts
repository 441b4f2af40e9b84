// IP access restrictions: the longest matching prefix wins, IPv4-mapped IPv6 is IPv4, an address that
// matches no rule gets the default, and invalid CIDRs are refused with the field named.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalAddress, evaluateRestriction, parseCidr, restrictionFieldLabel, validateRestriction, type AccessRestriction } from '../../src/core/access-rule.js';

const restriction: AccessRestriction = {
  default: 'deny',
  rules: [
    { cidr: '10.0.0.0/8', action: 'require_otp' },
    { cidr: '10.1.0.0/16', action: 'allow' },
    { cidr: '10.1.2.3/32', action: 'deny' },
    { cidr: '2001:db8::/32', action: 'allow' },
    { cidr: '2001:db8:1::/48', action: 'require_otp' },
  ],
};

describe('evaluateRestriction', () => {
  it('lets the most specific rule win, whatever the rule order', () => {
    for (const rules of [restriction.rules, [...restriction.rules].reverse()]) {
      const r = { ...restriction, rules };
      assert.equal(evaluateRestriction(r, '10.9.9.9').action, 'require_otp');
      assert.equal(evaluateRestriction(r, '10.1.9.9').action, 'allow');
      assert.equal(evaluateRestriction(r, '10.1.2.3').action, 'deny');
      assert.equal(evaluateRestriction(r, '2001:db8:2::1').action, 'allow');
      assert.equal(evaluateRestriction(r, '2001:db8:1::1').action, 'require_otp');
    }
  });

  it('gives the default to an address no rule matches, and to an unknown address', () => {
    assert.deepEqual(evaluateRestriction(restriction, '192.0.2.1'), { action: 'deny', matchedRule: null });
    assert.deepEqual(evaluateRestriction(restriction, null), { action: 'deny', matchedRule: null });
    assert.equal(evaluateRestriction(restriction, 'not an address').action, 'deny');
  });

  it('treats an IPv4-mapped IPv6 client address as the IPv4 address', () => {
    assert.equal(evaluateRestriction(restriction, '::ffff:10.1.2.3').action, 'deny');
    assert.equal(evaluateRestriction(restriction, '::ffff:10.1.9.9').action, 'allow');
    assert.equal(evaluateRestriction(restriction, '::ffff:a01:203').action, 'deny');
  });

  it('treats an IPv4-mapped rule network as the IPv4 network', () => {
    const mapped = validateRestriction({ default: 'deny', rules: [{ cidr: '::ffff:192.0.2.0/120', action: 'allow' }] });
    assert.deepEqual(mapped.errors, {});
    assert.equal(mapped.restriction.rules[0]!.cidr, '192.0.2.0/24');
    assert.equal(evaluateRestriction(mapped.restriction, '192.0.2.77').action, 'allow');
  });
});

describe('parseCidr / validateRestriction', () => {
  it('makes a single address a /32 or /128 and clears host bits', () => {
    assert.equal((parseCidr('192.0.2.7') as { cidr: string }).cidr, '192.0.2.7/32');
    assert.equal((parseCidr('2001:db8::1') as { cidr: string }).cidr, '2001:db8::1/128');
    assert.equal((parseCidr('10.1.2.3/8') as { cidr: string }).cidr, '10.0.0.0/8');
  });

  it('refuses invalid CIDRs, each named by its field', () => {
    const bad = ['10.0.0.0/33', '2001:db8::/129', '10.1', '010.0.0.1', '1.2.3.4.5', 'example.com', '10.0.0.0/', '::ffff:10.0.0.0/90', 'fe80::1%eth0', ''];
    const { errors } = validateRestriction({ default: 'allow', rules: bad.map((cidr) => ({ cidr, action: 'allow' })) });
    bad.forEach((cidr, i) => assert.ok(errors[`rules[${i}].cidr`], `${JSON.stringify(cidr)} should be refused`));
  });

  it('refuses unknown actions, an unknown default and two rules for one network', () => {
    const { errors } = validateRestriction({
      default: 'maybe',
      rules: [
        { cidr: '10.0.0.0/8', action: 'allow' },
        { cidr: '10.9.0.0/8', action: 'deny' },
        { cidr: '192.0.2.0/24', action: 'block' },
      ],
    });
    assert.ok(errors['default']);
    assert.ok(errors['rules[1].cidr']);
    assert.ok(errors['rules[2].action']);
  });

  it('names the fields as people count rules, from 1 (the keys stay 0-based)', () => {
    const { errors } = validateRestriction({ default: 'allow', rules: [{ cidr: '10.0.0.0/8', action: 'allow' }, { cidr: '10.0.0.0/8', action: 'deny' }, { cidr: '192.0.2.0/24', action: 'maybe' }] });
    assert.deepEqual(Object.keys(errors).map(restrictionFieldLabel), ['rule 2 (network)', 'rule 3 (action)']);
    assert.match(errors['rules[1].cidr']!, /already used by rule 1/);
    assert.equal(restrictionFieldLabel('default'), 'default action');
  });

  it('canonicalAddress: one text per address, the same on every call (memo), null for anything else', () => {
    for (let round = 0; round < 2; round++) {
      assert.equal(canonicalAddress('::ffff:192.0.2.1'), '192.0.2.1');
      assert.equal(canonicalAddress('192.0.2.1'), '192.0.2.1');
      assert.equal(canonicalAddress(' 2001:DB8:0::1 '), '2001:db8::1');
      assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80::1');
      assert.equal(canonicalAddress('10.1'), null);
      assert.equal(canonicalAddress('not an address'), null);
      assert.equal(canonicalAddress(''), null);
    }
    // The memoised address is the parsed one the rules see: a mapped spelling matches the IPv4 rule.
    assert.equal(evaluateRestriction(restriction, '::ffff:10.1.2.3').action, 'deny');
    assert.equal(evaluateRestriction(restriction, '::FFFF:10.1.9.9').action, 'allow');
  });
});
