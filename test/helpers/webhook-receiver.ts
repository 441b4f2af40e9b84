// Test fixture, not product code: a webhook receiver on 127.0.0.1 that checks every delivery's signature
// with the code of docs/examples/verify-webhook.mjs, as a real receiver would: a delivery whose signature
// does not match its `secret` (or that replays one already received) is answered 409 and kept in `refused`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, type OtpgateEvent } from '../../docs/examples/verify-webhook.mjs';

export interface WebhookReceiver {
  /** Where to point a webhook. */
  url: string;
  /** The secret deliveries are checked with (set it once `webhook add` has shown it). */
  secret: string;
  /** The events of the deliveries whose signature matched. */
  accepted: OtpgateEvent[];
  /** Why each other delivery was refused. */
  refused: string[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret = ''): Promise<WebhookReceiver> {
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        receiver.accepted.push(verifyWebhook(receiver.secret, req.headers['otpgate-signature'], Buffer.concat(chunks), { seen }));
        res.writeHead(204).end();
      } catch (error) {
        receiver.refused.push((error as Error).message);
        res.writeHead(409).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    secret,
    accepted: [],
    refused: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return receiver;
}
