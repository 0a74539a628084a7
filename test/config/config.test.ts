// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './device-rules-setting.cases.js'
import './hmac-secret-key-material.cases.js'
import './jwt-secret-file.cases.js'
import './redis-connection-settings.cases.js'
import './service-keys-setting.cases.js'
