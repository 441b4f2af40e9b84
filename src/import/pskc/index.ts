// The PSKC (RFC 6030) seed-file reader. Callers need only readPskc and its option types.
export { readPskc, type PskcCredentials, type PskcOptions } from './pskc-reader.js';
