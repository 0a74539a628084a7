import { openBroadcastChannel, type BroadcastChannelLike } from './environment.js'
import { isSessionEndReason } from './session-end-reason.js'
import { isStoredTokens, type StoredTokens } from './token-storage.js'
import type { SessionEndReason } from './session-end-reason.js'

// What the tabs of one browser tell each other about the session they share.
export type TabMessage =
  // A refresh (or reissue) happened. Header modes carry the new tokens, for tabs that keep
  // their own copy; cookie mode only says so: the new cookie is already in the browser.
  | { type: 'refreshed', tokens?: StoredTokens }
  // Cookie mode: a login or password change put a new session in the cookie.
  | { type: 'signed-in' }
  // The session ended; header modes say which one.
  | { type: 'ended', reason: SessionEndReason, sessionId?: string }

// Any script of the origin can post on the channel: what arrives is checked, not trusted.
function asTabMessage (data: unknown): TabMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const { type, tokens, reason, sessionId } = data as Record<string, unknown>
  switch (type) {
    case 'refreshed':
      if (tokens === undefined) return { type }
      return isStoredTokens(tokens) ? { type, tokens } : undefined
    case 'signed-in':
      return { type }
    case 'ended':
      if (!isSessionEndReason(reason)) return undefined
      if (sessionId === undefined) return { type, reason }
      return typeof sessionId === 'string' ? { type, reason, sessionId } : undefined
    default:
      return undefined
  }
}

// A BroadcastChannel where there is one; elsewhere (React Native) there are no tabs to tell.
export class TabChannel {
  private readonly channel: BroadcastChannelLike | undefined

  constructor (name: string, onMessage: (message: TabMessage) => void) {
    this.channel = openBroadcastChannel(name, (data) => {
      const message = asTabMessage(data)
      if (message !== undefined) onMessage(message)
    })
  }

  post (message: TabMessage): void {
    this.channel?.postMessage(message)
  }

  close (): void {
    this.channel?.close()
  }
}
