// Outgoing mail behind an interface: the log mailer writes the message (with its link) to the log;
// tests pass a capturing fake. SMTP can be added behind the same interface.
import type { Logger } from '../log.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(msg: MailMessage): Promise<void>;
}

export function logMailer(log: Logger): Mailer {
  return {
    async send(msg) {
      log.info({ to: msg.to, subject: msg.subject, body: msg.text }, 'mail (log mailer: no SMTP configured)');
    },
  };
}

/** Keeps every message in memory: for tests and the e2e run. */
export class CapturingMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(msg: MailMessage): Promise<void> {
    this.sent.push(msg);
  }
  last(): MailMessage | undefined {
    return this.sent.at(-1);
  }
}
