import { ConfigError } from './config-error.js'

// Stored in the serialised form browsers send ("https://app.example"), so plain comparison works.
export function parseOrigins (list: string): string[] {
  return list.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    let origin: string | undefined
    try {
      origin = new URL(entry).origin
    } catch {}
    if (origin === undefined || origin === 'null') {
      throw new ConfigError(`Invalid configuration: CORS_ORIGINS entry "${entry}" is not an origin like https://app.example`)
    }
    return origin
  })
}
