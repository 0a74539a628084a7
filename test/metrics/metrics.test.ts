// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./metrics-access.cases.js')
await import('./metrics-docs.cases.js')
await import('./metrics-events.cases.js')
await import('./metrics-outages.cases.js')
