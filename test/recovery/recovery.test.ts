// One process for the cases of this folder (test/README.md#one-process-per-folder).
await import('./password-reset.cases.js')
await import('./delivery.cases.js')
await import('./delivery-settings.cases.js')
await import('./recovery-outage.cases.js')
