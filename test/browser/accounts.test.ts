// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./sign-in.cases.js')
await import('./sign-up.cases.js')
await import('./password-and-expiry.cases.js')
await import('./secure-cookies.cases.js')
await import('./banned.cases.js')
