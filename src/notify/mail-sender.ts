// Sends one plain-text e-mail through the installation's SMTP server (nodemailer): smtps:// is TLS from the
// start; smtp:// upgrades with STARTTLS when the server offers it. A failure comes back as text, never thrown.
import { createTransport, type Transporter } from 'nodemailer';

/** No answer from the SMTP server within this time is a failed attempt. */
const MAIL_TIMEOUT_MS = 10_000;

export class MailSender {
  readonly #transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    const smtp = new URL(url);
    const secure = smtp.protocol === 'smtps:';
    this.#transport = createTransport({
      host: smtp.hostname.startsWith('[') ? smtp.hostname.slice(1, -1) : smtp.hostname,
      port: smtp.port ? Number(smtp.port) : secure ? 465 : 587,
      secure,
      ...(smtp.username ? { auth: { user: decodeURIComponent(smtp.username), pass: decodeURIComponent(smtp.password) } } : {}),
      connectionTimeout: MAIL_TIMEOUT_MS,
      greetingTimeout: MAIL_TIMEOUT_MS,
      socketTimeout: MAIL_TIMEOUT_MS,
      disableFileAccess: true,
      disableUrlAccess: true,
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
