import Fastify, { type FastifyInstance } from 'fastify'
import { Cluster, Redis } from 'ioredis'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { sessionCheck } from '../../session-check/index.js'
import { sessionKeys } from '../../src/sessions/session-keys.js'
import { runCli, UNREACHABLE_DATABASE_URL } from '../bin/run-cli.js'
import { buildTestApp, TEST_JWT_SECRET } from '../helpers/build-app.js'
import { aclRefusals, documentedAcl } from '../helpers/documented-acl.js'
import { RedisCluster } from '../helpers/redis-cluster.js'
import { RedisServer } from '../helpers/redis-server.js'
import { streamedEvents } from '../helpers/session-events.js'
import { createAndLogIn, me } from '../helpers/sessions.js'
import { SLIDING } from '../helpers/strategies.js'
import { makeTestCertificates } from '../helpers/tls-certificates.js'

// Issue 23, item 12: a Redis Cluster reached over TLS only (no plain port, TLS on the bus, and
// a client certificate required), with a CA the test makes. The server's every connection (the
// cluster's, the near-cache's per-master tracking, the expiry watchers, the webhook reader), the
// session-check plugin and the admin CLI take the same settings; a client that does not trust
// the CA does not start, and says why.

const CONDITION_LIMIT_MS = 30_000
const POLL_MS = 20

const certificates = await makeTestCertificates()
t.teardown(() => certificates.remove())
const cluster = await RedisCluster.start({ tls: certificates })
t.teardown(async () => await cluster.destroy())
const tlsFiles = { REDIS_TLS_CA: certificates.ca, REDIS_TLS_CERT: certificates.clientCert, REDIS_TLS_KEY: certificates.clientKey }
const env = { REDIS_CLUSTER_NODES: cluster.seedNodes, REDIS_TLS: 'on', ...tlsFiles, NEAR_CACHE: 'on', EVENTS_STREAM: 'auth-events', EVENTS_EXPIRED: 'on' }
const tlsOptions = { redisTlsCa: certificates.ca, redisTlsCert: certificates.clientCert, redisTlsKey: certificates.clientKey }
const rediss = cluster.seedNodes.split(',').map((node) => `rediss://${node}`).join(',')

async function waitFor (condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + CONDITION_LIMIT_MS
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(POLL_MS)
  }
}

function nearCacheOf (app: FastifyInstance): NonNullable<FastifyInstance['nearCache']> {
  if (app.nearCache === null) throw new Error('NEAR_CACHE is off')
  return app.nearCache
}

// REDIS_TLS=on on one instance, rediss:// seeds (and no REDIS_TLS) on the other.
const { app: a } = await buildTestApp(t, { env, databaseUrl: SLIDING.databaseUrl })
const { app: b } = await buildTestApp(t, { env: { ...env, REDIS_TLS: 'off', REDIS_CLUSTER_NODES: rediss }, databaseUrl: SLIDING.databaseUrl })

t.test('two instances on a TLS-only cluster log in, check, and hear of a logout through the near-cache', async (t) => {
  await waitFor(() => nearCacheOf(a).enabled && nearCacheOf(b).enabled, 'tracking over TLS on every master')
  const session = await createAndLogIn(a)
  t.equal((await me(a, session.token)).statusCode, 200, 'the session is checked where it was made')
  for (let check = 0; check < 2; check++) {
    t.equal((await me(b, session.token)).statusCode, 200, 'and on the other instance')
    await nearCacheOf(b).sync()
  }
  const hits = nearCacheOf(b).counts.hits
  t.equal((await me(b, session.token)).statusCode, 200, 'accepted again')
  t.equal(nearCacheOf(b).counts.hits, hits + 1, 'from the other instance\'s near-cache')

  const logout = await a.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
  t.equal(logout.statusCode, 200, 'logged out on one instance')
  await waitFor(async () => (await me(b, session.token)).statusCode === 401, 'the other instance to refuse the session')
  t.equal((await me(b, session.token)).json().reason, 'logout', 'the other instance refuses it, reason logout')
})

t.test('idle expiry is heard over TLS from the master that holds the session', async (t) => {
  const session = await createAndLogIn(a)
  const client = cluster.client()
  try {
    await client.pexpire(sessionKeys(a.config.REDIS_KEY_PREFIX).session(session.userId, session.sessionId), 1)
  } finally {
    client.disconnect()
  }
  const told = async (): Promise<unknown[]> => (await streamedEvents(a))
    .filter((event) => event.type === 'session.ended' && event.sessionId === session.sessionId)
    .map(({ reason }) => reason)
  await waitFor(async () => (await told()).length > 0, 'the session.ended event')
  t.same(await told(), ['expired'], 'told as a session event')
})

t.test('the session-check plugin and the admin CLI reach the cluster by the same settings', async (t) => {
  const session = await createAndLogIn(a)
  const service = Fastify()
  t.teardown(async () => await service.close())
  await service.register(sessionCheck, {
    redisClusterNodes: cluster.seedNodes,
    redisTls: 'on',
    ...tlsOptions,
    nearCache: 'on',
    jwtSecret: TEST_JWT_SECRET,
    env: {}
  })
  service.get('/orders', { preHandler: service.authenticate }, async (request) => ({ userId: request.user.userId }))
  await waitFor(() => service.sessionCheck.nearCache?.enabled === true, 'the plugin\'s near-cache to track over TLS')
  const orders = await service.inject({ method: 'GET', url: '/orders', headers: { token: session.token } })
  t.same([orders.statusCode, orders.json()], [200, { userId: session.userId }], 'another service checks the session')

  const revoked = await runCli(['revoke', '--user', String(session.userId)], { REDIS_CLUSTER_NODES: rediss, ...tlsFiles, DATABASE_URL: UNREACHABLE_DATABASE_URL })
  t.match(revoked.stdout, /revoked 1 session/, `the CLI ends it over TLS: ${revoked.stderr}`)
  await waitFor(async () => (await service.inject({ method: 'GET', url: '/orders', headers: { token: session.token } })).statusCode === 401,
    'the service to refuse the revoked session')
  const untrusted = await runCli(['sessions', '--user', '1'], { REDIS_CLUSTER_NODES: rediss, ...tlsFiles, REDIS_TLS_CA: certificates.otherCa, DATABASE_URL: UNREACHABLE_DATABASE_URL })
  t.not(untrusted.code, 0, 'a CLI that does not trust the CA fails')
  t.match(untrusted.stderr, /Cannot reach the Redis Cluster at .*(certificate|self.signed)/i, 'and says why')
})

t.test('a managed cluster\'s address translation: REDIS_CLUSTER_NAT_MAP and REDIS_CLUSTER_DNS_LOOKUP=passthrough', async (t) => {
  // The nodes announce 127.0.0.1:<port>; this host is told to reach them as localhost:<port>,
  // a name the certificate holds, kept as a name (not resolved first) for the TLS check.
  const ports = cluster.seedNodes.split(',').map((node) => Number(node.split(':')[1]))
  const natMap = Object.fromEntries(ports.map((port) => [`127.0.0.1:${port}`, { host: 'localhost', port }]))
  const { app } = await buildTestApp(t, {
    env: {
      ...env,
      REDIS_CLUSTER_NODES: ports.map((port) => `rediss://localhost:${port}`).join(','),
      REDIS_CLUSTER_NAT_MAP: JSON.stringify(natMap),
      REDIS_CLUSTER_DNS_LOOKUP: 'passthrough'
    },
    databaseUrl: SLIDING.databaseUrl
  })
  if (!(app.redis instanceof Cluster)) throw new Error('not a cluster client')
  t.same(app.redis.nodes('master').map((node) => node.options.host), ['localhost', 'localhost', 'localhost'], 'every master is reached by the mapped name')
  await waitFor(() => nearCacheOf(app).enabled, 'tracking on every master at its mapped address')
  const session = await createAndLogIn(app)
  t.equal((await me(app, session.token)).statusCode, 200, 'the session is checked')
  const fromTo = ports.map((port) => `127.0.0.1:${port}=localhost:${port}`).join(',')
  const { app: pairs } = await buildTestApp(t, { env: { ...env, REDIS_CLUSTER_NAT_MAP: fromTo }, databaseUrl: SLIDING.databaseUrl })
  t.equal((await me(pairs, session.token)).statusCode, 200, 'the from=to form works alike')
  if (!(pairs.redis instanceof Cluster)) throw new Error('not a cluster client')
  t.same(pairs.redis.nodes('master').map((node) => node.options.host), ['localhost', 'localhost', 'localhost'], 'and maps every master')
})

t.test('on the cluster, the documented ACL users (run on every node) are refused nothing they need', async (t) => {
  const acl = documentedAcl()
  if (acl.serverLine === undefined || acl.serviceLine === undefined) throw new Error('no ACL lines in docs/deployment.md')
  const operators = cluster.nodes.map((node) => new Redis(node.port, '127.0.0.1', node.connectionOptions))
  t.teardown(() => { for (const operator of operators) operator.disconnect() })
  for (const operator of operators) {
    await acl.apply(operator, acl.serverLine)
    await acl.apply(operator, acl.serviceLine)
    await operator.acl('LOG', 'RESET')
  }
  const { app } = await buildTestApp(t, {
    env: { ...env, REDIS_KEY_PREFIX: 'auth:', REDIS_USERNAME: 'auth-server', REDIS_PASSWORD: acl.passwords.server },
    databaseUrl: SLIDING.databaseUrl
  })
  const service = Fastify()
  t.teardown(async () => await service.close())
  await service.register(sessionCheck, {
    redisClusterNodes: rediss, ...tlsOptions, redisUsername: 'orders-service', redisPassword: acl.passwords.service, redisKeyPrefix: 'auth:', nearCache: 'on', jwtSecret: TEST_JWT_SECRET, env: {}
  })
  service.get('/orders', { preHandler: service.authenticate }, async (request) => ({ userId: request.user.userId }))
  await waitFor(() => nearCacheOf(app).enabled && service.sessionCheck.nearCache?.enabled === true, 'both near-caches to track every master')
  const session = await createAndLogIn(app)
  const orders = async (): Promise<number> => (await service.inject({ method: 'GET', url: '/orders', headers: { token: session.token } })).statusCode
  t.equal((await me(app, session.token)).statusCode, 200, 'the server checks its session as auth-server')
  t.equal(await orders(), 200, 'the service checks it as orders-service')
  await app.inject({ method: 'POST', url: '/auth/logout', headers: { token: session.token } })
  await waitFor(async () => await orders() === 401, 'the service to hear of the logout')
  const refused = (await Promise.all(operators.map(async (operator) => await aclRefusals(operator)))).flat()
  t.same(refused, [], 'no node refused either user anything')
})

t.test('one Redis at a rediss:// REDIS_URL takes the same CA and client certificate, on every connection', async (t) => {
  const server = await RedisServer.start({ tls: certificates })
  t.teardown(async () => await server.destroy())
  t.match(server.url, /^rediss:\/\//, 'the URL asks for TLS')
  const single = { ...tlsFiles, NEAR_CACHE: 'on', EVENTS_STREAM: 'auth-events', EVENTS_EXPIRED: 'on' }
  const { app } = await buildTestApp(t, { redisServer: server, env: single, databaseUrl: SLIDING.databaseUrl })
  await waitFor(() => nearCacheOf(app).enabled, 'tracking over TLS')
  const session = await createAndLogIn(app)
  t.equal((await me(app, session.token)).statusCode, 200, 'the session is checked')
  await app.redis.pexpire(sessionKeys(app.config.REDIS_KEY_PREFIX).session(session.userId, session.sessionId), 1)
  await waitFor(async () => (await streamedEvents(app)).some((event) => event.type === 'session.ended' && event.sessionId === session.sessionId),
    'the idle expiry to be heard over TLS')
  await t.rejects(buildTestApp(t, { redisServer: server, env: { ...single, REDIS_TLS_CA: certificates.otherCa }, databaseUrl: SLIDING.databaseUrl }),
    /Cannot reach Redis at 127\.0\.0\.1:\d+: .*(certificate|self.signed)/i, 'a client that does not trust the CA does not start, and says why')
})

t.test('a certificate of the trusted CA for another name is refused: the name is checked too', async (t) => {
  const impostor = await RedisServer.start({ tls: { ...certificates, serverCert: certificates.otherNameCert, serverKey: certificates.otherNameKey } })
  t.teardown(async () => await impostor.destroy())
  await t.rejects(buildTestApp(t, { redisServer: impostor, env: tlsFiles, databaseUrl: SLIDING.databaseUrl }),
    /Cannot reach Redis at 127\.0\.0\.1:\d+: .*(altnames|does not match)/i, 'refused, naming the mismatch')
})

t.test('a client that does not trust the cluster\'s CA does not start, and says why', async (t) => {
  const untrusted = buildTestApp(t, { env: { ...env, REDIS_TLS_CA: certificates.otherCa }, databaseUrl: SLIDING.databaseUrl })
  await t.rejects(untrusted, /Cannot reach the Redis Cluster at .*(certificate|self.signed)/i, 'refused, naming the certificate check')
  const plain = buildTestApp(t, { env: { REDIS_CLUSTER_NODES: cluster.seedNodes }, databaseUrl: SLIDING.databaseUrl })
  await t.rejects(plain, /Cannot reach the Redis Cluster/, 'a client without TLS does not start either')
})

t.test('TLS settings are checked before any connection', async (t) => {
  const refused = [
    [{ REDIS_TLS_CA: certificates.ca }, /REDIS_TLS_CA need TLS/],
    [{ REDIS_TLS: 'on', REDIS_TLS_CERT: certificates.clientCert }, /REDIS_TLS_CERT and REDIS_TLS_KEY/],
    [{ REDIS_TLS: 'on', REDIS_TLS_CA: `${certificates.dir}/missing.crt` }, /REDIS_TLS_CA: cannot read/],
    [{ REDIS_TLS: 'on', REDIS_TLS_CERT: certificates.clientCert, REDIS_TLS_KEY: certificates.serverKey }, /REDIS_TLS_CERT, REDIS_TLS_KEY: .*key/i],
    [{ REDIS_CLUSTER_NODES: cluster.seedNodes, REDIS_CLUSTER_NAT_MAP: '10.0.0.1:6379=nowhere' }, /REDIS_CLUSTER_NAT_MAP must be from=to pairs|REDIS_CLUSTER_NAT_MAP maps/],
    [{ REDIS_CLUSTER_NAT_MAP: '10.0.0.1:6379=127.0.0.1:7000' }, /apply to REDIS_CLUSTER_NODES only/]
  ] as const
  for (const [settings, message] of refused) {
    await t.rejects(buildTestApp(t, { env: settings as Record<string, string>, databaseUrl: SLIDING.databaseUrl }), message, JSON.stringify(settings))
  }
})
