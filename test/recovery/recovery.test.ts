// One process for the cases of this folder (test/README.md#one-process-per-folder).
await import('./password-reset.cases.js')
