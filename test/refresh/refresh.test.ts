// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./device-rules-refresh.cases.js')
await import('./postgres-refresh-survives-redis-restart.cases.js')
await import('./postgres-user-id-migration.cases.js')
await import('./refresh-service.cases.js')
await import('./refresh-token-store.cases.js')
