import { availableParallelism } from 'node:os'

// Sessions to load the authenticated targets with, created through each server's own login
// route before anything is measured.

export type ConnectionHeaders = Record<string, string>

export const BENCH_PASSWORD = 'bench password, long enough'

export function benchAccounts (count: number): string[] {
  return Array.from({ length: count }, (_, i) => `bench-user-${i + 1}@example.com`)
}

// Logins are argon2-bound: as many at once as there are cores, unless `inFlight` says otherwise.
export async function forEachConcurrently<T, R> (items: T[], work: (item: T) => Promise<R>, inFlight = availableParallelism()): Promise<R[]> {
  const results: R[] = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T)
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  return results
}

async function postJson (url: string, body: unknown, expected: number[] = [200]): Promise<Response> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!expected.includes(response.status)) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`)
  return response
}

// An account that exists already (a shared database) is fine.
export async function registerAccounts (serverUrl: string, accounts: string[]): Promise<void> {
  await forEachConcurrently(accounts, async (account) => {
    const response = await postJson(`${serverUrl}/auth/register`, { account, password: BENCH_PASSWORD }, [201, 409])
    await response.body?.cancel()
  })
}

// `count` sessions spread over the accounts (so users have a few sessions each).
function spread (accounts: string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => accounts[i % accounts.length] ?? '')
}

export async function logInWithToken (serverUrl: string, accounts: string[], count: number): Promise<ConnectionHeaders[]> {
  return await forEachConcurrently(spread(accounts, count), async (account) => {
    const response = await postJson(`${serverUrl}/auth/login`, { account, password: BENCH_PASSWORD })
    const { token } = await response.json() as { token: string }
    return { token }
  })
}

export async function logInWithCookie (serverUrl: string, accounts: string[], count: number): Promise<ConnectionHeaders[]> {
  return await forEachConcurrently(spread(accounts, count), async (account) => {
    const response = await postJson(`${serverUrl}/auth/login`, { account })
    await response.body?.cancel()
    const cookie = response.headers.getSetCookie()[0]?.split(';')[0]
    if (cookie === undefined) throw new Error(`${serverUrl}/auth/login set no cookie`)
    return { cookie }
  })
}

// Every session answers 200 before it is used to measure anything.
export async function assertSessionsWork (url: string, sessions: ConnectionHeaders[]): Promise<void> {
  for (const headers of sessions) {
    const response = await fetch(url, { headers })
    await response.body?.cancel()
    if (response.status !== 200) throw new Error(`GET ${url} with a fresh session answered ${response.status}`)
  }
}
