import { spawnSync } from 'node:child_process'

// Debian's redis-server package, installed where the binary is missing: by README command 1
// (bin/dev.ts) and, since the tests start their own redis-server, before command 2's tests.

export function hasCommand (command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

export function installRedisPackage (): void {
  const asRoot = process.getuid?.() === 0
  if (!asRoot && !hasCommand('sudo')) {
    throw new Error('redis-server is not installed and this user cannot install it: run `apt-get install redis-server` as root, or set REDIS_URL')
  }
  const prefix = asRoot ? [] : ['sudo']
  console.log('redis-server is missing: installing Debian\'s redis-server package')
  for (const args of [['apt-get', 'update'], ['apt-get', 'install', '-y', 'redis-server']]) {
    const [command = '', ...rest] = [...prefix, ...args]
    const result = spawnSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    if (result.status !== 0) throw new Error(`\`${[command, ...rest].join(' ')}\` failed`)
  }
}
