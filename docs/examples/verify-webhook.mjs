// How a webhook receiver checks otpgate's signature (docs/webhooks.md). Plain Node.js, no dependency;
// otpgate's own tests import this file and run it against real deliveries.
//
//   Otpgate-Signature: t=1764590000,v1=5f2c…   (v1 = HMAC-SHA256(secret, t + "." + raw body), hex)
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How old a delivery's timestamp may be (and how far in the future), in seconds. */
export const TOLERANCE_SECONDS = 300;

/**
 * Returns the parsed event when the signature is right and the timestamp is recent; throws otherwise.
 * `rawBody` must be the exact bytes received (a Buffer or string), before any JSON parsing.
 * `seen` (optional) is a Set of event ids already accepted: a replayed delivery is refused.
 */
export function verifyWebhook(secret, signatureHeader, rawBody, { nowSeconds = Math.floor(Date.now() / 1000), seen } = {}) {
  const parts = Object.fromEntries(
    String(signatureHeader ?? '')
      .split(',')
      .map((part) => part.trim().split('=', 2)),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string' || !/^[0-9a-f]{64}$/.test(parts.v1)) throw new Error('malformed Otpgate-Signature header');
  if (Math.abs(nowSeconds - t) > TOLERANCE_SECONDS) throw new Error('timestamp outside the tolerance: a replay, or a clock far off');
  const body = Buffer.isBuffer(rawBody) ? rawBody.toString('utf8') : String(rawBody);
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(parts.v1, 'hex'))) throw new Error('signature does not match');
  const event = JSON.parse(body);
  if (seen) {
    // A retry of a delivery that did reach you carries the same id: answer 2xx again, but act once.
    if (seen.has(event.id)) throw new Error(`event ${event.id} already received`);
    seen.add(event.id);
  }
  return event;
}
