// RADIUS cryptography: User-Password hiding (RFC 2865 §5.2), the Response Authenticator (RFC 2865 §3) and
// Message-Authenticator (RFC 3579 §3.2). Pure functions of bytes and the shared secret.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  AttributeType,
  AUTHENTICATOR_LENGTH,
  encodeAttributes,
  HEADER_LENGTH,
  MAX_PACKET_LENGTH,
  type RadiusAttribute,
} from './radius-packet.js';

/** RFC 2865 §5.2: the hidden password is 16 to 128 octets, a multiple of 16. */
export const MAX_PASSWORD_LENGTH = 128;
const BLOCK = 16;

function md5(...parts: Buffer[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/**
 * RFC 2865 §5.2: c(1) = p(1) XOR MD5(S + RA), c(i) = p(i) XOR MD5(S + c(i-1)); the password is padded with
 * NULs to a multiple of 16 octets. Throws for a password over 128 octets (a caller's mistake).
 */
export function hideUserPassword(password: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (password.length > MAX_PASSWORD_LENGTH) throw new RangeError('User-Password is longer than 128 octets');
  const paddedLength = Math.max(BLOCK, Math.ceil(password.length / BLOCK) * BLOCK);
  const plain = Buffer.alloc(paddedLength);
  password.copy(plain);
  const hidden = Buffer.alloc(paddedLength);
  let previous = requestAuthenticator;
  for (let offset = 0; offset < paddedLength; offset += BLOCK) {
    const key = md5(secret, previous);
    for (let i = 0; i < BLOCK; i++) hidden[offset + i] = (plain[offset + i] ?? 0) ^ (key[i] ?? 0);
    previous = hidden.subarray(offset, offset + BLOCK);
  }
  return hidden;
}

/**
 * Reverses §5.2 and strips the NUL padding. Returns null for a value whose length is not 16–128 octets in
 * multiples of 16, which the server treats as a malformed packet.
 */
export function unhideUserPassword(hidden: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer | null {
  if (hidden.length < BLOCK || hidden.length > MAX_PASSWORD_LENGTH || hidden.length % BLOCK !== 0) return null;
  const plain = Buffer.alloc(hidden.length);
  let previous = requestAuthenticator;
  for (let offset = 0; offset < hidden.length; offset += BLOCK) {
    const key = md5(secret, previous);
    for (let i = 0; i < BLOCK; i++) plain[offset + i] = (hidden[offset + i] ?? 0) ^ (key[i] ?? 0);
    previous = hidden.subarray(offset, offset + BLOCK);
  }
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  return plain.subarray(0, end);
}

/** RFC 2865 §3: ResponseAuth = MD5(Code + ID + Length + RequestAuth + Attributes + Secret). */
export function responseAuthenticator(reply: Buffer, requestAuthenticator: Buffer, secret: Buffer): Buffer {
  return md5(reply.subarray(0, 4), requestAuthenticator, reply.subarray(HEADER_LENGTH), secret);
}

/** A copy of the packet with every Message-Authenticator value zeroed, as RFC 3579 §3.2 hashes it. */
function withMessageAuthenticatorZeroed(raw: Buffer, authenticator: Buffer): Buffer {
  const copy = Buffer.from(raw);
  authenticator.copy(copy, 4);
  let offset = HEADER_LENGTH;
  while (offset + 2 <= copy.length) {
    const type = copy.readUInt8(offset);
    const length = copy.readUInt8(offset + 1);
    if (length < 2) break;
    if (type === AttributeType.MessageAuthenticator) copy.fill(0, offset + 2, offset + length);
    offset += length;
  }
  return copy;
}

function hmacMd5(secret: Buffer, data: Buffer): Buffer {
  return createHmac('md5', secret).update(data).digest();
}

/**
 * RFC 3579 §3.2: on an Access-Request, Message-Authenticator = HMAC-MD5(secret, packet with the attribute's
 * value zeroed). Compared in constant time. `raw` must be the packet up to its Length field.
 */
export function verifyRequestMessageAuthenticator(raw: Buffer, received: Buffer, secret: Buffer): boolean {
  if (received.length !== AUTHENTICATOR_LENGTH) return false;
  const expected = hmacMd5(secret, withMessageAuthenticatorZeroed(raw, raw.subarray(4, HEADER_LENGTH)));
  return timingSafeEqual(expected, received);
}

/**
 * RFC 3579 §3.2 for replies: the HMAC is taken over the reply with the *request's* authenticator in the header
 * and the Message-Authenticator zeroed. For tests and for checking replies.
 */
export function verifyReplyMessageAuthenticator(reply: Buffer, received: Buffer, requestAuthenticator: Buffer, secret: Buffer): boolean {
  if (received.length !== AUTHENTICATOR_LENGTH) return false;
  const expected = hmacMd5(secret, withMessageAuthenticatorZeroed(reply, requestAuthenticator));
  return timingSafeEqual(expected, received);
}

export interface ReplyToSign {
  code: number;
  identifier: number;
  requestAuthenticator: Buffer;
  /** Attributes after Message-Authenticator, which is always put first (the Blast-RADIUS mitigation). */
  attributes: readonly RadiusAttribute[];
}

/**
 * Builds a signed reply: Message-Authenticator first (CVE-2024-3596: a reply whose first attribute is an
 * HMAC cannot be forged by an MD5 chosen-prefix collision on the Response Authenticator), then the given
 * attributes; then the Response Authenticator over the whole, HMAC included (RFC 3579 §3.2 orders them so).
 * Returns null when the reply would exceed 4096 octets.
 */
export function encodeSignedReply(reply: ReplyToSign, secret: Buffer): Buffer | null {
  const body = encodeAttributes([
    { type: AttributeType.MessageAuthenticator, value: Buffer.alloc(AUTHENTICATOR_LENGTH) },
    ...reply.attributes,
  ]);
  const length = HEADER_LENGTH + body.length;
  if (length > MAX_PACKET_LENGTH) return null;
  const packet = Buffer.alloc(length);
  packet.writeUInt8(reply.code, 0);
  packet.writeUInt8(reply.identifier, 1);
  packet.writeUInt16BE(length, 2);
  reply.requestAuthenticator.copy(packet, 4);
  body.copy(packet, HEADER_LENGTH);
  // The Message-Authenticator value sits right after the header and its own type and length octets.
  hmacMd5(secret, packet).copy(packet, HEADER_LENGTH + 2);
  responseAuthenticator(packet, reply.requestAuthenticator, secret).copy(packet, 4);
  return packet;
}

/** Checks a reply's Response Authenticator against the request it answers (for tests and clients). */
export function verifyResponseAuthenticator(reply: Buffer, requestAuthenticator: Buffer, secret: Buffer): boolean {
  if (reply.length < HEADER_LENGTH) return false;
  return timingSafeEqual(responseAuthenticator(reply, requestAuthenticator, secret), reply.subarray(4, HEADER_LENGTH));
}
