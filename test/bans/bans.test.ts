// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./admin-ban.cases.js')
await import('./service-ban.cases.js')
await import('./plugin-ban.cases.js')
await import('./ban-race.cases.js')
await import('./ban-near-cache.cases.js')
await import('./ban-until.cases.js')
