// Seed files for the import benchmark, generated here: the OATH CSV layout, and PSKC (RFC 6030) with every
// secret under a pre-shared AES-128-CBC key and a HMAC-SHA1 ValueMAC (§6.1), as vendors ship them.
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * @param {string} path
 * @param {number} count
 * @param {string} header
 * @param {(i: number) => string} line
 * @param {string} [footer]
 */
async function writeLines(path, count, header, line, footer) {
  const out = createWriteStream(path);
  if (header) out.write(header);
  let chunk = '';
  for (let i = 0; i < count; i++) {
    chunk += line(i);
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk + (footer ?? ''));
  await once(out, 'finish');
}

/**
 * @param {string} prefix
 * @param {number} i
 */
export function serialOf(prefix, i) {
  return `${prefix}${String(i).padStart(9, '0')}`;
}

/**
 * `count` HOTP tokens, SHA-1, 6 digits, counter 0, 20-byte random secrets. Returns the secrets by serial when asked.
 * @param {string} path
 * @param {number} count
 * @param {string} prefix
 * @param {number} [keep] how many of the first tokens' secrets to return
 * @returns {Promise<{ serial: string, secretHex: string }[]>}
 */
export async function writeCsv(path, count, prefix, keep = 0) {
  /** @type {{ serial: string, secretHex: string }[]} */
  const kept = [];
  await writeLines(path, count, '# serial, secret, type, digits, counter, algorithm\n', (i) => {
    const secret = randomBytes(20).toString('hex');
    if (i < keep) kept.push({ serial: serialOf(prefix, i), secretHex: secret });
    return `${serialOf(prefix, i)},${secret},hotp,6,0,sha1\n`;
  });
  return kept;
}

const ENC = 'http://www.w3.org/2001/04/xmlenc#aes128-cbc';

/**
 * @param {Buffer} key
 * @param {Buffer} plaintext
 */
function encrypt(key, plaintext) {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final()]);
}

/**
 * A PSKC file of `count` HOTP keys under the 16-byte pre-shared key `psk`.
 * @param {string} path
 * @param {number} count
 * @param {string} prefix
 * @param {Buffer} psk
 */
export async function writePskc(path, count, prefix, psk) {
  const macKey = randomBytes(20);
  const header =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<pskc:KeyContainer xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Version="1.0">\n' +
    ' <pskc:EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></pskc:EncryptionKey>\n' +
    ' <pskc:MACMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1">\n' +
    `  <pskc:MACKey><xenc:EncryptionMethod Algorithm="${ENC}"/><xenc:CipherData><xenc:CipherValue>${encrypt(psk, macKey).toString('base64')}</xenc:CipherValue></xenc:CipherData></pskc:MACKey>\n` +
    ' </pskc:MACMethod>\n';
  await writeLines(
    path,
    count,
    header,
    (i) => {
      const value = encrypt(psk, randomBytes(20));
      const mac = createHmac('sha1', macKey).update(value).digest('base64');
      return (
        ' <pskc:KeyPackage>\n' +
        `  <pskc:DeviceInfo><pskc:Manufacturer>Bench</pskc:Manufacturer><pskc:SerialNo>${serialOf(prefix, i)}</pskc:SerialNo></pskc:DeviceInfo>\n` +
        `  <pskc:Key Id="${serialOf(prefix, i)}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">\n` +
        '   <pskc:AlgorithmParameters><pskc:ResponseFormat Length="6" Encoding="DECIMAL"/></pskc:AlgorithmParameters>\n' +
        '   <pskc:Data>\n' +
        `    <pskc:Secret><pskc:EncryptedValue><xenc:EncryptionMethod Algorithm="${ENC}"/><xenc:CipherData><xenc:CipherValue>${value.toString('base64')}</xenc:CipherValue></xenc:CipherData></pskc:EncryptedValue><pskc:ValueMAC>${mac}</pskc:ValueMAC></pskc:Secret>\n` +
        '    <pskc:Counter><pskc:PlainValue>0</pskc:PlainValue></pskc:Counter>\n' +
        '   </pskc:Data>\n' +
        '  </pskc:Key>\n' +
        ' </pskc:KeyPackage>\n'
      );
    },
    '</pskc:KeyContainer>\n',
  );
}
