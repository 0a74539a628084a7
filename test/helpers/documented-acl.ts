import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'

// The Redis ACL lines docs/deployment.md gives ("Redis ACL: one user per service"), read from the
// page so that what is tested is what is documented, with fresh passwords in place of the
// placeholders.
export interface DocumentedAcl {
  serverLine?: string
  serviceLine?: string
  // A service that starts sessions too (app.sessions).
  loginServiceLine?: string
  configLine?: string
  passwords: { server: string, service: string, loginService: string }
  // Runs a line as an administrator would, with `redis-cli`.
  apply: (connection: Redis, line: string) => Promise<void>
}

// The expected refusal: the server tries CONFIG GET, which the documented user is not granted.
export const CONFIG_NOT_GRANTED = 'auth-server: command config|get (toplevel)'

const DEPLOYMENT_DOC = fileURLToPath(new URL('../../../docs/deployment.md', import.meta.url))

export function documentedAcl (): DocumentedAcl {
  const page = readFileSync(DEPLOYMENT_DOC, 'utf8')
  const section = page.slice(page.indexOf('## Redis ACL'))
  const lines = [...section.matchAll(/```acl\n([\s\S]*?)```/g)].flatMap((match) => (match[1] ?? '').split('\n'))
    .map((line) => line.trim()).filter((line) => line.startsWith('ACL SETUSER'))
  const passwords = { server: randomBytes(16).toString('hex'), service: randomBytes(16).toString('hex'), loginService: randomBytes(16).toString('hex') }
  return {
    serverLine: lines.find((line) => line.startsWith('ACL SETUSER auth-server on ')),
    serviceLine: lines.find((line) => line.startsWith('ACL SETUSER orders-service on ')),
    loginServiceLine: lines.find((line) => line.startsWith('ACL SETUSER login-service on ')),
    configLine: lines.find((line) => line.startsWith('ACL SETUSER auth-server +config')),
    passwords,
    apply: async (connection, line) => {
      const words = line.replace('>AUTH_SERVER_PASSWORD', `>${passwords.server}`).replace('>ORDERS_SERVICE_PASSWORD', `>${passwords.service}`)
        .replace('>LOGIN_SERVICE_PASSWORD', `>${passwords.loginService}`).split(/\s+/)
      await connection.call(...words as [string, ...string[]])
    }
  }
}

// Redis' ACL LOG (what users were refused) as `user: reason object (context)` lines, but the
// expected CONFIG GET.
export async function aclRefusals (connection: Redis): Promise<string[]> {
  const entries = await connection.acl('LOG') as unknown[][]
  return entries.map((entry) => {
    const fields = new Map<string, unknown>()
    for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1])
    return `${String(fields.get('username'))}: ${String(fields.get('reason'))} ${String(fields.get('object'))} (${String(fields.get('context'))})`
  }).filter((refusal) => refusal !== CONFIG_NOT_GRANTED)
}
