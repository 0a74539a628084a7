// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './device-rules-refresh.cases.js'
import './postgres-refresh-survives-redis-restart.cases.js'
import './postgres-user-id-migration.cases.js'
import './refresh-service.cases.js'
import './refresh-token-store.cases.js'
