import { hkdfSync } from 'node:crypto'

const SUCCESSOR_KEY_BYTES = 32

// The key successor refresh tokens are derived with, from REFRESH_TOKEN_SECRET (or the JWT_SECRET
// of deployments that never set it).
export function successorKey (refreshTokenSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', refreshTokenSecret, '', 'refresh-token-successor', SUCCESSOR_KEY_BYTES))
}
