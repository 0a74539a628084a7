// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./cluster.cases.js')
await import('./declared-keys.cases.js')
await import('./lua-scripts.cases.js')
await import('./redis-acl.cases.js')
