import { fixed, integer, table } from './markdown.js'
import { loginConnections, measureLoginRatio } from './login-throughput.js'
import { keyPrefixFor, startOurServer } from './setup.js'
import { runStandalone } from './standalone.js'

// node dist/bench/login-bench.js [connections…]: the login phase of `npm run bench` alone: logins
// per second on our server beside argon2 verifications per second in a child process with the
// server's parameters and hash concurrency, in interleaved rounds (BENCH_ROUNDS), once per
// number of connections given (by default two per hash slot, as the bench loads it).

await runStandalone(async ({ settings, context }) => {
  const server = await startOurServer({ ...context, connections: 0 }, 'ours-on', { strategy: 'sliding', nearCache: 'on', keyPrefix: keyPrefixFor('sliding', 'on', 'login') })
  try {
    const counts = process.argv.slice(2).map(Number)
    const rows: string[][] = []
    for (const connections of counts.length === 0 ? [loginConnections()] : counts) {
      const result = await measureLoginRatio(server, context.accounts, settings.loginSeconds, settings.rounds, connections)
      rows.push([
        String(connections), String(result.hashConcurrency),
        result.logins.map((login) => integer(login.requestsPerSecond)).join(' / '),
        result.argon2.map((rate) => fixed(rate.verificationsPerSecond, 1)).join(' / '),
        `${fixed(result.ratio)} (${result.roundRatios.map((ratio) => fixed(ratio)).join(', ')})`,
        result.logins.map((login) => fixed(login.cpuMillisPerLogin, 1)).join(' / '),
        result.logins.map((login) => fixed(login.mainThreadMillisPerLogin, 2)).join(' / '),
        result.argon2.map((rate) => fixed(rate.cpuMillisPerVerification, 1)).join(' / '),
        fixed(result.cpuRatio),
        String(result.logins.reduce((sum, login) => sum + login.non2xx + login.errors, 0))
      ])
    }
    return table(['connections', 'hash slots', 'logins/s per round', 'argon2 verifications/s per round', 'ratio (median, rounds)', 'server CPU ms / login', 'main thread CPU ms / login', 'argon2 CPU ms / verification', 'CPU ratio', 'failed logins'], rows)
  } finally {
    await server.stop()
  }
})
