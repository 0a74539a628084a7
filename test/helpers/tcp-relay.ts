import { createServer, connect, type Socket } from 'node:net'

// A TCP relay in front of PostgreSQL that the test can cut, as a network failure would.
export async function startRelay (target: URL): Promise<{ port: number, cut: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const relay = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => undefined)
      socket.on('close', () => sockets.delete(socket))
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  const address = relay.address()
  if (address === null || typeof address !== 'object') throw new Error('relay has no port')
  return {
    port: address.port,
    cut: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => relay.close(resolve))
    }
  }
}
