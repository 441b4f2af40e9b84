// Which actions a restriction gives at all: a rule decides only where no more specific rule inside it does,
// and the default only where no rule matches, in IPv4 or IPv6 (IPv4-mapped IPv6 addresses count as IPv4).
// Every address the function names is checked against the longest-prefix evaluation itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateRestriction, type AccessAction, type AccessRestriction } from '../../src/core/access-rule.js';
import { reachableActions } from '../../src/core/access-regions.js';

/** The reachable actions, after checking that each named address really gets its action. */
function reachable(restriction: AccessRestriction): AccessAction[] {
  const found = reachableActions(restriction);
  for (const [action, address] of found) assert.equal(evaluateRestriction(restriction, address).action, action, `${address} should get ${action}`);
  return [...found.keys()].sort();
}

const r = (rules: [string, AccessAction][], defaultAction: AccessAction): AccessRestriction => ({ rules: rules.map(([cidr, action]) => ({ cidr, action })), default: defaultAction });

test('without rules, only the default is given', () => {
  assert.deepEqual(reachable(r([], 'deny')), ['deny']);
  assert.deepEqual(reachable(r([], 'allow')), ['allow']);
});

test('a rule and the default are each given somewhere', () => {
  assert.deepEqual(reachable(r([['10.0.0.0/8', 'allow']], 'deny')), ['allow', 'deny']);
  assert.deepEqual(reachable(r([['2001:db8::/32', 'require_otp']], 'deny')), ['deny', 'require_otp']);
});

test('a rule covered entirely by more specific rules gives its action nowhere', () => {
  const shadowed = r([['10.0.0.0/8', 'allow'], ['10.0.0.0/9', 'deny'], ['10.128.0.0/9', 'deny']], 'deny');
  assert.deepEqual(reachable(shadowed), ['deny']);
  // Two levels down: the /9 is itself split, and the /8's allow is still nowhere.
  const deeper = r([['10.0.0.0/8', 'allow'], ['10.0.0.0/9', 'deny'], ['10.128.0.0/10', 'deny'], ['10.192.0.0/10', 'require_otp']], 'deny');
  assert.deepEqual(reachable(deeper), ['deny', 'require_otp']);
  // One host left uncovered is enough.
  const oneHost = r([['10.0.0.0/30', 'allow'], ['10.0.0.0/31', 'deny'], ['10.0.0.2/32', 'deny']], 'deny');
  assert.deepEqual(reachable(oneHost), ['allow', 'deny']);
  assert.equal(reachableActions(oneHost).get('allow'), '10.0.0.3');
});

test('a rule partly covered still gives its action where it is not', () => {
  const partly = r([['10.0.0.0/8', 'allow'], ['10.0.0.0/9', 'deny']], 'deny');
  assert.deepEqual(reachable(partly), ['allow', 'deny']);
  assert.equal(reachableActions(partly).get('allow'), '10.128.0.0');
});

test('the default is given unless the rules cover all of IPv4 and all of IPv6', () => {
  assert.deepEqual(reachable(r([['0.0.0.0/0', 'deny']], 'allow')), ['allow', 'deny']);
  assert.deepEqual(reachable(r([['::/0', 'deny']], 'allow')), ['allow', 'deny']);
  assert.deepEqual(reachable(r([['0.0.0.0/0', 'deny'], ['::/0', 'deny']], 'allow')), ['deny']);
  // IPv4 in two halves, IPv6 whole.
  assert.deepEqual(reachable(r([['0.0.0.0/1', 'require_otp'], ['128.0.0.0/1', 'deny'], ['::/0', 'deny']], 'allow')), ['deny', 'require_otp']);
});

test('IPv4-mapped IPv6 addresses are IPv4: no IPv6 rule decides them, and a mapped network is an IPv4 rule', () => {
  // IPv6 covered everywhere but the mapped range, IPv4 covered whole: the default is nowhere.
  const aroundMapped = r([['0.0.0.0/0', 'deny'], ['::/1', 'deny'], ['8000::/1', 'deny']], 'allow');
  assert.deepEqual(reachable(aroundMapped), ['deny']);
  // ::ffff:0:0/96 is IPv4's 0.0.0.0/0.
  assert.deepEqual(reachable(r([['::ffff:0:0/96', 'deny'], ['::/0', 'deny']], 'allow')), ['deny']);
  // An IPv6 rule over the mapped range decides the rest of its network, not the mapped part.
  const overMapped = r([['::/80', 'allow']], 'deny');
  assert.deepEqual(reachable(overMapped), ['allow', 'deny']);
  // Everything of ::/80 except the mapped /96, covered by nested rules: the allow is nowhere.
  const nested = r([['::/80', 'allow'], ['::/81', 'deny'], ['0:0:0:0:0:8000::/82', 'deny'], ['0:0:0:0:0:c000::/83', 'deny'], ['0:0:0:0:0:e000::/84', 'deny'],
    ['0:0:0:0:0:f000::/85', 'deny'], ['0:0:0:0:0:f800::/86', 'deny'], ['0:0:0:0:0:fc00::/87', 'deny'], ['0:0:0:0:0:fe00::/88', 'deny'], ['0:0:0:0:0:ff00::/89', 'deny'],
    ['0:0:0:0:0:ff80::/90', 'deny'], ['0:0:0:0:0:ffc0::/91', 'deny'], ['0:0:0:0:0:ffe0::/92', 'deny'], ['0:0:0:0:0:fff0::/93', 'deny'], ['0:0:0:0:0:fff8::/94', 'deny'],
    ['0:0:0:0:0:fffc::/95', 'deny'], ['0:0:0:0:0:fffe::/96', 'deny']], 'deny');
  assert.deepEqual(reachable(nested), ['deny']);
});

test('a single address and a /0 are rules like any other', () => {
  assert.deepEqual(reachable(r([['127.0.0.1/32', 'allow'], ['0.0.0.0/0', 'deny'], ['::/0', 'deny']], 'deny')), ['allow', 'deny']);
  assert.deepEqual(reachable(r([['::1/128', 'require_otp'], ['0.0.0.0/0', 'deny'], ['::/0', 'deny']], 'allow')), ['deny', 'require_otp']);
});

test('against every address: random rules inside 192.0.2.0/28 under /0 rules of both families (seeded)', () => {
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const actions: AccessAction[] = ['allow', 'require_otp', 'deny'];
  for (let round = 0; round < 500; round++) {
    const rules: [string, AccessAction][] = [['0.0.0.0/0', actions[random(3)]!], ['::/0', actions[random(3)]!]];
    const count = random(8);
    for (let i = 0; i < count; i++) {
      const prefix = 28 + random(5);
      const host = random(16) & ~((1 << (32 - prefix)) - 1) & 15;
      const cidr = `192.0.2.${host}/${prefix}`;
      if (!rules.some(([c]) => c === cidr)) rules.push([cidr, actions[random(3)]!]);
    }
    const restriction = r(rules, actions[random(3)]!);
    const everywhere = new Set<AccessAction>();
    for (let host = 0; host < 16; host++) everywhere.add(evaluateRestriction(restriction, `192.0.2.${host}`).action);
    // Outside the /28 only the /0 rules decide.
    everywhere.add(evaluateRestriction(restriction, '198.51.100.1').action);
    everywhere.add(evaluateRestriction(restriction, '2001:db8::1').action);
    assert.deepEqual(reachable(restriction), [...everywhere].sort(), JSON.stringify(restriction));
  }
});
