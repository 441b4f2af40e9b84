// What the PSKC reader produces: one PskcKeyRecord per Key, with its KeyPackage's device data merged in.
// The records are raw facts from the file; pskc-key.ts judges whether each can become a token.

/** Everything otpgate reads from one Key, with its KeyPackage's device data merged in. */
export interface PskcKeyRecord {
  /** 1-based position of the Key in the file. */
  index: number;
  /** `key 3 (Id 12345678)`: how messages name this key. */
  source: string;
  id: string | null;
  algorithm: string | null;
  serial: string | null;
  manufacturer: string | null;
  model: string | null;
  issueNo: string | null;
  cryptoModule: string | null;
  deviceStartDate: Date | null;
  deviceExpiryDate: Date | null;
  issuer: string | null;
  friendlyName: string | null;
  keyReference: string | null;
  secret: Buffer | null;
  counter: bigint | null;
  /** RFC 6030 §4.3.4 Time: T0 of a time-based algorithm. */
  time: bigint | null;
  timeInterval: bigint | null;
  timeDrift: bigint | null;
  responseLength: number | null;
  responseEncoding: string | null;
  suite: string | null;
  keyUsage: string[];
  startDate: Date | null;
  expiryDate: Date | null;
  pinKeyId: string | null;
  pinUsageMode: string | null;
  /** RFC 6030 §5: a Policy child or PINPolicy attribute this reader does not understand. */
  unknownPolicy: boolean;
}

/** One KeyPackage (RFC 6030 §4.3.1 DeviceInfo, CryptoModuleInfo) and its keys, until the package ends. */
export interface PackageRecord {
  serial: string | null;
  manufacturer: string | null;
  model: string | null;
  issueNo: string | null;
  cryptoModule: string | null;
  startDate: Date | null;
  expiryDate: Date | null;
  keys: PskcKeyRecord[];
}

export function newPackage(): PackageRecord {
  return { serial: null, manufacturer: null, model: null, issueNo: null, cryptoModule: null, startDate: null, expiryDate: null, keys: [] };
}

export function newKeyRecord(index: number, id: string | null, algorithm: string | null): PskcKeyRecord {
  return {
    index,
    source: id === null ? `key ${index}` : `key ${index} (Id ${id})`,
    id,
    algorithm,
    serial: null,
    manufacturer: null,
    model: null,
    issueNo: null,
    cryptoModule: null,
    deviceStartDate: null,
    deviceExpiryDate: null,
    issuer: null,
    friendlyName: null,
    keyReference: null,
    secret: null,
    counter: null,
    time: null,
    timeInterval: null,
    timeDrift: null,
    responseLength: null,
    responseEncoding: null,
    suite: null,
    keyUsage: [],
    startDate: null,
    expiryDate: null,
    pinKeyId: null,
    pinUsageMode: null,
    unknownPolicy: false,
  };
}

/** The package's keys with its device data filled in, once the package has ended. */
export function keysOfPackage(pkg: PackageRecord): PskcKeyRecord[] {
  for (const key of pkg.keys) {
    key.serial = pkg.serial;
    key.manufacturer = pkg.manufacturer;
    key.model = pkg.model;
    key.issueNo = pkg.issueNo;
    key.cryptoModule = pkg.cryptoModule;
    key.deviceStartDate = pkg.startDate;
    key.deviceExpiryDate = pkg.expiryDate;
  }
  return pkg.keys;
}
