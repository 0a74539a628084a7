// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './cluster.cases.js'
import './declared-keys.cases.js'
import './lua-scripts.cases.js'
import './redis-acl.cases.js'
