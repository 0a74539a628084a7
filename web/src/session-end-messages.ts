import type { SessionEndReason } from './sdk.js'

// What the user reads when a session ends without their doing it in this tab, by the reason
// the server (or the SDK, for tokens it could not use) gave.
const ENDED_BECAUSE: Record<SessionEndReason, string> = {
  logout: 'You signed out in another tab or window.',
  logout_all: 'You signed out everywhere, on this or another device.',
  logout_others: 'This device was signed out from another device, with "Sign out other devices".',
  revoked: 'This device was signed out from the session list on another device.',
  password_changed: 'Your password was changed, so every session ended. Sign in with the new password.',
  admin: 'An administrator ended this session.',
  expired: 'Your session expired because it was not used for a while.',
  max_lifetime: 'Your session reached its maximum lifetime.',
  refresh_reused: 'This session was ended for your safety: its refresh token was used twice, which can mean it was copied.',
  evicted: 'This account signed in on too many devices, so its oldest sessions were ended, this one included.',
  replaced: 'You signed in on another phone.',
  banned: 'This account was disabled, so every session ended.',
  password_reset: 'The password of this account was reset with a recovery link, so every session ended. Sign in with the new password.',
  second_factor_changed: 'Two-factor authentication was turned off on another device, so every other session ended.',
  invalid_token: 'Your sign-in is no longer valid.',
  invalid_refresh_token: 'Your sign-in could not be renewed.'
}

export function sessionEndedMessage (reason: SessionEndReason): string {
  // Signing in again is what a banned user cannot do.
  if (reason === 'banned') return `Signed out. ${ENDED_BECAUSE[reason]}`
  return `Signed out. ${ENDED_BECAUSE[reason]} Please sign in again.`
}
