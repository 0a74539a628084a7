// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./hash-concurrency-limit.cases.js')
await import('./password-hasher.cases.js')
await import('./password-hashing-bound.cases.js')
