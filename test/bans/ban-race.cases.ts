import type { LightMyRequestResponse } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { buildTestApp } from '../helpers/build-app.js'
import { createUser, me } from '../helpers/sessions.js'
import { appOptions, forEachStrategy, refresh, STRATEGIES } from '../helpers/strategies.js'
import { tryLogIn } from './ban-requests.js'

const ROUNDS = 30
const CONCURRENT_LOGINS = 3
// The ban starts this many ms (at random, up to) after the logins: before, amid or after their
// create scripts, so that over the rounds every order happens.
const MAX_BAN_DELAY_MS = 4

// A login racing a ban: whichever comes first, no session of the user is alive once both have
// answered. A login whose create script ran before the ban's key was stored has its session in
// the index, where the ban's revoke-all finds it; one after is refused with 1011.
t.test('logins racing a ban never leave a live session', async (t) => {
  forEachStrategy(t, async (t, strategy) => {
    const { app } = await buildTestApp(t, appOptions(strategy))
    const outcomes = new Map<number, number>()
    for (let round = 0; round < ROUNDS; round++) {
      const user = await createUser(app)
      const logins = Array.from({ length: CONCURRENT_LOGINS }, async () => await tryLogIn(app, user))
      const ban = sleep(Math.random() * MAX_BAN_DELAY_MS).then(async () => await app.sessions.ban(user.userId, { reason: 'race' }))
      const [answers] = await Promise.all([Promise.all(logins), ban])
      for (const answer of answers) {
        outcomes.set(answer.statusCode, (outcomes.get(answer.statusCode) ?? 0) + 1)
        if (!await endedOrRefused(answer)) {
          t.fail(`round ${round}: a login answered ${answer.statusCode} and its session is alive: ${answer.body}`)
          return
        }
      }
      const left = await app.sessions.list(user.userId)
      if (left.length > 0) {
        t.fail(`round ${round}: ${left.length} session(s) listed after the ban`)
        return
      }
    }
    t.comment(`login answers over ${ROUNDS} rounds: ${JSON.stringify(Object.fromEntries(outcomes))}`)
    t.ok([...outcomes.keys()].every((status) => status === 200 || status === 403), 'every login answered 200 or 403 "1011"')
    t.pass(`${ROUNDS} rounds: no session outlived the ban`)

    // Whether a login's answer left nothing alive: a refusal (1011), or a session that is ended,
    // its refresh token included.
    async function endedOrRefused (answer: LightMyRequestResponse): Promise<boolean> {
      if (answer.statusCode === 403) return answer.json<{ errorCode: string }>().errorCode === '1011'
      const { token, refreshToken } = answer.json<{ token: string, refreshToken?: string }>()
      if ((await me(app, token)).statusCode !== 401) return false
      return refreshToken === undefined || (await refresh(app, refreshToken)).statusCode === 403
    }
  })
})

t.test('app.sessions.start racing a ban never leaves a live session', async (t) => {
  const [strategy] = STRATEGIES
  if (strategy === undefined) throw new Error('no strategy')
  const { app } = await buildTestApp(t, appOptions(strategy))
  for (let round = 0; round < ROUNDS; round++) {
    const userId = `race-${round}`
    const starts = Array.from({ length: CONCURRENT_LOGINS }, async () => await app.sessions.start({ userId }).then((issued) => issued.token, () => undefined))
    const ban = sleep(Math.random() * MAX_BAN_DELAY_MS).then(async () => await app.sessions.ban(userId, { reason: 'race' }))
    const [tokens] = await Promise.all([Promise.all(starts), ban])
    for (const token of tokens) {
      if (token !== undefined && (await me(app, token)).statusCode !== 401) {
        t.fail(`round ${round}: a started session outlived the ban`)
        return
      }
    }
    if ((await app.sessions.list(userId)).length > 0) {
      t.fail(`round ${round}: a session is listed after the ban`)
      return
    }
  }
  t.pass(`${ROUNDS} rounds: no started session outlived the ban`)
})
