// Sends one plain-text e-mail through the installation's SMTP server (nodemailer): smtps:// is TLS from the
// start; smtp:// must upgrade with STARTTLS unless the server is on this host (a loopback address), so that
// mail and credentials never cross a network in clear. The server's certificate is checked (against
// OTPGATE_SMTP_CA_FILE when given). A failure comes back as text, never thrown.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createTransport, type Transporter } from 'nodemailer';

/** No answer from the SMTP server within this time is a failed attempt. */
const MAIL_TIMEOUT_MS = 10_000;

export class MailSender {
  readonly #transport: Transporter;

  private readonly from: string;

  constructor(settings: { url: string; from: string; caFile?: string }) {
    this.from = settings.from;
    const smtp = new URL(settings.url);
    const secure = smtp.protocol === 'smtps:';
    const host = smtp.hostname.startsWith('[') ? smtp.hostname.slice(1, -1) : smtp.hostname;
    const loopback = host === 'localhost' || (isIP(host) !== 0 && /^(127\.|::1$|::ffff:127\.)/.test(host));
    this.#transport = createTransport({
      host,
      port: smtp.port ? Number(smtp.port) : secure ? 465 : 587,
      secure,
      ...(smtp.username ? { auth: { user: decodeURIComponent(smtp.username), pass: decodeURIComponent(smtp.password) } } : {}),
      connectionTimeout: MAIL_TIMEOUT_MS,
      greetingTimeout: MAIL_TIMEOUT_MS,
      socketTimeout: MAIL_TIMEOUT_MS,
      disableFileAccess: true,
      disableUrlAccess: true,
      requireTLS: !secure && !loopback,
      tls: { rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(settings.caFile ? { ca: readFileSync(settings.caFile, 'utf8') } : {}) },
    });
  }

  async send(to: string, subject: string, text: string): Promise<{ error: string | null }> {
    try {
      await this.#transport.sendMail({ from: this.from, to, subject, text });
      return { error: null };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }

  close(): void {
    this.#transport.close();
  }
}
