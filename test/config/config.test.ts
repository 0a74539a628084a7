// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
await import('./device-rules-setting.cases.js')
await import('./hmac-secret-key-material.cases.js')
await import('./jwt-secret-file.cases.js')
await import('./redis-connection-settings.cases.js')
await import('./service-keys-setting.cases.js')
