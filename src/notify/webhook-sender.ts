// POSTs one signed webhook delivery with node's own HTTP client, connecting only to addresses the
// installation allows: without OTPGATE_WEBHOOK_ALLOW_PRIVATE, the address actually connected to (after DNS,
// checked inside the connection's own lookup, so a name that resolves elsewhere the second time is still
// caught) must be public. Redirects are never followed: a 3xx is a failed delivery.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from '../core/notifications.js';

/** No answer within this time is a failed attempt. */
export const DELIVERY_TIMEOUT_MS = 5000;

export interface SendResult {
  /** The receiver's HTTP status, or null when it did not answer. */
  status: number | null;
  /** Why the attempt failed, or null for a 2xx answer. */
  error: string | null;
}

export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError';
}

function blocked(host: string, address: string): BlockedAddressError {
  return new BlockedAddressError(`${host} resolves to ${address}, which is not a public address (OTPGATE_WEBHOOK_ALLOW_PRIVATE=true allows it)`);
}

/** A DNS lookup for the connection that refuses non-public addresses. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused) return callback(blocked(hostname, refused.address), '', 4);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 4);
      callback(null, first.address, first.family);
    });
  };
}

/** Every address a host name resolves to must be allowed (checked when a webhook is added). */
export async function checkWebhookHost(hostname: string, allowPrivate: boolean): Promise<void> {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(bare)) {
    if (!allowPrivate && !isPublicAddress(bare)) throw blocked(bare, bare);
    return;
  }
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(bare, { all: true }, (error, found) => (error ? reject(error) : resolve(found))));
  const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
  if (refused) throw blocked(bare, refused.address);
}

/** Sends the body with its headers; never throws for the receiver's or the network's failures. */
export async function sendWebhook(url: string, body: string, headers: Record<string, string>, allowPrivate: boolean, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<SendResult> {
  let target: URL;
  try {
    target = new URL(url);
    // An address literal is connected to without a lookup, so it is checked here.
    const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
    if (isIP(host) && !allowPrivate && !isPublicAddress(host)) throw blocked(host, host);
  } catch (error) {
    return { status: null, error: error instanceof Error ? error.message : String(error) };
  }
  const options: RequestOptions = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'otpgate-webhooks', ...headers },
    lookup: guardedLookup(allowPrivate),
    signal: AbortSignal.timeout(timeoutMs),
    // No pooled sockets: each delivery connects (and is checked) anew.
    agent: false,
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    const req = send(target, options, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => resolve({ status, error: status >= 200 && status < 300 ? null : status >= 300 && status < 400 ? `redirect not followed (HTTP ${status})` : `HTTP ${status}` }));
      res.on('error', (error) => resolve({ status, error: `answer cut off: ${error.message}` }));
    });
    req.on('error', (error) => {
      const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
      resolve({ status: null, error: timedOut ? `no answer in ${timeoutMs / 1000} s` : error.message });
    });
    req.end(body);
  });
}
