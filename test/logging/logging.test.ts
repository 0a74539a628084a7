// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./dev-log.cases.js')
await import('./redis-command-args.cases.js')
await import('./request-logger.cases.js')
