# env.sh - sourced first by every bench script: where the harness, the repository and the data are.
#   BENCH      this folder (scripts/bench)
#   TOP        the repository
#   BENCH_DATA binaries, the certificate, run folders and results (default .cache/bench, gitignored)
#   SITES      the corpora: the real sites make testsites copies (default .cache/sites)
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP=$(cd "$BENCH/../.." && pwd)
BENCH_DATA=${BENCH_DATA:-$TOP/.cache/bench}
SITES=${SITES:-$TOP/.cache/sites}
export BENCH TOP BENCH_DATA SITES
