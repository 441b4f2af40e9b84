// A key's Policy (RFC 6030 §4.3.2): validity dates, key usage and the PIN policy. A child or PINPolicy
// attribute this reader does not understand marks the key unusable, as §5 requires.
import type { SaxesTagNS } from 'saxes';
import type { PskcKeyRecord } from './pskc-record.js';
import { type StringKeeper, nonEmpty } from './pskc-strings.js';
import { decodeDate, decodeInteger } from './pskc-values.js';
import { KNOWN_PIN_POLICY_ATTRIBUTES, KNOWN_POLICY_CHILDREN, attribute } from './pskc-vocabulary.js';

/** A child of Policy opens. */
export function openPolicyChild(tag: SaxesTagNS, local: string, key: PskcKeyRecord, strings: StringKeeper): void {
  if (!KNOWN_POLICY_CHILDREN.has(local)) key.unknownPolicy = true;
  if (local !== 'PINPolicy') return;
  for (const name of Object.keys(tag.attributes)) {
    if (!KNOWN_PIN_POLICY_ATTRIBUTES.has(name) && !name.startsWith('xmlns')) key.unknownPolicy = true;
  }
  key.pinKeyId = strings.keep(attribute(tag, 'PINKeyId'));
  key.pinUsageMode = strings.intern(attribute(tag, 'PINUsageMode'));
  for (const name of ['MinLength', 'MaxLength', 'MaxFailedAttempts']) {
    const text = attribute(tag, name);
    if (text !== null && text !== '') decodeInteger(text, `PINPolicy ${name}`, key.source);
  }
}

/** An element inside PINPolicy opens: RFC 6030 §4.3.2 defines none. */
export function openInsidePinPolicy(key: PskcKeyRecord): void {
  key.unknownPolicy = true;
}

/** A child of Policy closes with its text. */
export function closePolicyChild(key: PskcKeyRecord, local: string, text: string, strings: StringKeeper): void {
  const value = nonEmpty(text);
  if (value === null) return;
  switch (local) {
    case 'StartDate':
      key.startDate = decodeDate(value, 'Policy StartDate', key.source);
      return;
    case 'ExpiryDate':
      key.expiryDate = decodeDate(value, 'Policy ExpiryDate', key.source);
      return;
    case 'NumberOfTransactions':
      decodeInteger(value, 'Policy NumberOfTransactions', key.source);
      return;
    case 'KeyUsage':
      key.keyUsage.push(strings.intern(value) ?? value);
      return;
    default:
      return;
  }
}
