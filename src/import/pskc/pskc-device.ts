// A KeyPackage's device (RFC 6030 §4.3.1 DeviceInfo and CryptoModuleInfo; the drafts' DeviceId): the
// serial number and the other facts every key of the package shares.
import type { PackageRecord } from './pskc-record.js';
import { type StringKeeper, nonEmpty } from './pskc-strings.js';
import { decodeDate } from './pskc-values.js';

/** A DeviceInfo child closes with its text. */
export function readDeviceInfo(pkg: PackageRecord, local: string, text: string, strings: StringKeeper, where: string): void {
  const value = nonEmpty(text);
  switch (local) {
    case 'Manufacturer':
      pkg.manufacturer = strings.intern(value);
      return;
    case 'SerialNo':
      pkg.serial = strings.keep(value);
      return;
    case 'Model':
      pkg.model = strings.intern(value);
      return;
    case 'IssueNo':
      pkg.issueNo = strings.keep(value);
      return;
    case 'StartDate':
      if (value !== null) pkg.startDate = decodeDate(value, 'DeviceInfo StartDate', where);
      return;
    case 'ExpiryDate':
    case 'Expiry':
      if (value !== null) pkg.expiryDate = decodeDate(value, 'DeviceInfo ExpiryDate', where);
      return;
    default:
      return;
  }
}

/** CryptoModuleInfo Id closes with its text. */
export function readCryptoModuleId(pkg: PackageRecord, text: string, strings: StringKeeper): void {
  pkg.cryptoModule = strings.intern(nonEmpty(text));
}
