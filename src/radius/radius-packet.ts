// RADIUS packet layout (RFC 2865 §3 and §5): decoding with the RFC's limits, and encoding of replies'
// attribute lists. Pure functions over bytes; the authenticators live in radius-auth.ts.

/** RFC 2865 §3: a packet is at least 20 and at most 4096 octets. */
export const MIN_PACKET_LENGTH = 20;
export const MAX_PACKET_LENGTH = 4096;
export const HEADER_LENGTH = 20;
export const AUTHENTICATOR_LENGTH = 16;

export const PacketCode = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccessChallenge: 11,
} as const;
export type PacketCode = (typeof PacketCode)[keyof typeof PacketCode];

export const AttributeType = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  ReplyMessage: 18,
  State: 24,
  CallingStationId: 31,
  ProxyState: 33,
  EapMessage: 79,
  MessageAuthenticator: 80,
} as const;

export interface RadiusAttribute {
  type: number;
  value: Buffer;
}

export interface RadiusPacket {
  code: number;
  identifier: number;
  /** The Request Authenticator of a request, or the Response Authenticator of a reply. */
  authenticator: Buffer;
  attributes: RadiusAttribute[];
  /** The packet's octets up to its Length field (any trailing padding removed); authenticators are computed over these. */
  raw: Buffer;
}

/**
 * Decodes one datagram, or returns null for anything malformed; the server then drops it silently.
 * RFC 2865 §3: octets beyond the Length field are padding and ignored; a datagram shorter than its Length
 * field, or a Length outside 20–4096, is discarded. §5: every attribute's length is at least 2 and the
 * attributes must fill the packet exactly.
 */
export function decodePacket(datagram: Buffer): RadiusPacket | null {
  if (datagram.length < MIN_PACKET_LENGTH) return null;
  const length = datagram.readUInt16BE(2);
  if (length < MIN_PACKET_LENGTH || length > MAX_PACKET_LENGTH || length > datagram.length) return null;
  const raw = Buffer.from(datagram.subarray(0, length));
  const attributes: RadiusAttribute[] = [];
  let offset = HEADER_LENGTH;
  while (offset < length) {
    if (offset + 2 > length) return null;
    const type = raw.readUInt8(offset);
    const attributeLength = raw.readUInt8(offset + 1);
    if (attributeLength < 2 || offset + attributeLength > length) return null;
    attributes.push({ type, value: raw.subarray(offset + 2, offset + attributeLength) });
    offset += attributeLength;
  }
  return {
    code: raw.readUInt8(0),
    identifier: raw.readUInt8(1),
    authenticator: raw.subarray(4, HEADER_LENGTH),
    attributes,
    raw,
  };
}

/** The attributes of one type, in the order they came. */
export function attributesOf(packet: Pick<RadiusPacket, 'attributes'>, type: number): Buffer[] {
  return packet.attributes.filter((attribute) => attribute.type === type).map((attribute) => attribute.value);
}

/** Attribute values are at most 253 octets (RFC 2865 §5: the Length octet counts type and length too). */
export const MAX_ATTRIBUTE_VALUE_LENGTH = 253;

/** Lays out an attribute list; throws on a value that cannot fit, which is a programming error here. */
export function encodeAttributes(attributes: readonly RadiusAttribute[]): Buffer {
  const parts: Buffer[] = [];
  for (const { type, value } of attributes) {
    if (!Number.isInteger(type) || type < 1 || type > 255) throw new RangeError(`invalid attribute type ${type}`);
    if (value.length > MAX_ATTRIBUTE_VALUE_LENGTH) throw new RangeError(`attribute ${type} value too long`);
    parts.push(Buffer.from([type, value.length + 2]), value);
  }
  return Buffer.concat(parts);
}

/** RFC 2865 §5.18: Reply-Message is UTF-8 text; a longer message would be split, ours never are. */
export function textAttribute(type: number, text: string): RadiusAttribute {
  return { type, value: Buffer.from(text, 'utf8') };
}
