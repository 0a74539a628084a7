import type { FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { hashPassword } from '../../src/passwords/password-hasher.js'
import type { UserType } from '../../src/tokens/session-claims.js'
import { randomUUID } from 'node:crypto'
import type { UserId } from '../../src/users/user-id.js'
import { createUser, logIn, me, startSession, TEST_PASSWORD, uniqueAccount, type LoggedIn } from '../helpers/sessions.js'
import type { ServiceKeys } from './backends.js'
import type { BackendName, FixtureName, FixtureRef } from './request-spec.js'

export interface Player {
  userId: UserId
  account: string
  password: string
  token: string
  sessionId: string
  // Refresh strategy only.
  refreshToken?: string
}

// A user of this server's own table, whose id is an integer.
type OwnPlayer = Player & { userId: number }

// What a fixture holds when the strategy has no refresh tokens: a string that is none.
const NO_REFRESH_TOKEN = 'no-refresh-token'

function playerOf (loggedIn: LoggedIn): OwnPlayer {
  const { refreshToken } = loggedIn.response.json<{ refreshToken?: string }>()
  const { userId, account, password, token, sessionId } = loggedIn
  return { userId, account, password, token, sessionId, ...(refreshToken === undefined ? {} : { refreshToken }) }
}

// The users a fuzz run plays with. The victim has one session that no generated request may
// change; its password is random and never generated. The attacker (a user) and the admin use
// TEST_PASSWORD, which the generators know, so generated logins and password changes get past
// the check; generated requests may end their sessions, and `revive` signs them in again. The
// outsider is a user of another user store (a UUID), its session started as another login
// would; it has no password here, and `revive` starts it a new session. The backends hold the
// service keys (backends.ts), which no generated request changes.
export class Cast {
  private constructor (
    private readonly app: FastifyInstance,
    readonly victim: Player,
    private readonly players: { attacker: OwnPlayer, admin: OwnPlayer, outsider: Player },
    readonly serviceKeys: ServiceKeys,
    // The hash of TEST_PASSWORD the attacker and the admin were made with (createUser: argon2 at
    // the lowest cost), which `revive` puts back: one of the production cost, as a generated
    // password change stores, would make each of their later logins, and each revival, slower.
    private readonly testPasswordHash: string
  ) {}

  static async assemble (app: FastifyInstance, serviceKeys: ServiceKeys): Promise<Cast> {
    const victimPassword = randomBytes(18).toString('base64url')
    const account = uniqueAccount()
    const user = await app.users.create({ account, passwordHash: await hashPassword(victimPassword) })
    // A phone of a type capped at one: a generated request that started a phone session for the
    // victim, or ended the victim's by its type, would show in the victim's snapshot.
    const victim = playerOf(await logIn(app, { userId: user.id, account, password: victimPassword }, 'victim-phone', { deviceType: 'phone' }))
    const attacker = await Cast.signIn(app, 'user')
    const admin = await Cast.signIn(app, 'admin')
    const testPasswordHash = (await app.users.findById(attacker.userId))?.passwordHash
    if (testPasswordHash === undefined) throw new Error('the attacker just made is not in the user table')
    return new Cast(app, victim, { attacker, admin, outsider: await Cast.startOutsider(app, randomUUID()) }, serviceKeys, testPasswordHash)
  }

  private static async startOutsider (app: FastifyInstance, userId: UserId): Promise<Player> {
    const started = await startSession(app, userId, { deviceId: 'outsider-tablet' })
    return { ...started, account: `${String(userId)}@example.com`, password: '' }
  }

  // A tv, of a type that refuses a second one: a generated tv login as this user is refused 409 1013.
  private static async signIn (app: FastifyInstance, userType: UserType): Promise<OwnPlayer> {
    return playerOf(await logIn(app, await createUser(app, userType), `${userType}-laptop`, { deviceType: 'tv' }))
  }

  get admin (): Player {
    return this.players.admin
  }

  get outsider (): Player {
    return this.players.outsider
  }

  valueOf (ref: FixtureRef): string | number {
    if (ref.endsWith('.serviceKey')) return this.serviceKeys[ref.split('.')[0] as BackendName]
    const [name, field] = ref.split('.') as [FixtureName, keyof Player]
    const player = name === 'victim' ? this.victim : this.players[name]
    return player[field] ?? NO_REFRESH_TOKEN
  }

  // Signs the attacker and the admin in again when a generated request ended their session
  // (or changed their password, or banned them), so that the next request can reach past authentication.
  async revive (): Promise<void> {
    // Asked at once: this runs before every generated request.
    const [outsiderLives, attackerLives, adminLives] = await Promise.all(
      [this.outsider, this.players.attacker, this.players.admin].map(async (player) => (await me(this.app, player.token)).statusCode === 200))
    if (!outsiderLives) {
      await this.app.sessions.unban(this.outsider.userId)
      this.players.outsider = await Cast.startOutsider(this.app, this.outsider.userId)
    }
    for (const [name, lives] of [['attacker', attackerLives], ['admin', adminLives]] as const) {
      const player = this.players[name]
      if (lives) continue
      await this.app.sessions.unban(player.userId)
      await this.app.users.updatePasswordHash(player.userId, this.testPasswordHash)
      // A generated password change, or a backend (POST /service/sessions), left a tv session the
      // cast holds no token of: it would keep the tv cap full, and the tv login below would be
      // refused 1013.
      await this.app.sessions.endAll(player.userId)
      this.players[name] = playerOf(await logIn(this.app, { ...player, password: TEST_PASSWORD }, undefined, { deviceType: 'tv' }))
    }
  }
}
