// Which restriction applies to a user, and why: their own, else their groups' (for each address the
// strictest action any group gives: deny > require_otp > allow), else the account-wide one, else none.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateRestriction, UNRESTRICTED, type AccessAction, type AccessRestriction } from '../../src/core/access-rule.js';
import { applicableRestriction, combineStrictest, describeSource, stricterAction, type GroupRestriction } from '../../src/core/restriction-precedence.js';

const own: AccessRestriction = { rules: [{ cidr: '198.51.100.0/24', action: 'allow' }], default: 'require_otp' };
const accountWide: AccessRestriction = { rules: [], default: 'deny' };
const vpn: GroupRestriction = { group: 'vpn-users', restriction: { rules: [{ cidr: '10.0.0.0/8', action: 'allow' }], default: 'deny' } };
const staff: GroupRestriction = { group: 'staff', restriction: { rules: [{ cidr: '10.1.0.0/16', action: 'require_otp' }], default: 'allow' } };

describe('applicableRestriction: the precedence', () => {
  it("the user's own restriction wins over their groups' and the account's", () => {
    const applied = applicableRestriction({ own, groups: [vpn, staff], account: accountWide });
    assert.deepEqual(applied, { source: 'user', groups: [], restriction: own });
    assert.equal(describeSource(applied), "the user's own restriction");
  });

  it("without one of their own, one group's restriction applies as it is, over the account's", () => {
    const applied = applicableRestriction({ own: null, groups: [vpn], account: accountWide });
    assert.deepEqual(applied, { source: 'group', groups: ['vpn-users'], restriction: vpn.restriction });
    assert.equal(describeSource(applied), 'the restriction of group vpn-users');
  });

  it('several groups: named in order, for each address the strictest action wins', () => {
    const applied = applicableRestriction({ own: null, groups: [vpn, staff], account: accountWide });
    assert.equal(applied.source, 'group');
    assert.deepEqual(applied.groups, ['staff', 'vpn-users']);
    assert.match(describeSource(applied), /groups staff, vpn-users .*strictest/);
    // 10.1.x: vpn allows, staff requires OTP → require_otp. 10.2.x: vpn allows, staff allows (default) → allow.
    // Elsewhere: vpn denies (default) → deny.
    assert.equal(evaluateRestriction(applied.restriction, '10.1.2.3').action, 'require_otp');
    assert.equal(evaluateRestriction(applied.restriction, '10.2.0.1').action, 'allow');
    assert.equal(evaluateRestriction(applied.restriction, '192.0.2.1').action, 'deny');
    assert.equal(evaluateRestriction(applied.restriction, null).action, 'deny', 'no address: the strictest default');
  });

  it("without own or group restrictions, the account's; without any, none (everything allowed)", () => {
    const byAccount = applicableRestriction({ own: null, groups: [], account: accountWide });
    assert.deepEqual(byAccount, { source: 'account', groups: [], restriction: accountWide });
    assert.match(describeSource(byAccount), /account-wide/);
    const none = applicableRestriction({ own: null, groups: [], account: null });
    assert.deepEqual(none, { source: 'none', groups: [], restriction: UNRESTRICTED });
    assert.match(describeSource(none), /none/);
  });

  it('deny > require_otp > allow', () => {
    assert.equal(stricterAction('allow', 'require_otp'), 'require_otp');
    assert.equal(stricterAction('require_otp', 'allow'), 'require_otp');
    assert.equal(stricterAction('require_otp', 'deny'), 'deny');
    assert.equal(stricterAction('deny', 'allow'), 'deny');
    assert.equal(stricterAction('allow', 'allow'), 'allow');
  });
});

describe('combineStrictest', () => {
  it('a deny in any group beats an allow in another for the same address, IPv4 and IPv6', () => {
    const a: GroupRestriction = { group: 'a', restriction: { rules: [{ cidr: '2001:db8::/32', action: 'allow' }, { cidr: '203.0.113.0/24', action: 'deny' }], default: 'allow' } };
    const b: GroupRestriction = { group: 'b', restriction: { rules: [{ cidr: '2001:db8:1::/48', action: 'deny' }, { cidr: '203.0.113.0/24', action: 'allow' }], default: 'allow' } };
    const combined = combineStrictest([a, b]);
    assert.equal(evaluateRestriction(combined, '203.0.113.9').action, 'deny');
    assert.equal(evaluateRestriction(combined, '2001:db8:1::5').action, 'deny');
    assert.equal(evaluateRestriction(combined, '2001:db8:2::5').action, 'allow');
    assert.equal(evaluateRestriction(combined, '::ffff:203.0.113.9').action, 'deny');
    // Each rule says which group gave its action.
    assert.deepEqual(combined.rules.find((r) => r.cidr === '203.0.113.0/24'), { cidr: '203.0.113.0/24', action: 'deny', note: 'group a' });
  });

  it('a more specific rule of one group does not lift another group\'s stricter default', () => {
    const open: GroupRestriction = { group: 'open', restriction: { rules: [{ cidr: '10.5.0.0/16', action: 'allow' }], default: 'require_otp' } };
    const closed: GroupRestriction = { group: 'closed', restriction: { rules: [], default: 'deny' } };
    const combined = combineStrictest([open, closed]);
    assert.equal(evaluateRestriction(combined, '10.5.1.1').action, 'deny');
    assert.equal(evaluateRestriction(combined, '192.0.2.1').action, 'deny');
  });

  it('for every address, equals the strictest of the groups evaluated one by one (property)', () => {
    const action = fc.constantFrom<AccessAction>('allow', 'require_otp', 'deny');
    // Few distinct networks, so that groups' rules nest and overlap.
    const octet = fc.constantFrom(0, 10, 172, 192);
    const rule = fc.record({ a: octet, b: fc.constantFrom(0, 1, 2), prefix: fc.constantFrom(0, 8, 16, 24, 32), action });
    const restriction = fc.record({ rules: fc.uniqueArray(rule, { selector: (r) => `${r.a}.${r.b}/${r.prefix}`, maxLength: 5 }), default: action }).map((r): AccessRestriction => {
      const seen = new Set<string>();
      const rules = r.rules.flatMap((x) => {
        const bits = [x.a, x.b, 0, 0];
        const mask = (i: number) => (x.prefix >= (i + 1) * 8 ? bits[i]! : 0);
        const cidr = `${mask(0)}.${mask(1)}.${mask(2)}.${mask(3)}/${x.prefix}`;
        if (seen.has(cidr)) return [];
        seen.add(cidr);
        return [{ cidr, action: x.action }];
      });
      return { rules, default: r.default };
    });
    const address = fc.tuple(octet, fc.constantFrom(0, 1, 2, 3), fc.nat(255)).map(([a, b, c]) => `${a}.${b}.${c}.7`);
    fc.assert(
      fc.property(fc.array(restriction, { minLength: 1, maxLength: 4 }), fc.array(address, { minLength: 1, maxLength: 10 }), (restrictions, addresses) => {
        const groups = restrictions.map((r, i) => ({ group: `g${i}`, restriction: r }));
        const combined = combineStrictest(groups);
        for (const ip of [...addresses, null]) {
          const expected = groups.map((g) => evaluateRestriction(g.restriction, ip).action).reduce(stricterAction);
          assert.equal(evaluateRestriction(combined, ip).action, expected, `${ip ?? 'no address'} in ${JSON.stringify(restrictions)}`);
        }
      }),
      { numRuns: 500 },
    );
  });
});
