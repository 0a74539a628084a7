import { hasCommand, installRedisPackage } from './redis-package.js'

// Run by `npm test` before the tests, which start redis-server processes of their own: README
// command 2 must work on a fresh machine without command 1 having installed Redis first.
if (!hasCommand('redis-server')) {
  try {
    installRedisPackage()
  } catch (error) {
    console.error('The tests need redis-server, which is missing and could not be installed: run `apt-get install redis-server` as root, then `npm test` again.')
    console.error(`(${(error as Error).message})`)
    process.exit(1)
  }
}
