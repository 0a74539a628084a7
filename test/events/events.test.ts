// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./device-type-events.cases.js')
await import('./expiry-claim-retry.cases.js')
await import('./parked-events.cases.js')
await import('./rate-limited-events.cases.js')
await import('./session-events.cases.js')
await import('./webhook.cases.js')
await import('./webhook-refusals.cases.js')
await import('./webhook-parked.cases.js')
await import('./webhook-parked-bound.cases.js')
await import('./webhook-trim.cases.js')
