// A key's own description (RFC 6030 §4.3): Issuer, FriendlyName, KeyReference and the key's dates, the
// AlgorithmParameters (ResponseFormat, ChallengeFormat, Suite), and the drafts' Usage flags.
import type { SaxesTagNS } from 'saxes';
import type { PskcKeyRecord } from './pskc-record.js';
import { type StringKeeper, nonEmpty } from './pskc-strings.js';
import { decodeBoolean, decodeDate, decodeInteger } from './pskc-values.js';
import { LEGACY_USAGE_FLAGS, attribute } from './pskc-vocabulary.js';

/** A child of Key closes with its text. */
export function readKeyChild(key: PskcKeyRecord, local: string, text: string, strings: StringKeeper): void {
  const value = nonEmpty(text);
  switch (local) {
    case 'Issuer':
      key.issuer = strings.intern(value);
      return;
    case 'FriendlyName':
      key.friendlyName = strings.keep(value);
      return;
    case 'KeyReference':
      key.keyReference = strings.keep(value);
      return;
    case 'StartDate':
      if (value !== null) key.startDate = decodeDate(value, 'StartDate', key.source);
      return;
    case 'ExpiryDate':
      if (value !== null) key.expiryDate = decodeDate(value, 'ExpiryDate', key.source);
      return;
    default:
      return;
  }
}

/** AlgorithmParameters Suite closes with its text. */
export function readSuite(key: PskcKeyRecord, text: string, strings: StringKeeper): void {
  key.suite = strings.intern(nonEmpty(text));
}

/** The drafts' <Usage OTP="true" CR="false" …> opens. */
export function readLegacyUsage(tag: SaxesTagNS, key: PskcKeyRecord): void {
  for (const flag of LEGACY_USAGE_FLAGS) {
    const text = attribute(tag, flag);
    if (text !== null && text !== '' && decodeBoolean(text, `Usage ${flag}`, key.source)) key.keyUsage.push(flag);
  }
}

/** A child of AlgorithmParameters (or of the drafts' Usage) opens: the response and challenge formats. */
export function readFormat(tag: SaxesTagNS, local: string, key: PskcKeyRecord, strings: StringKeeper): void {
  if (local === 'ResponseFormat') readResponseFormat(tag, key, strings);
  else if (local === 'ChallengeFormat') readChallengeFormat(tag, key);
}

function readResponseFormat(tag: SaxesTagNS, key: PskcKeyRecord, strings: StringKeeper): void {
  key.responseEncoding = strings.intern(attribute(tag, 'Encoding', 'Format', 'format')) ?? key.responseEncoding;
  const length = attribute(tag, 'Length', 'length');
  if (length !== null && length !== '') key.responseLength = decodeInteger(length, 'ResponseFormat Length', key.source);
  const check = attribute(tag, 'CheckDigits', 'CheckDigit');
  if (check !== null && check !== '') decodeBoolean(check, 'ResponseFormat CheckDigits', key.source);
}

function readChallengeFormat(tag: SaxesTagNS, key: PskcKeyRecord): void {
  for (const name of ['Min', 'Max']) {
    const text = attribute(tag, name);
    if (text !== null && text !== '') decodeInteger(text, `ChallengeFormat ${name}`, key.source);
  }
  const check = attribute(tag, 'CheckDigits', 'CheckDigit');
  if (check !== null && check !== '') decodeBoolean(check, 'ChallengeFormat CheckDigits', key.source);
}
