// Types of verify-webhook.mjs, for TypeScript receivers (and otpgate's own tests).
export declare const TOLERANCE_SECONDS: number;
export interface OtpgateEvent {
  id: string;
  type: string;
  occurredAt: string;
  account: string;
  user: string | null;
  serial: string | null;
  actor: string;
  clientIp: string | null;
}
export declare function verifyWebhook(secret: string, signatureHeader: string | string[] | undefined, rawBody: Buffer | string, options?: { nowSeconds?: number; seen?: Set<string> }): OtpgateEvent;
