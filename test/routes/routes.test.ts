// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./admin.cases.js')
await import('./documented-routes.cases.js')
await import('./notes.cases.js')
await import('./user-ids.cases.js')
await import('./auth/control-characters.cases.js')
await import('./auth/login.cases.js')
await import('./auth/logout-others.cases.js')
await import('./auth/out-of-range-user-ids.cases.js')
await import('./auth/refresh.cases.js')
await import('./auth/verify.cases.js')
