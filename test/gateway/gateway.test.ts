// One process for the cases of this folder (test/README.md#one-process-per-folder): a test
// process costs more to start under tap's coverage than most of these files spend testing.
import './caddy-forward-auth.cases.js'
import './nginx-forward-auth.cases.js'
import './nginx-readme-snippet.cases.js'
