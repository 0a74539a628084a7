import { performance } from 'node:perf_hooks'
import { hashPassword, verifyPassword } from '../src/passwords/password-hasher.js'

// Run by argon2-rate.ts as a child process started the way our server is: `concurrency` loops
// verify one password against its argon2id hash (ARGON2_OPTIONS, what a login does) for
// `seconds`, and the count is printed as JSON. No HTTP, no database, no Redis: the most
// verifications per second these cores give with the server's parameters and concurrency.
const [concurrencyArg, secondsArg] = process.argv.slice(2)
const concurrency = Number(concurrencyArg)
const seconds = Number(secondsArg)
if (!Number.isInteger(concurrency) || concurrency < 1 || !(seconds > 0)) throw new Error('usage: argon2-rate-child <concurrency> <seconds>')

const password = 'bench password, long enough'
const hash = await hashPassword(password)
const endAt = performance.now() + seconds * 1000
let verified = 0
const startedAt = performance.now()
const cpuBefore = process.cpuUsage()
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < endAt) {
    if (!await verifyPassword(hash, password)) throw new Error('the verification failed')
    verified++
  }
}))
const elapsedSeconds = (performance.now() - startedAt) / 1000
// Every thread's: argon2 runs on libuv's pool.
const cpu = process.cpuUsage(cpuBefore)
console.log(JSON.stringify({ verified, seconds: elapsedSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }))
