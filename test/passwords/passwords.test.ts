// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './hash-concurrency-limit.cases.js'
import './password-hasher.cases.js'
import './password-hashing-bound.cases.js'
