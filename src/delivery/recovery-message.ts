// What the server delivers to a user: a password-reset link (docs/recovery.md). The fields are a
// public contract: the delivery webhook's receiver reads them as JSON.
export const RECOVERY_MESSAGE_TYPES = ['password_reset'] as const
export type RecoveryMessageType = typeof RECOVERY_MESSAGE_TYPES[number]

export interface RecoveryMessage {
  type: RecoveryMessageType
  userId: number
  // The account the user signs in with, as registered: an e-mail address or any other name.
  account: string
  // The secret itself, for an app that builds its own link or screen.
  token: string
  // `<PUBLIC_URL>/#/reset?token=<token>`: the page's reset form.
  link: string
  // When the token stops working, ISO 8601, UTC.
  expiresAt: string
}

// The page reads the token from the fragment: it never reaches a server log or a Referer header.
export function resetLink (publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/#/reset?token=${encodeURIComponent(token)}`
}
