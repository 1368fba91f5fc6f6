#!/usr/bin/env bash
# jobs/workstation-sweep.sh: a sweep on one machine under plain mpirun (no Slurm).
#
#   bash jobs/workstation-sweep.sh [RANKS] SPEC [key=value ...] [hesscov sweep / PETSc options ...]
#   bash jobs/workstation-sweep.sh inputs/sweeps/alignment-table-smoke.yaml          # 2 ranks
#   bash jobs/workstation-sweep.sh 4 inputs/sweeps/alignment-table-smoke.yaml --group-size 2
#   bash jobs/workstation-sweep.sh 4 inputs/sweeps/epoch-noise-smoke.yaml train.epochs=3
#
# What it does: mpirun [--allow-run-as-root, as root] --oversubscribe -np RANKS hesscov sweep SPEC
# [args]: the ranks split into groups of the spec's group_size (or --group-size N; it must divide
# RANKS) that take the runs from a shared queue; each run writes <output>/runs/<id>.h5 and the
# index <output>/index.h5 is built at the end. Run it from the repository root: SPEC and the
# spec's output folder are relative to the working directory. RANKS defaults to 2; one OpenBLAS
# thread per rank (the ranks already occupy the cores).
#
# Stopping and resuming:
#   * Ctrl-C (or kill -INT / -TERM / -HUP / -USR1 of this script) stops the sweep cleanly: this
#     script sends SIGUSR1 to mpirun, mpirun forwards it to every rank, every group stops at its
#     next safe point (the current SGD step, eigensolver iteration or analysis stage) with its
#     state kept, the index is written, and the script exits 75. A second Ctrl-C aborts at once
#     (SIGTERM to mpirun, see below); that is like a kill, which is safe too: every finished run
#     and committed state survives.
#   * Or send SIGUSR1 to mpirun yourself: kill -USR1 <mpirun pid> (printed below).
#   * Resume: run the same command again; finished runs are skipped, the others continue from
#     their last kept state.
#   Why not Ctrl-C straight to mpirun: with Open MPI (4.1 here) a SIGINT or SIGTERM to mpirun is
#   not forwarded as such: mpirun sends its ranks SIGCONT at once, SIGTERM about 1 s later and
#   SIGKILL about 1 s after that, and exits 1. A rank that reaches a safe point within that second
#   stops cleanly, one in a long eigensolver step is killed. So this script runs mpirun in its own
#   session (setsid), where the terminal's Ctrl-C does not reach it, and turns the signal into a
#   SIGUSR1. (The ranks themselves never see the terminal's Ctrl-C: Open MPI puts each one in its
#   own process group.)
# Environment: HESSCOV (the binary; default build/src/hesscov of this repository), MPIRUN
# (default mpirun), HESSCOV_MPIRUN_ARGS (extra mpirun options, e.g. "--bind-to core").
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
hesscov=${HESSCOV:-$repo/build/src/hesscov}
export OPENBLAS_NUM_THREADS=1

ranks=2
if [[ ${1:-} =~ ^[1-9][0-9]*$ ]]; then ranks=$1; shift; fi
[[ $# -ge 1 ]] || { echo "usage: bash jobs/workstation-sweep.sh [RANKS] SPEC [key=value ...]" >&2; exit 2; }

root_flags=()
[[ $(id -u) -eq 0 ]] && root_flags=(--allow-run-as-root)
read -ra mpirun_extra <<<"${HESSCOV_MPIRUN_ARGS:-}"
cmd=("${MPIRUN:-mpirun}" ${root_flags[@]+"${root_flags[@]}"} --oversubscribe -np "$ranks"
     ${mpirun_extra[@]+"${mpirun_extra[@]}"} "$hesscov" sweep "$@")
session=()
command -v setsid >/dev/null && session=(setsid)  # mpirun away from the terminal's Ctrl-C

echo "+ $(printf '%q ' "${cmd[@]}")"
${session[@]+"${session[@]}"} "${cmd[@]}" </dev/null &
mpirun_pid=$!
echo "workstation-sweep.sh: mpirun pid $mpirun_pid; Ctrl-C (or kill -USR1 $mpirun_pid) stops it cleanly, a second Ctrl-C aborts"

stops=0 trapped=0
stop() {  # stop SIGNAL-NAME
  trapped=1
  stops=$((stops + 1))
  if (( stops == 1 )); then
    echo "workstation-sweep.sh: $1: asking the sweep to stop at its next safe point (SIGUSR1 to mpirun $mpirun_pid)"
    kill -USR1 "$mpirun_pid" 2>/dev/null || true
  else
    echo "workstation-sweep.sh: $1 again: aborting (SIGTERM to mpirun $mpirun_pid)"
    kill -TERM "$mpirun_pid" 2>/dev/null || true
  fi
}
# shellcheck disable=SC2064  # the signal's name is expanded now, on purpose
for sig in INT TERM HUP USR1; do trap "stop SIG$sig" "$sig"; done

while :; do
  trapped=0
  rc=0
  wait "$mpirun_pid" || rc=$?
  (( trapped && rc > 128 )) || break  # a signal interrupted the wait, not mpirun's end
done
trap - INT TERM HUP USR1
case $rc in
  0) echo "workstation-sweep.sh: the sweep is complete" ;;
  75) echo "workstation-sweep.sh: stopped with its state kept (exit 75); run the same command again to resume" ;;
  *) echo "workstation-sweep.sh: mpirun exited with $rc" ;;
esac
exit "$rc"
