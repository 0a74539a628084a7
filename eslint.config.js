import neostandard from 'neostandard'

// The Fastify ecosystem's style (standard, with TypeScript), on the sources, not on build output.
export default [
  ...neostandard({
    ts: true,
    ignores: ['dist/**', 'sdk/dist/**', 'session-check/dist/**', 'node_modules/**', 'data/**', '.tap/**', 'web/public/**']
  }),
  {
    rules: {
      // `void promise` marks a promise left running on purpose (an event handler, a timer).
      'no-void': ['error', { allowAsStatement: true }]
    }
  }
]
