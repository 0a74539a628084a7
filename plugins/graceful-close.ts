import fp from 'fastify-plugin'

// On close, Fastify drops idle keep-alive sockets, but a socket busy with a request at that
// moment stays open after its answer, and the shutdown then waits out the whole grace
// period. Answering in-flight requests with `Connection: close` lets those sockets go too.
export default fp(async (fastify) => {
  let closing = false
  fastify.addHook('preClose', async () => {
    closing = true
  })
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })
}, { name: 'graceful-close' })
