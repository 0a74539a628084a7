import type { SessionEndReason } from './api-codes.js'
import type { TokenStorage } from './token-storage.js'

export interface AuthClientOptions {
  // The server's origin (and path prefix, if any), e.g. 'https://auth.example.com';
  // '' for a page served by the server itself.
  baseUrl: string
  // 'refresh' for a server with AUTH_STRATEGY=refresh: a 1003 answer is refreshed and retried.
  strategy?: 'sliding' | 'refresh'
  // Where the tokens live; memoryStorage() by default, cookieStorage() for web pages.
  storage?: TokenStorage
  // Called once when the session this client holds ends, whoever ended it (see the README).
  onSessionEnded?: (reason: SessionEndReason) => void
  // The fetch to send requests with; globalThis.fetch, looked up at each call, by default.
  fetch?: typeof fetch
  // The header the server reads the token from (its TOKEN_HEADER).
  tokenHeader?: string
  // Sent with login: names the device in session lists and admin revokes.
  deviceId?: string
}

export interface LoginResult {
  userId: number
  userType: 'user' | 'admin'
  sessionId: string
}

export interface Me extends LoginResult {
  account: string
}

export interface SessionInfo {
  id: string
  deviceId?: string
  // The server's label of the browser or client that signed in, e.g. 'Chrome 131 on macOS'.
  userAgent?: string
  ip: string
  // Milliseconds since the epoch.
  loginAt: number
  lastSeenAt?: number
  // The session this client is using.
  current: boolean
}

export interface AuthClient {
  login: (account: string, password: string) => Promise<LoginResult>
  logout: () => Promise<void>
  // Ends every session of the user, this one included; resolves to how many ended.
  logoutAll: () => Promise<number>
  // Every session ends; this client continues with the fresh one the server starts.
  changePassword: (oldPassword: string, newPassword: string) => Promise<void>
  sessions: () => Promise<SessionInfo[]>
  revokeSession: (id: string) => Promise<void>
  me: () => Promise<Me>
  // Any request to the API, authenticated; answers the Response whatever its status.
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>
  // Whether tokens are stored; undefined in cookie mode, where the page cannot see the cookie.
  isSignedIn: () => boolean | undefined
  // Stops listening to other tabs.
  close: () => void
}
