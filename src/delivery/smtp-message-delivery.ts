import { createTransport, type Transporter } from 'nodemailer'
import type { Clock } from '../clock.js'
import { UndeliverableMessage, type DeliveryRequest, type MessageDelivery } from './message-delivery.js'
import type { RecoveryMessage } from './recovery-message.js'

// An account is mailed when it looks like an address: something@domain.tld, no spaces. The mail
// server has the last word; this only keeps account names that are not addresses ("ann") out of it.
const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export const PASSWORD_RESET_SUBJECT = 'Reset your password'
// nodemailer waits minutes by default; a mail server this slow is down, and the retry or the
// server's close should not wait on it that long.
const SMTP_TIMEOUT_MS = 10_000

export interface SmtpSettings {
  // SMTP_URL: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465.
  url: string
  // MAIL_FROM: the From header, e.g. `Example <no-reply@example.com>`.
  from: string
}

const MS_PER_MINUTE = 60_000

function minutesUntil (expiresAt: string, nowMs: number): number {
  return Math.max(1, Math.round((Date.parse(expiresAt) - nowMs) / MS_PER_MINUTE))
}

function resetMailText (message: RecoveryMessage, nowMs: number): string {
  return [
    'Someone asked to reset the password of this account.',
    '',
    `To choose a new password, open this link within ${minutesUntil(message.expiresAt, nowMs)} minutes:`,
    '',
    message.link,
    '',
    'The link works once. If you did not ask for it, ignore this message: your password stays as it is.'
  ].join('\n')
}

// SMTP_URL with MAIL_FROM: an e-mail to the account, through nodemailer. A plain-text mail only:
// no HTML a mail client could be tricked into rendering, no tracking.
export class SmtpMessageDelivery implements MessageDelivery {
  readonly channel = 'smtp'
  private readonly transport: Transporter

  constructor (private readonly settings: SmtpSettings, private readonly clock: Clock) {
    this.transport = createTransport({
      url: settings.url,
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS
    })
  }

  async deliver ({ id, message }: DeliveryRequest): Promise<void> {
    if (!EMAIL_ADDRESS.test(message.account)) throw new UndeliverableMessage('the account is not an e-mail address')
    await this.transport.sendMail({
      from: this.settings.from,
      to: message.account,
      subject: PASSWORD_RESET_SUBJECT,
      text: resetMailText(message, this.clock()),
      messageId: `<${id}@token-session-auth>`
    })
  }

  close (): void {
    this.transport.close()
  }
}
