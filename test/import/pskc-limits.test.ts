// Properties: hostile input is refused early with bounded memory (DOCTYPE/entities, deep nesting, huge
// text, oversized files); the reader streams (a large file never sits in memory as a whole, and a key
// split across chunk boundaries parses); validity dates, duplicate serials and short secrets follow the
// SPEC's rules.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SeedFileError } from '../../src/import/imported-key.js';
import { type PskcOptions, readPskc } from '../../src/import/pskc/index.js';
import { decodeBase64, decodePlainInteger } from '../../src/import/pskc/pskc-values.js';
import { CORPUS, CORPUS_SKIP, NOW, chunked } from './pskc-helpers.js';

const MiB = 1024 * 1024;

/** Wraps an input so the peak heap growth while it is consumed can be read afterwards. */
function heapWatch(input: AsyncIterable<Buffer | string>) {
  const start = process.memoryUsage().heapUsed;
  const watch = {
    peakGrowth: 0,
    async *stream(): AsyncGenerator<Buffer | string> {
      let count = 0;
      for await (const chunk of input) {
        if (count++ % 16 === 0) watch.peakGrowth = Math.max(watch.peakGrowth, process.memoryUsage().heapUsed - start);
        yield chunk;
      }
      watch.peakGrowth = Math.max(watch.peakGrowth, process.memoryUsage().heapUsed - start);
    },
  };
  return watch;
}

async function category(input: AsyncIterable<Buffer | string>, options: Partial<PskcOptions> = {}): Promise<string> {
  try {
    await readPskc(input, {}, { now: NOW, ...options });
  } catch (error) {
    assert.ok(error instanceof SeedFileError, String(error));
    return error.category;
  }
  return 'accepted';
}

async function* strings(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield await Promise.resolve(part);
}

function keyPackage(serial: string, secretBase64: string, extra = '', policy = ''): string {
  return `<KeyPackage><DeviceInfo><Manufacturer>Test</Manufacturer><SerialNo>${serial}</SerialNo></DeviceInfo>
<Key Id="${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"><Issuer>Issuer</Issuer>${extra}
<AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
<Data><Secret><PlainValue>${secretBase64}</PlainValue></Secret><Counter><PlainValue>7</PlainValue></Counter></Data>${policy}</Key></KeyPackage>\n`;
}
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">\n';
const TAIL = '</KeyContainer>\n';
const SECRET = Buffer.from('12345678901234567890').toString('base64');

describe('hostile files are refused with bounded memory', () => {
  it('5 MiB of nested elements: resource_limit, heap growth under 16 MiB', { skip: CORPUS_SKIP }, async () => {
    const watch = heapWatch(chunked(readFileSync(join(CORPUS, 'hostile/deep-nesting-5mb.pskcxml')), 65_536));
    assert.equal(await category(watch.stream()), 'resource_limit');
    assert.ok(watch.peakGrowth < 16 * MiB, `heap grew ${watch.peakGrowth} bytes`);
  });

  it('billion laughs: forbidden_dtd without expanding anything', { skip: CORPUS_SKIP }, async () => {
    const watch = heapWatch(chunked(readFileSync(join(CORPUS, 'hostile/billion-laughs.pskcxml')), 512));
    assert.equal(await category(watch.stream()), 'forbidden_dtd');
    assert.ok(watch.peakGrowth < 16 * MiB, `heap grew ${watch.peakGrowth} bytes`);
  });

  it('any DOCTYPE, even without entities, and XInclude are refused', async () => {
    assert.equal(await category(strings('<?xml version="1.0"?><!DOCTYPE KeyContainer>', HEAD.slice(HEAD.indexOf('\n') + 1), TAIL)), 'forbidden_dtd');
    const xinclude = `${HEAD}<KeyPackage><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/></KeyPackage>${TAIL}`;
    assert.equal(await category(strings(xinclude)), 'forbidden_dtd');
  });

  it('a text node larger than the limit: resource_limit before it is buffered whole', async () => {
    async function* hugeText(): AsyncGenerator<string> {
      yield `${HEAD}<KeyPackage><DeviceInfo><Manufacturer>`;
      const block = 'A'.repeat(65_536);
      for (let i = 0; i < 200; i++) yield await Promise.resolve(block); // 12.5 MiB of text in one element
      yield `</Manufacturer></DeviceInfo></KeyPackage>${TAIL}`;
    }
    const watch = heapWatch(hugeText());
    assert.equal(await category(watch.stream()), 'resource_limit');
    assert.ok(watch.peakGrowth < 16 * MiB, `heap grew ${watch.peakGrowth} bytes`);
  });

  it('input over maxBytes: resource_limit', async () => {
    const body = HEAD + keyPackage('1000000000001', SECRET) + TAIL;
    assert.equal(await category(strings(body), { maxBytes: 100 }), 'resource_limit');
  });

  it('not UTF-8, empty, or not XML: not_xml', async () => {
    assert.equal(await category(chunked(Buffer.from([0x3c, 0xff, 0xfe, 0x3e]), 4)), 'not_xml');
    assert.equal(await category(strings('')), 'not_xml');
    assert.equal(await category(strings('just text')), 'not_xml');
  });
});

describe('streaming', () => {
  it('20,000 keys generated as a stream of chunks import with heap growth well below the input size', async () => {
    const keys = 20_000;
    // About 4.5 KiB of ignored vendor data per key makes the input ~90 MiB; a DOM of it would not fit the bound.
    const padding = `<Extensions><Vendor xmlns="urn:example:vendor">${'x'.repeat(4_500)}</Vendor></Extensions>`;
    let inputBytes = 0;
    async function* generate(): AsyncGenerator<string> {
      yield HEAD;
      for (let i = 0; i < keys; i++) {
        const chunk = keyPackage(String(1_000_000_000_000 + i), SECRET, '', padding);
        inputBytes += chunk.length;
        yield await Promise.resolve(chunk);
      }
      yield TAIL;
    }
    const watch = heapWatch(generate());
    let progress = 0;
    const result = await readPskc(watch.stream(), {}, { now: NOW, maxBytes: 256 * MiB, onProgress: (n) => (progress = n) });
    assert.equal(result.keys.length, keys);
    assert.equal(progress, keys);
    assert.equal(result.keys[12_345]?.serial, '1000000012345');
    assert.ok(inputBytes > 80 * MiB);
    // Well below the input (~95 MiB): a reader that held the document, or even the input text, could not stay
    // under it. Not tighter: when V8 collects varies by version (Node 24 once peaked at 50 MiB here).
    assert.ok(watch.peakGrowth < 64 * MiB, `heap grew ${watch.peakGrowth} bytes for ${inputBytes} bytes of input`);
  });

  it('a key split at every possible chunk boundary, even inside a UTF-8 character, parses the same', async () => {
    const body = Buffer.from(HEAD + keyPackage('1000000000001', SECRET, '<FriendlyName>Jürgen’s token</FriendlyName>') + TAIL);
    const whole = await readPskc(chunked(body, body.length), {}, { now: NOW });
    assert.equal(whole.keys[0]?.friendlyName, 'Jürgen’s token');
    for (const size of [1, 2, 3, 7, 64]) {
      const split = await readPskc(chunked(body, size), {}, { now: NOW });
      assert.deepEqual(split, whole, `chunks of ${size} bytes`);
    }
  });
});

describe('validity dates, duplicate serials and short secrets', { skip: CORPUS_SKIP }, () => {
  const figure10 = () => chunked(readFileSync(join(CORPUS, 'rfc6030/figure10.pskcxml')), 4096);

  it('successive validity periods of one serial: the one valid now imports, the other is skipped', async () => {
    const march = await readPskc(figure10(), {}, { now: new Date('2006-03-15T00:00:00Z'), allowShortSecrets: true });
    assert.deepEqual(march.keys.map((key) => key.source), ['key 3 (Id 3)']);
    const key4 = march.skipped.find((skip) => skip.source === 'key 4 (Id 4)');
    assert.match(key4?.reason ?? '', /not valid before 2006-04-01.*superseded by key 3/);

    const april = await readPskc(figure10(), {}, { now: new Date('2006-04-15T00:00:00Z') });
    assert.deepEqual(april.keys.map((key) => key.source), ['key 4 (Id 4)']);
    assert.match(april.skipped.find((skip) => skip.source === 'key 3 (Id 3)')?.reason ?? '', /expired on 2006-03-31/);
    // Keys 1 and 2 are not yet valid in April either (they start 2006-05-01).
    assert.equal(april.skipped.length, 3);
  });

  it('two usable keys of one serial with overlapping validity refuse the file', async () => {
    const policy = (start: string, end: string) => `<Policy><StartDate>${start}</StartDate><ExpiryDate>${end}</ExpiryDate></Policy>`;
    const overlapping = HEAD + keyPackage('ABC-1', SECRET, '', policy('2026-01-01T00:00:00Z', '2026-12-31T00:00:00Z')) +
      keyPackage('ABC-1', SECRET, '', policy('2026-06-01T00:00:00Z', '2027-12-31T00:00:00Z')) + TAIL;
    assert.equal(await category(strings(overlapping)), 'duplicate_serial');
    const disjoint = HEAD + keyPackage('ABC-1', SECRET, '', policy('2025-01-01T00:00:00Z', '2025-12-31T00:00:00Z')) +
      keyPackage('ABC-1', SECRET, '', policy('2026-01-01T00:00:00Z', '2027-12-31T00:00:00Z')) + TAIL;
    const result = await readPskc(strings(disjoint), {}, { now: NOW });
    assert.equal(result.keys.length, 1);
    assert.match(result.skipped[0]?.reason ?? '', /expired on 2025-12-31.*superseded by key 2/);
  });

  it('a secret under 128 bits is skipped, naming the option, and imports with allowShortSecrets', async () => {
    const file = () => chunked(readFileSync(join(CORPUS, 'rfc6030/figure2.pskcxml')), 4096);
    const strict = await readPskc(file(), {}, { now: NOW });
    assert.match(strict.skipped[0]?.reason ?? '', /32 bits.*allowShortSecrets/);
    const lenient = await readPskc(file(), {}, { now: NOW, allowShortSecrets: true });
    assert.equal(lenient.keys[0]?.secret.toString(), '1234');
  });
});

describe('value decoding', () => {
  it('base64 is strict: bad characters or padding are invalid_value, white space is allowed', () => {
    assert.equal(decodeBase64(' MTIz\n NA== ', 'x').toString(), '1234');
    for (const bad of ['MTIzNA=', 'MTIz*A==', 'MTIzNA==MTIz', '%%%']) {
      assert.throws(() => decodeBase64(bad, 'x'), (error: unknown) => error instanceof SeedFileError && error.category === 'invalid_value', bad);
    }
  });

  it('integers: decimal text, base64 of ASCII digits, base64 of big-endian bytes', () => {
    assert.equal(decodePlainInteger('831791', 'x'), 831_791n);
    assert.equal(decodePlainInteger('NzA5Nzkx', 'x'), 709_791n);
    assert.equal(decodePlainInteger('AAYxSg==', 'x'), 405_834n);
    assert.throws(() => decodePlainInteger('TWELVE', 'x'), (error: unknown) => error instanceof SeedFileError && error.category === 'invalid_value');
  });
});
