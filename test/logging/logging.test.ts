// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './dev-log.cases.js'
import './redis-command-args.cases.js'
import './request-logger.cases.js'
