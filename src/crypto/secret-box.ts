// AES-256-GCM sealing of secrets at rest. The associated data binds a ciphertext to what it belongs to
// (a token's serial, say), so a ciphertext copied onto another row fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const FORMAT_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/** Layout: version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16). */
export function seal(key: Buffer, plaintext: Buffer, associatedData: string): Buffer {
  if (key.length !== 32) throw new RangeError('AES-256-GCM needs a 32-byte key');
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_VERSION), nonce, ciphertext, cipher.getAuthTag()]);
}

export function open(key: Buffer, sealed: Uint8Array, associatedData: string): Buffer {
  const box = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (box.length < 1 + NONCE_BYTES + TAG_BYTES || box[0] !== FORMAT_VERSION) throw new SecretBoxError('sealed value is malformed');
  const nonce = box.subarray(1, 1 + NONCE_BYTES);
  const tag = box.subarray(box.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(box.subarray(1 + NONCE_BYTES, box.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SecretBoxError('sealed value does not open with this key and identity');
  }
}
