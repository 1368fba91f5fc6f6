#!/usr/bin/env bash
# Runs a config on one workstation under mpirun.
#   jobs/workstation.sh [RANKS] [CONFIG] [key=value ...]     (defaults: 2 ranks, inputs/quickstart.yaml)
# One OpenBLAS thread per rank: the ranks already occupy the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=${1:-2}; config=${2:-inputs/quickstart.yaml}; shift $(( $# < 2 ? $# : 2 ))
root_flags=(); [[ $(id -u) -eq 0 ]] && root_flags=(--allow-run-as-root)
export OPENBLAS_NUM_THREADS=1
exec mpirun "${root_flags[@]}" --oversubscribe -np "$ranks" build/src/hesscov run "$config" "$@"
