# shellcheck shell=bash
# jobs/lib/resubmit.sh: what the Slurm scripts in jobs/ share (sourced, not run). The scripts run
# from $SLURM_SUBMIT_DIR, the repository root, and source it as jobs/lib/resubmit.sh.
#
#   hesscov_watch_term NAME     notes a SIGTERM reaching the batch shell (scancel, time limit)
#   hesscov_step CMD...         prints CMD, runs it, sets HESSCOV_RC to its exit status
#   hesscov_resubmit RC NAME [SBATCH_OPTION ...] -- [ARG ...]
#       when RC is 75 (hesscov was stopped by a signal, its state kept), submits jobs/NAME again
#       with ARGs (the same arguments), the job's shape (--nodes, --ntasks, --cpus-per-task,
#       --gpus-per-task, --job-name, --partition, --account from the SLURM_* variables, --time
#       from squeue when it answers), the SBATCH_OPTIONs and then
#       $HESSCOV_SBATCH_ARGS (which win), sets HESSCOV_NEW_JOB to the new job's id and returns 0;
#       returns 1, having said why, when it did not resubmit: RC other than 75,
#       HESSCOV_RESUBMIT=0, the batch shell itself got SIGTERM (the job was cancelled or reached
#       its time limit: resubmitting would undo an scancel), HESSCOV_RESUBMIT_MAX (default 20)
#       resubmissions in a chain already (counted in HESSCOV_RESUBMIT_COUNT, which each
#       resubmission passes on), or sbatch failed.
#   hesscov_finish RC NAME [SBATCH_OPTION ...] -- [ARG ...]
#       hesscov_resubmit, then exits: 0 if it resubmitted, else RC.

hesscov_terminated=0
hesscov_watch_term() {
  # shellcheck disable=SC2064  # NAME is expanded now, on purpose
  trap "hesscov_terminated=1; echo '$1: SIGTERM: the job is being ended; it will not resubmit itself'" TERM
}

hesscov_quote() { if (( $# )); then printf '%q ' "$@"; fi; }

hesscov_step() {
  echo "+ $(hesscov_quote "$@")"
  HESSCOV_RC=0
  "$@" || HESSCOV_RC=$?
  echo "exit status $HESSCOV_RC: $(date -u +%FT%TZ)"
}

hesscov_resubmit() {
  local rc=$1 name=$2
  shift 2
  local -a options=() args=()
  while (( $# )) && [[ $1 != -- ]]; do options+=("$1"); shift; done
  (( $# )) && shift
  args=("$@")
  HESSCOV_NEW_JOB=""
  (( rc == 75 )) || return 1
  local again_text
  again_text="sbatch $(hesscov_quote ${options[@]+"${options[@]}"})jobs/$name $(hesscov_quote ${args[@]+"${args[@]}"})"
  if [[ ${HESSCOV_RESUBMIT:-1} == 0 ]]; then
    echo "$name: stopped (exit 75), HESSCOV_RESUBMIT=0: not resubmitted; resume with: $again_text"
    return 1
  fi
  if (( hesscov_terminated )); then
    echo "$name: stopped (exit 75) by the end of the job: not resubmitted; resume with: $again_text"
    return 1
  fi
  local count=$(( ${HESSCOV_RESUBMIT_COUNT:-0} + 1 ))
  if (( count > ${HESSCOV_RESUBMIT_MAX:-20} )); then
    echo "$name: stopped (exit 75), not resubmitted: $((count - 1)) resubmissions in a row already" \
         "(HESSCOV_RESUBMIT_MAX=${HESSCOV_RESUBMIT_MAX:-20}); resume with: $again_text"
    return 1
  fi
  local -a again=(sbatch --parsable "--export=ALL,HESSCOV_RESUBMIT_COUNT=$count")
  [[ -n ${SLURM_JOB_NAME:-} ]] && again+=("--job-name=$SLURM_JOB_NAME")
  [[ -n ${SLURM_JOB_NUM_NODES:-} ]] && again+=("--nodes=$SLURM_JOB_NUM_NODES")
  [[ -n ${SLURM_NTASKS:-} ]] && again+=("--ntasks=$SLURM_NTASKS")
  [[ -n ${SLURM_CPUS_PER_TASK:-} ]] && again+=("--cpus-per-task=$SLURM_CPUS_PER_TASK")
  [[ -n ${SLURM_GPUS_PER_TASK:-} ]] && again+=("--gpus-per-task=$SLURM_GPUS_PER_TASK")
  [[ -n ${SLURM_JOB_PARTITION:-} ]] && again+=("--partition=$SLURM_JOB_PARTITION")
  [[ -n ${SLURM_JOB_ACCOUNT:-} ]] && again+=("--account=$SLURM_JOB_ACCOUNT")
  local limit=""  # the time limit is in no variable: ask squeue (e.g. 30:00, 1-00:00:00)
  [[ -n ${SLURM_JOB_ID:-} ]] && limit=$(squeue -h -j "$SLURM_JOB_ID" -o %l 2>/dev/null | head -n 1) || true
  [[ $limit =~ ^[0-9][0-9:-]*$ ]] && again+=("--time=$limit")
  local -a extra=()
  read -ra extra <<<"${HESSCOV_SBATCH_ARGS:-}"
  again+=(${options[@]+"${options[@]}"} ${extra[@]+"${extra[@]}"} "${SLURM_SUBMIT_DIR:-$PWD}/jobs/$name"
          ${args[@]+"${args[@]}"})
  echo "$name: stopped before the end of the job (exit 75, state kept); resubmission $count:"
  echo "+ $(hesscov_quote "${again[@]}")"
  local id submitted=0
  id=$("${again[@]}") || submitted=$?
  if (( submitted != 0 )) || [[ -z $id ]]; then
    echo "$name: the resubmission failed (sbatch exit status $submitted); resume with: $again_text"
    return 1
  fi
  HESSCOV_NEW_JOB=${id%%;*}
  echo "Submitted batch job $HESSCOV_NEW_JOB"
  return 0
}

hesscov_finish() {
  local rc=$1
  if hesscov_resubmit "$@"; then exit 0; fi
  exit "$rc"
}
