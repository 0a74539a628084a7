// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./axios-origins.cases.js')
await import('./bans.cases.js')
await import('./client-api.cases.js')
await import('./cookie-mode.cases.js')
await import('./cookie-refresh.cases.js')
await import('./late-refresh.cases.js')
await import('./outage.cases.js')
await import('./password-reset.cases.js')
await import('./refresh.cases.js')
await import('./reissue.cases.js')
await import('./tabs.cases.js')
await import('./second-factor.cases.js')
