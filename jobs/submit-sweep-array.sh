#!/usr/bin/env bash
# jobs/submit-sweep-array.sh: submits a sweep as a Slurm job array plus a job that builds its
# index once the array has ended. Run it on the login node, from the repository root:
#
#   bash jobs/submit-sweep-array.sh SPEC [CHUNKS] [key=value ...] [hesscov sweep options ...]
#   bash jobs/submit-sweep-array.sh inputs/sweeps/alignment-table.yaml          # one run per array task
#   bash jobs/submit-sweep-array.sh inputs/sweeps/alignment-table.yaml 12       # 12 tasks of 4 runs
#   HESSCOV_SBATCH_ARGS=--ntasks=4 bash jobs/submit-sweep-array.sh inputs/sweeps/alignment-table.yaml 12 --group-size 1
#                                     # 12 tasks of 4 ranks, each running its 4 runs side by side
#   HESSCOV_SBATCH_ARGS="--time=08:00:00 --partition=long" bash jobs/submit-sweep-array.sh SPEC
#   HESSCOV_ARRAY_MAX_RUNNING=10 bash jobs/submit-sweep-array.sh SPEC           # at most 10 tasks at once
#
# What it does:
#   1. asks `hesscov sweep SPEC [args] --dry-run` (plain, no mpirun: it plans, it does not compute)
#      for the number of runs N, the group size G and the output folder (its first line:
#      "sweep SPEC: N runs, groups of G ranks, output DIR");
#   2. submits jobs/sweep-array.sbatch as an array of CHUNKS tasks (default CHUNKS = N: one run
#      per task), each with G tasks (ranks), all writing into DIR:
#        sbatch --parsable --array=0-$((CHUNKS-1)) --ntasks=G jobs/sweep-array.sbatch SPEC CHUNKS [args]
#   3. submits jobs/index.sbatch DIR with --dependency=afterany:<array job> (it runs when every
#      task has ended, however it ended, and indexes whatever runs exist);
#   4. prints both job ids ("array job: ID" and "index job: ID").
# Re-running it resumes: finished runs are skipped by their array tasks at once.
#
# What to change: the #SBATCH lines of jobs/sweep-array.sbatch (time per chunk, partition,
# account) and jobs/index.sbatch; or, for both jobs at once, HESSCOV_SBATCH_ARGS (extra sbatch
# options, after the ones above, so they win: "--ntasks=4" gives each task 4 ranks).
# Environment: HESSCOV (the binary; default build/src/hesscov), HESSCOV_SBATCH_ARGS,
# HESSCOV_ARRAY_MAX_RUNNING (Slurm's --array=...%K throttle).
set -euo pipefail
hesscov=${HESSCOV:-build/src/hesscov}
die() { echo "submit-sweep-array.sh: $*" >&2; exit 1; }

[[ -f jobs/sweep-array.sbatch && -f jobs/index.sbatch ]] ||
  die "run it from the repository root (the jobs cd to the directory they are submitted from)"
[[ $# -ge 1 ]] || { echo "usage: bash jobs/submit-sweep-array.sh SPEC [CHUNKS] [key=value ...]" >&2; exit 2; }
spec=$1; shift
chunks=""
if [[ ${1:-} =~ ^[0-9]+$ ]]; then chunks=$1; shift; fi

plan=(env OPENBLAS_NUM_THREADS=1 "$hesscov" sweep "$spec" "$@" --dry-run)
echo "+ $(printf '%q ' "${plan[@]}")"
dry=$("${plan[@]}") || die "the dry run failed (above): nothing submitted"
first=$(grep -m1 '^sweep ' <<<"$dry" || true)
echo "$first"
[[ $first =~ ^sweep\ (.*):\ ([0-9]+)\ runs,\ groups\ of\ ([0-9]+)\ ranks,\ output\ (.+)$ ]] ||
  die "cannot read the dry run's first line (expected 'sweep SPEC: N runs, groups of G ranks, output DIR')"
runs=${BASH_REMATCH[2]} group=${BASH_REMATCH[3]} output=${BASH_REMATCH[4]}
(( runs > 0 )) || die "the sweep has no runs"
chunks=${chunks:-$runs}
(( chunks >= 1 && chunks <= runs )) || die "CHUNKS must be between 1 and the $runs runs, not $chunks"

read -ra extra <<<"${HESSCOV_SBATCH_ARGS:-}"
range=0-$((chunks - 1))${HESSCOV_ARRAY_MAX_RUNNING:+%$HESSCOV_ARRAY_MAX_RUNNING}
array=(sbatch --parsable "--array=$range" "--ntasks=$group" "--export=ALL,HESSCOV_INDEX_DIR=$output"
       ${extra[@]+"${extra[@]}"} jobs/sweep-array.sbatch "$spec" "$chunks" "$@")
echo "$runs runs in $chunks array task(s) of $group rank(s), output $output"
echo "+ $(printf '%q ' "${array[@]}")"
array_id=$("${array[@]}") || die "sbatch failed for the array: nothing submitted"
array_id=${array_id%%;*}
echo "array job: $array_id"

index=(sbatch --parsable "--dependency=afterany:$array_id" ${extra[@]+"${extra[@]}"} jobs/index.sbatch "$output")
echo "+ $(printf '%q ' "${index[@]}")"
index_id=$("${index[@]}") ||
  die "sbatch failed for the index job; the array $array_id runs: build the index later with sbatch jobs/index.sbatch $output"
index_id=${index_id%%;*}
echo "index job: $index_id"
echo "watch them with: squeue -j $array_id,$index_id   (the index will be $output/index.h5)"
