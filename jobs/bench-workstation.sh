#!/usr/bin/env bash
# jobs/bench-workstation.sh: the benchmark suites of jobs/bench.sbatch on one workstation under
# mpirun (docs/performance.md), records in OUT (default results/bench/workstation-<ranks>) and
# the plots and report in OUT/report.
#   jobs/bench-workstation.sh [RANKS] [OUT]        (default: as many ranks as cores)
#   HESSCOV_BENCH_SIZE=small jobs/bench-workstation.sh 2     # a minute: a check of the setup
# One OpenBLAS thread per rank: the ranks already occupy the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=${1:-$(nproc)}
source jobs/lib/bench.sh
bench_out=${2:-results/bench/workstation-$ranks}
root_flags=(); [[ $(id -u) -eq 0 ]] && root_flags=(--allow-run-as-root)
export OPENBLAS_NUM_THREADS=1
bench_launch=(mpirun "${root_flags[@]}" --oversubscribe -np "$ranks")
bench_ranks=$(hesscov_bench_ranks "$ranks")
bench_device=${HESSCOV_DEVICE:-cpu}
hesscov_bench_run
