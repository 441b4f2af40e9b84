// The OATH CSV seed layout that LinOTP and privacyIDEA read:
//   serial, secret (hex), type (hotp|totp, default hotp), digits (default 6), counter or time step, algorithm
// one token a line, `#` comment lines. Any malformed line refuses the whole file, named by its number.
import { isHashAlgorithm } from '../core/hotp.js';
import { normalizeSerial } from '../core/serial.js';
import { SeedFileError, type ImportedKey, type ReadResult, type SkippedKey } from './imported-key.js';
import { ImportSize } from './import-limit.js';
import { checkSecretLength, refuseDuplicateSerials } from './key-rules.js';
import { isWellFormedText } from '../core/text.js';

export interface CsvOptions {
  allowShortSecrets?: boolean;
  /** Default DEFAULT_IMPORT_LIMIT_BYTES (128 MiB); larger input is refused with SeedFileError('resource_limit'). */
  maxBytes?: number;
  onProgress?: (keysRead: number) => void;
}

const MAX_LINE_LENGTH = 4096;
/** A line's bytes are refused beyond this, before it is decoded (a UTF-8 character is at most 4 bytes). */
const MAX_LINE_BYTES = 4 * MAX_LINE_LENGTH;

const NOT_UTF8 = 'the line is not valid UTF-8 text';

/**
 * The file's lines, numbered from 1, each decoded as strict UTF-8: a line holding bytes that are not UTF-8
 * refuses the file, named by its number, instead of being read with U+FFFD in their place. Lines end at
 * LF, CRLF or a lone CR. Text chunks (from callers in the process) must be well-formed Unicode.
 */
async function* numberedLines(input: AsyncIterable<Buffer | string>, size: ImportSize): AsyncGenerator<{ text: string; number: number }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  function* split(bytes: Buffer): Generator<{ text: string; number: number }> {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new SeedFileError('not_csv', NOT_UTF8, `line ${number + 1}`);
    }
    // Inside one LF-ended piece: a trailing CR is part of CRLF; any other CR ends a line of its own.
    for (const line of (text.endsWith('\r') ? text.slice(0, -1) : text).split('\r')) yield { text: line, number: ++number };
  }
  for await (const chunk of input) {
    size.add(chunk);
    if (typeof chunk === 'string' && !isWellFormedText(chunk)) {
      const before = chunk.slice(0, chunk.search(/\p{Cs}/u));
      throw new SeedFileError('not_csv', NOT_UTF8, `line ${number + before.split('\n').length}`);
    }
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    for (let end = bytes.indexOf(0x0a); end >= 0; end = bytes.indexOf(0x0a)) {
      pending.push(bytes.subarray(0, end));
      yield* split(Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
      bytes = bytes.subarray(end + 1);
    }
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes > MAX_LINE_BYTES) throw new SeedFileError('resource_limit', `the line is over ${MAX_LINE_LENGTH} characters`, `line ${number + 1}`);
  }
  if (pendingBytes > 0) yield* split(Buffer.concat(pending));
}

function splitFields(line: string): string[] {
  return line.split(',').map((field) => field.trim().replace(/^"(.*)"$/, '$1').trim());
}

function parseLine(fields: string[], source: string): ImportedKey {
  const [serialText = '', secretText = '', typeText = '', digitsText = '', counterText = '', algorithmText = ''] = fields;
  if (fields.length > 6) throw new SeedFileError('invalid_structure', `expected at most 6 columns, found ${fields.length}`, source);
  // A spreadsheet saved with a semicolon (or tab) as the list separator: one column holding them all.
  if (fields.length === 1 && /[;\t]/.test(serialText)) {
    throw new SeedFileError('invalid_structure', `the columns must be comma-separated (this line uses ${serialText.includes(';') ? 'semicolons' : 'tabs'})`, source);
  }
  if (serialText === '') throw new SeedFileError('invalid_value', 'missing serial (column 1)', source);
  if (secretText === '') throw new SeedFileError('invalid_value', 'missing secret (column 2)', source);
  const serial = normalizeSerial(serialText);
  if (!serial) throw new SeedFileError('invalid_value', `serial "${serialText}" is not 1-64 of A-Z a-z 0-9 - _`, source);
  const hex = secretText.replace(/\s+/g, '');
  if (hex === '' || !/^[0-9a-fA-F]+$/.test(hex)) throw new SeedFileError('invalid_value', 'the secret is not hexadecimal (only 0-9 and a-f)', source);
  if (hex.length % 2 !== 0) throw new SeedFileError('invalid_value', `the secret has an odd number of hexadecimal digits (${hex.length}): two digits make one byte`, source);
  const type = (typeText || 'hotp').toLowerCase();
  if (type !== 'hotp' && type !== 'totp') throw new SeedFileError('invalid_value', `type "${typeText}" is not hotp or totp`, source);
  const digits = digitsText === '' ? 6 : Number(digitsText);
  if (!/^[0-9]*$/.test(digitsText) || digits < 6 || digits > 8) throw new SeedFileError('invalid_value', `digits "${digitsText}" is not 6, 7 or 8`, source);
  if (counterText !== '' && !/^[0-9]{1,15}$/.test(counterText)) {
    throw new SeedFileError('invalid_value', `${type === 'hotp' ? 'counter' : 'time step'} "${counterText}" is not a whole number`, source);
  }
  const number = counterText === '' ? null : Number(counterText);
  if (type === 'totp' && number === 0) throw new SeedFileError('invalid_value', 'a TOTP time step must be positive', source);
  const algorithm = (algorithmText || 'sha1').toUpperCase();
  if (!isHashAlgorithm(algorithm)) throw new SeedFileError('invalid_value', `algorithm "${algorithmText}" is not sha1, sha256 or sha512`, source);
  return {
    serial,
    type,
    algorithm,
    digits,
    counter: type === 'hotp' ? (number ?? 0) : 0,
    periodInSeconds: type === 'totp' ? (number ?? 30) : null,
    timeOffsetInSeconds: 0,
    secret: Buffer.from(hex, 'hex'),
    source,
  };
}

export async function readCsv(input: AsyncIterable<Buffer | string>, options: CsvOptions = {}): Promise<ReadResult> {
  const keys: ImportedKey[] = [];
  const skipped: SkippedKey[] = [];
  for await (const { text: raw, number: lineNumber } of numberedLines(input, new ImportSize(options.maxBytes))) {
    const source = `line ${lineNumber}`;
    if (raw.length > MAX_LINE_LENGTH) throw new SeedFileError('resource_limit', `the line is over ${MAX_LINE_LENGTH} characters`, source);
    const line = (lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.includes('\0')) throw new SeedFileError('not_csv', 'the file is binary, not CSV text', source);
    const fields = splitFields(line);
    // A header line naming the columns is allowed, once, before any token.
    if (keys.length === 0 && skipped.length === 0 && fields[0]?.toLowerCase() === 'serial') continue;
    const key = parseLine(fields, source);
    const problem = checkSecretLength(key, options.allowShortSecrets ?? false);
    if (problem) skipped.push({ serial: key.serial, source, reason: problem });
    else keys.push(key);
    if ((keys.length + skipped.length) % 1000 === 0) options.onProgress?.(keys.length + skipped.length);
  }
  options.onProgress?.(keys.length + skipped.length);
  refuseDuplicateSerials(keys);
  return { keys, skipped };
}
