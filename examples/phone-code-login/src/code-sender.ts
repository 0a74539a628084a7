import type { FastifyBaseLogger } from 'fastify'

/** Delivers a sign-in code to a phone: the app plugs in its SMS provider here. */
export interface CodeSender {
  send: (phone: string, code: string) => Promise<void>
}

// Development only: the code goes to the log instead of a text message, so anyone who can read
// the log can sign in as anyone. server.ts refuses it unless NODE_ENV=development.
export function loggingCodeSender (log: FastifyBaseLogger): CodeSender {
  return {
    send: async (phone, code) => {
      log.info({ phone, code }, 'sign-in code (development: logged, not sent)')
    }
  }
}
