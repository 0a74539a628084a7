// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./device-label.cases.js')
await import('./device-rules.cases.js')
await import('./fixed-lifetime.cases.js')
await import('./legacy-session-fields.cases.js')
await import('./near-cache-fills.cases.js')
await import('./non-sliding-requests.cases.js')
await import('./session-cap.cases.js')
await import('./session-encoding.cases.js')
await import('./session-scripts.cases.js')
await import('./session-service.cases.js')
await import('./token-reissue.cases.js')
await import('./user-ids.cases.js')
