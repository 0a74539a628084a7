// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./authenticate.cases.js')
await import('./error-handler.cases.js')
await import('./identity-header-spellings.cases.js')
await import('./session-check-plugin.cases.js')
await import('./session-role.cases.js')
await import('./web-page.cases.js')
await import('./server-options/compiled-schemas.cases.js')
await import('./session-lifecycle.cases.js')
await import('./non-sliding-routes.cases.js')
await import('./recent-auth.cases.js')
