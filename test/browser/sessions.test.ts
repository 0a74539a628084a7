// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./notes.cases.js')
await import('./password-reset.cases.js')
await import('./refresh-tabs.cases.js')
await import('./revoke.cases.js')
await import('./session-list.cases.js')
await import('./sign-out-other-devices.cases.js')
await import('./recent-sign-in.cases.js')
await import('./two-factor.cases.js')
