// What the outside is told (webhooks, later e-mail): which audit events are notifications, how a delivery
// is signed, when a failed one is tried again, and which addresses a webhook may reach. Pure: the clock, the
// key and the addresses are given.
import { createHmac } from 'node:crypto';
import ipaddr from 'ipaddr.js';

/** Every notification type, in the order docs/webhooks.md lists them. */
export const NOTIFICATION_TYPES = [
  'token.associated',
  'token.enrolled',
  'token.disassociated',
  'token.locked',
  'token.disabled',
  'token.retired',
  'token.lost_reported',
  'temp_code.issued',
  'user.self_associated',
  'signin.locked_out',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export function isNotificationType(value: string): value is NotificationType {
  return (NOTIFICATION_TYPES as readonly string[]).includes(value);
}

/** The audit event fields that decide whether it is a notification. */
export interface NotifiableEvent {
  action: string;
  outcome: string;
  reason: string | null;
}

/**
 * The notification an audit event is, or null. One audit event is at most one notification: a user who
 * associated their own token at sign-in is `user.self_associated` (not also `token.associated`).
 */
export function notificationOf(event: NotifiableEvent): NotificationType | null {
  switch (event.action) {
    case 'token.associate':
      return event.outcome === 'success' ? 'token.associated' : null;
    case 'token.enrol':
      return event.outcome === 'success' ? 'token.enrolled' : null;
    case 'token.disassociate':
      return event.outcome === 'success' ? 'token.disassociated' : null;
    case 'token.lock':
      return 'token.locked';
    case 'token.disable':
      return event.outcome === 'success' ? 'token.disabled' : null;
    case 'token.retire':
      return event.outcome === 'success' ? 'token.retired' : null;
    case 'token.report_lost':
      return event.outcome === 'success' ? 'token.lost_reported' : null;
    case 'temp_code.issue':
      return event.outcome === 'success' ? 'temp_code.issued' : null;
    case 'signin':
      if (event.outcome === 'accept' && event.reason === 'token_associated') return 'user.self_associated';
      if (event.outcome === 'locked') return 'signin.locked_out';
      return null;
    default:
      return null;
  }
}

/** The events a webhook receives: all of them, or the ones named. */
export type EventFilter = '*' | readonly NotificationType[];

/** The stored form of a filter: `*`, or the types between commas (`,a,b,`) so that one LIKE finds a type. */
export function storedEventFilter(filter: EventFilter): string {
  return filter === '*' ? '*' : `,${[...new Set(filter)].join(',')},`;
}

export function parseStoredEventFilter(stored: string): EventFilter {
  return stored === '*' ? '*' : stored.split(',').filter(isNotificationType);
}

/**
 * The `Otpgate-Signature` header of a delivery: `t=UNIX_SECONDS,v1=HEX`, v1 = HMAC-SHA256(secret, t + "." +
 * body). The timestamp is signed with the body, so a receiver that refuses old timestamps refuses replays.
 */
export function signatureHeader(secret: Buffer, unixSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** How long a failed delivery is tried again for, from the event's time. */
export const RETRY_FOR_MS = 24 * 60 * 60 * 1000;
/** The longest wait between two attempts. */
const LONGEST_WAIT_MS = 60 * 60 * 1000;

/**
 * When a delivery that failed `attempts` times is tried next: waits that double from `firstWaitMs` (capped at
 * an hour), or null once the next attempt would fall after 24 hours from the event (the delivery has failed).
 */
export function nextAttemptAt(createdAt: number, attempts: number, now: number, firstWaitMs: number): number | null {
  const wait = Math.min(LONGEST_WAIT_MS, firstWaitMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  const next = now + wait;
  return next - createdAt > RETRY_FOR_MS ? null : next;
}

/**
 * Whether a webhook may connect to this address without the installation's OTPGATE_WEBHOOK_ALLOW_PRIVATE:
 * only public unicast addresses (not loopback, private, link-local, carrier-grade NAT, multicast, reserved,
 * unique-local, the unspecified address, documentation ranges, an IPv4 address mapped or embedded in IPv6
 * that is one of those, or any other address in IPv6's reserved ::/8, IPv4-compatible forms included).
 */
export function isPublicAddress(text: string): boolean {
  if (!ipaddr.isValid(text)) return false;
  // `::a.b.c.d` is the IPv4-compatible form (RFC 4291 §2.5.5.1), which ipaddr.js reads as if it were mapped.
  if (/^(0{0,4}:){2,6}\d+\.\d+\.\d+\.\d+$/.test(text)) return false;
  let address = ipaddr.parse(text);
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) address = v6.toIPv4Address();
    else if (v6.range() === 'rfc6052' || v6.range() === '6to4' || v6.range() === 'teredo') return false;
    // ::/8 is reserved (RFC 4291 §2.4): besides the mapped form it holds the deprecated IPv4-compatible
    // `::127.0.0.1` (§2.5.5.1) and look-alikes such as `::ffff:0:0:7f00:1`, which ipaddr.js calls unicast
    // and some stacks route to the embedded IPv4 address. No public target is there.
    else if (v6.parts[0]! < 0x100) return false;
  }
  if (address.range() !== 'unicast') return false;
  // ipaddr.js calls the documentation ranges and benchmarking network unicast; they are never a real target.
  const NOT_ROUTED = ['192.0.0.0/24', '192.0.2.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'];
  return !NOT_ROUTED.some((cidr) => {
    const [network, bits] = ipaddr.parseCIDR(cidr);
    return network.kind() === address.kind() && address.match([network, bits]);
  });
}

/** Who is mailed a notification: the user concerned, and for a lost token or a lock-out the administrators too. */
export function mailRecipients(type: string, userEmail: string | null, adminEmails: readonly string[]): string[] {
  const toAdmins = type === 'token.lost_reported' || type === 'signin.locked_out';
  return [...(userEmail ? [userEmail] : []), ...(toAdmins ? adminEmails : [])];
}

/** What a notification says to a person (plain text; never a passcode, password or secret). */
export interface MailFields {
  type: string;
  occurredAt: string;
  account: string;
  user: string | null;
  serial: string | null;
  clientIp: string | null;
}

const MAIL_SUBJECTS: Record<NotificationType, string> = {
  'token.associated': 'A token was associated with your account',
  'token.enrolled': 'An authenticator app was added to your account',
  'token.disassociated': 'A token was removed from your account',
  'token.locked': 'Your token was locked after failed passcodes',
  'token.disabled': 'Your token was disabled',
  'token.retired': 'Your token was retired',
  'token.lost_reported': 'A token was reported lost',
  'temp_code.issued': 'A temporary sign-in code was issued for your account',
  'user.self_associated': 'You associated a token with your account',
  'signin.locked_out': 'A sign-in was refused: the token is locked',
};

export function mailOf(fields: MailFields): { subject: string; text: string } {
  const subject = `otpgate: ${isNotificationType(fields.type) ? MAIL_SUBJECTS[fields.type] : fields.type}`;
  const lines = [
    `${subject.slice('otpgate: '.length)}.`,
    '',
    `When:     ${fields.occurredAt}`,
    `Account:  ${fields.account}`,
    ...(fields.user ? [`User:     ${fields.user}`] : []),
    ...(fields.serial ? [`Token:    ${fields.serial}`] : []),
    ...(fields.clientIp ? [`From:     ${fields.clientIp}`] : []),
    '',
    'If this was not you or your administrator, tell your administrator at once.',
    '',
    `(event ${fields.type})`,
  ];
  return { subject, text: `${lines.join('\n')}\n` };
}

/** A delivery's state, as the health page shows it (a webhook's or an e-mail's). */
export interface DeliveryFacts {
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** The HTTP status of the last attempt (webhooks), null when no answer came. */
  lastStatus: number | null;
  lastError: string | null;
}

/** Why the last attempt failed, in words: the HTTP answer's meaning or what the network said. */
export function describeSendError(lastStatus: number | null, lastError: string | null): string {
  if (lastStatus !== null && lastStatus >= 300 && lastStatus < 400) return `the receiver redirected elsewhere (HTTP ${lastStatus}); redirects are not followed`;
  if (lastStatus === 401 || lastStatus === 403) return `the receiver refused it (HTTP ${lastStatus}): check its signing secret or access`;
  if (lastStatus === 404 || lastStatus === 410) return `the receiver has no such address (HTTP ${lastStatus}): check the URL`;
  if (lastStatus !== null && lastStatus >= 400 && lastStatus < 500) return `the receiver did not accept it (HTTP ${lastStatus})`;
  if (lastStatus !== null && lastStatus >= 500) return `the receiver had an error (HTTP ${lastStatus})`;
  const error = lastError ?? '';
  if (/ECONNREFUSED/.test(error)) return 'nothing accepted the connection at that address and port';
  if (/ENOTFOUND|EAI_AGAIN|has no address/.test(error)) return 'the host name could not be found';
  if (/^no answer in|ETIMEDOUT|timed? ?out/i.test(error)) return 'no answer in time';
  if (/ECONNRESET|socket hang up|cut off/.test(error)) return 'the connection was cut off';
  if (/not a public address/.test(error)) return 'the address is on a private network, which webhooks may not reach here';
  if (/certificate|CERT_|SSL|TLS/i.test(error)) return 'its TLS certificate was not accepted';
  if (/auth|535|530/i.test(error)) return 'the mail server refused the sign-in';
  return error === '' ? 'not accepted' : error;
}

/** A delivery's result in words: delivered, still trying (and why), or given up (and why). */
export function describeDelivery(d: DeliveryFacts): string {
  const tries = d.attempts === 1 ? '1 attempt' : `${d.attempts} attempts`;
  if (d.status === 'delivered') return d.attempts > 1 ? `Delivered (after ${tries})` : 'Delivered';
  if (d.status === 'pending') return d.attempts === 0 ? 'Waiting to be sent' : `Not delivered yet, will try again: ${describeSendError(d.lastStatus, d.lastError)} (${tries} so far)`;
  return `Not delivered, given up after ${tries}: ${describeSendError(d.lastStatus, d.lastError)}`;
}
