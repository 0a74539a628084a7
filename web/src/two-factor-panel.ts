import { toCanvas } from 'qrcode'
import { elementById } from './dom.js'
import type { Wordings } from './error-messages.js'
import { withRecentSignIn } from './recent-sign-in.js'
import { ERROR_CODES, type AuthClient } from './sdk.js'
import { announce } from './status.js'
import type { FailureReporter } from './notes-panel.js'

const setupButton = elementById('totp-setup', HTMLButtonElement)
const setupPanel = elementById('totp-setup-panel', HTMLDivElement)
const qrCanvas = elementById('totp-qr', HTMLCanvasElement)
const secretText = elementById('totp-secret', HTMLElement)
const backupPanel = elementById('totp-backup-panel', HTMLDivElement)
const backupList = elementById('totp-backup-codes', HTMLUListElement)
const disableForm = elementById('totp-disable-form', HTMLFormElement)

const SETUP_WORDINGS: Wordings = { [ERROR_CODES.accountTaken]: 'Two-factor authentication is on already. Turn it off first to set up another app.' }
const CODE_WORDINGS: Wordings = {
  [ERROR_CODES.wrongCredentials]: 'That code is wrong, or was used already. Try the next one.',
  [ERROR_CODES.notFound]: 'Nothing to do: set up two-factor authentication first, or it is off already.'
}
// Big enough for a phone's camera from a screen.
const QR_WIDTH_PX = 200

// The signed-in view's "Two-factor authentication" section. The QR code is drawn here, from the
// otpauth URI the server sent, by the qrcode library bundled into the page: the secret goes
// nowhere but this page and the app.
export class TwoFactorPanel {
  constructor (private readonly client: AuthClient, private readonly reportFailure: FailureReporter) {}

  // Offers what can be done: setting up when the factor is off, turning it off when it is on.
  async load (): Promise<void> {
    this.showEnabled(await this.client.totpEnabled())
  }

  async setUp (): Promise<void> {
    try {
      const { secret, otpauthUri } = await withRecentSignIn(this.client, async () => await this.client.setUpTotp())
      await toCanvas(qrCanvas, otpauthUri, { width: QR_WIDTH_PX })
      secretText.textContent = secret
      backupPanel.hidden = true
      setupPanel.hidden = false
      setupButton.hidden = true
    } catch (error) {
      this.reportFailure(error, SETUP_WORDINGS)
    }
  }

  async confirm (code: string): Promise<boolean> {
    try {
      const backupCodes = await this.client.confirmTotp(code.trim())
      backupList.replaceChildren(...backupCodes.map((backupCode) => {
        const item = document.createElement('li')
        item.textContent = backupCode
        return item
      }))
      setupPanel.hidden = true
      secretText.textContent = ''
      backupPanel.hidden = false
      this.showEnabled(true)
      announce('Two-factor authentication is on. Save your backup codes now: they are not shown again.')
      return true
    } catch (error) {
      this.reportFailure(error, CODE_WORDINGS)
      return false
    }
  }

  async disable (code: string): Promise<boolean> {
    try {
      const ended = await this.client.disableTotp(code.trim())
      this.reset()
      this.showEnabled(false)
      announce(`Two-factor authentication is off.${ended === 0 ? '' : ` ${ended} other ${ended === 1 ? 'session was' : 'sessions were'} signed out.`}`)
      return true
    } catch (error) {
      this.reportFailure(error, CODE_WORDINGS)
      return false
    }
  }

  // Nothing of a secret or of backup codes stays in the page once signed out.
  reset (): void {
    setupPanel.hidden = true
    backupPanel.hidden = true
    secretText.textContent = ''
    backupList.replaceChildren()
  }

  private showEnabled (enabled: boolean): void {
    setupButton.hidden = enabled
    disableForm.hidden = !enabled
  }
}
