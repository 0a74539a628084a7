// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./asymmetric-keys.cases.js')
await import('./key-rotation.cases.js')
await import('./offline-verification.cases.js')
