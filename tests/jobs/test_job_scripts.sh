#!/usr/bin/env bash
# tests/jobs/test_job_scripts.sh: runs every job script in jobs/ the way a user would, through the
# stub sbatch and srun of tests/jobs/stubs/ (first on the PATH; srun runs the tasks with mpirun),
# on tiny sweeps of Fashion-MNIST, and checks what they did: exit codes, the run files and the
# index, what was submitted (the stub's $STUB_STATE/sbatch.log), the resubmission of a sweep stopped
# by SIGUSR1 (what `#SBATCH --signal=USR1@300` does near the time limit), and the clean stop of
# jobs/workstation-sweep.sh by SIGINT (Ctrl-C). One line per check; about a minute on 2 cores.
#
#   bash tests/jobs/test_job_scripts.sh          (ctest -R jobs runs it with the variables below)
# Environment: HESSCOV (the binary; default build/src/hesscov), HESSCOV_SOURCE_DIR (the repository;
# default the one holding this file), HESSCOV_KEEP_SCRATCH=1 (keep the scratch folder; it is kept
# anyway when a check fails). Exit status 0: all passed, 1: a check failed, 77: skipped.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=${HESSCOV_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
hesscov=${HESSCOV:-$source_dir/build/src/hesscov}
dataset=/usr/share/datasets/fashion-mnist

skip() { echo "SKIP: $*"; exit 77; }
[[ -d $dataset ]] || skip "the Fashion-MNIST data set is not installed at $dataset (Debian package dataset-fashion-mnist)"
[[ -x $hesscov ]] || skip "the hesscov binary is missing: $hesscov (build it, or set HESSCOV)"
command -v mpirun >/dev/null || skip "mpirun is not on the PATH"
for tool in pgrep setsid awk; do command -v "$tool" >/dev/null || skip "$tool is not installed"; done
# Reading index.h5: h5py under the system Python (the python3 first on the PATH may lack it), else h5dump.
if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then h5reader=h5py
elif command -v h5dump >/dev/null; then h5reader=h5dump
else skip "neither /usr/bin/python3 with h5py nor h5dump (hdf5-tools) is installed"
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/hesscov-jobs.XXXXXX")
mkdir -p "$scratch/logs" "$scratch/specs" "$scratch/out" "$scratch/state"
started=$SECONDS

# The stubs (sbatch, srun, squeue) first; nothing of an enclosing Slurm job (should this run inside one) or of a
# previous setting leaks in.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(SLURM_|SBATCH_|STUB_|HESSCOV_RESUBMIT)' || true)
unset HESSCOV_SBATCH_ARGS HESSCOV_DEVICE HESSCOV_GROUP_SIZE HESSCOV_INDEX_DIR HESSCOV_ARRAY_MAX_RUNNING
export PATH="$here/stubs:$PATH"
export STUB_STATE=$scratch/state
export HESSCOV=$hesscov
export OPENBLAS_NUM_THREADS=1
# Every job's output under the scratch folder, also for the sbatch calls the scripts make themselves.
export HESSCOV_SBATCH_ARGS="--output=$scratch/logs/%x-%j.out"
out_option=--output=$scratch/logs/%x-%j.out
log=$STUB_STATE/sbatch.log
cd "$source_dir" || exit 1

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "FAILED - $*"; }
check() {  # check DESCRIPTION COMMAND...: passes when COMMAND succeeds
  local what=$1; shift
  if "$@"; then ok "$what"; else not_ok "$what"; fi
}
show() {  # show FILE: the tail of a job's output, for a failure
  echo "---- $1 (last 30 lines)"; tail -n 30 "$1" 2>/dev/null | sed 's/^/    /'; echo "----"
}

# A sweep spec in the scratch folder: spec NAME OUTPUT-NAME YAML-LINES...
spec() {
  local file=$scratch/specs/$1.yaml
  {
    echo "base: $source_dir/inputs/quickstart.yaml"
    echo "set: {data.per_class: 10, train.epochs: ${EPOCHS:-4}, train.batch_size: 20, train.evaluate_test: false, eig.nev: 8, align.per_sample: 0, align.cosine_probes: 0, measure.analyses: [align]}"
    echo "output: $scratch/out/$2"
    shift 2
    printf '%s\n' "$@"
  } >"$file"
  echo "$file"
}
four_runs=("grid: {train.lr: [0.1, 0.05]}" "seeds: 2" "group_size: 2")

# index_counts DIR: prints "RUNS MERGED" of DIR/index.h5 (its root attributes), or "missing".
index_counts() {
  [[ -f $1/index.h5 ]] || { echo missing; return; }
  if [[ $h5reader == h5py ]]; then
    /usr/bin/python3 - "$1/index.h5" <<'EOF' 2>/dev/null || echo unreadable
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    links = len(f["runs"]) if "runs" in f else 0
    runs, merged = int(f.attrs["runs"]), int(f.attrs["merged"])
    print(f"{runs} {merged}" if links == runs else f"{runs} {merged} (but {links} links)")
EOF
  else
    local runs merged
    runs=$(h5dump -a /runs "$1/index.h5" 2>/dev/null | sed -n 's/.*(0): \([0-9]*\).*/\1/p')
    merged=$(h5dump -a /merged "$1/index.h5" 2>/dev/null | sed -n 's/.*(0): \([0-9]*\).*/\1/p')
    echo "${runs:-?} ${merged:-?}"
  fi
}
# check_sweep WHAT DIR N: index.h5 lists N runs, all finished; N run files, no partial ones.
check_sweep() {
  local what=$1 dir=$2 n=$3 counts files partial
  counts=$(index_counts "$dir")
  if [[ $counts == "$n $n" ]]; then ok "$what: index.h5 lists $n runs, $n finished"
  else not_ok "$what: index.h5 lists '$counts' (runs finished), expected '$n $n'"
  fi
  files=$(find "$dir/runs" -maxdepth 1 -name '*.h5' 2>/dev/null | wc -l)
  partial=$(find "$dir/runs" -maxdepth 1 -name '*.partial' 2>/dev/null | wc -l)
  if [[ $files -eq $n && $partial -eq 0 ]]; then ok "$what: one run file per run ($n), none partial"
  else not_ok "$what: $files run files and $partial partial ones in $dir/runs, expected $n and 0"
  fi
}
# quoted_re TEXT: TEXT as the stub's log quotes it (printf %q), as a literal basic regex.
quoted_re() { printf '%q' "$1" | sed 's/[][\\.*^$]/\\&/g'; }
job_rc() { sed -n "s/^end job=$1 rc=\([0-9]*\).*/\1/p" "$log"; }
job_out() { sed -n "s/^start job=$1 .*output=\([^ ]*\) env:.*/\1/p" "$log"; }
submits_of() { grep -c "^submit job=.* script=[^ ]*$1 " "$log"; }
last_job() { cat "$STUB_STATE/last_job_id"; }
# check_job WHAT ID RC: job ID ran and ended with exit status RC.
check_job() {
  local rc; rc=$(job_rc "$2")
  if [[ $rc == "$3" ]]; then ok "$1: job $2 exited with $3"
  else not_ok "$1: job $2 exited with '${rc}', expected $3"; show "$(job_out "$2")"
  fi
}
# An executable that stands in for hesscov: `sweep` exits with $FAKE_RC (default 75), `index`
# with 0; FAKE_TERM_BATCH=1 makes rank 0 send SIGTERM to its batch shell first, as Slurm does
# to every process of a job it cancels.
fake=$scratch/fake-hesscov
cat >"$fake" <<'EOF'
#!/usr/bin/env bash
echo "fake hesscov $* (rank ${OMPI_COMM_WORLD_RANK:-0})"
[[ ${1:-} == index ]] && exit 0
if [[ ${FAKE_TERM_BATCH:-0} == 1 ]]; then
  pid=$$
  while [[ ${OMPI_COMM_WORLD_RANK:-0} == 0 ]] && pid=$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null) && (( pid > 1 )); do
    if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$STUB_STATE/spool/job"; then
      kill -TERM "$pid"; echo "fake hesscov: SIGTERM to the batch shell $pid"; break
    fi
  done
  sleep 1  # every rank: none ends (and makes mpirun end the others) before the SIGTERM is sent
fi
exit "${FAKE_RC:-75}"
EOF
chmod +x "$fake"

echo "# job scripts through stub sbatch/srun; scratch $scratch; hesscov $hesscov"

# --- the stub sbatch itself, on a script that only prints its environment -------------------------
cat >"$scratch/env-job.sh" <<'EOF'
#!/usr/bin/env bash
#SBATCH --job-name=env-job
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=3
#SBATCH --cpus-per-task=2
##SBATCH --ntasks=99
echo "args: $*"; env | grep '^SLURM_' | sort; echo "script: $0"
exit 4
#SBATCH --ntasks=77
EOF
sbatch --array=1,4-6%2 "--output=$scratch/logs/%x-%A_%a.out" "$scratch/env-job.sh" a "b c" >"$scratch/stub.out"
rc=$?
check "stub sbatch: an array 1,4-6%2 is 4 tasks with their own job ids, SLURM_ARRAY_*, %x-%A_%a output names" \
  test "$(cat "$scratch/logs/env-job-1_5.out" | grep -c -e '^SLURM_ARRAY_TASK_COUNT=4$' -e '^SLURM_JOB_ID=3$' -e '^SLURM_ARRAY_JOB_ID=1$')" -eq 3
check "stub sbatch: #SBATCH lines up to the first command (--nodes=2 x --ntasks-per-node=3, not the ##SBATCH)" \
  grep -q "^SLURM_NTASKS=6$" "$scratch/logs/env-job-1_4.out"
check "stub sbatch: the job script runs from a spool copy, with its arguments" \
  test "$(grep -c -e "^script: $STUB_STATE/spool/job1.sh" -e '^args: a b c$' "$scratch/logs/env-job-1_1.out")" -eq 2
check "stub sbatch: a job's own exit status (4) is logged, sbatch exits 0" \
  test "$rc $(grep -c "^end job=[0-9]* rc=4 array_job=1 " "$log")" = "0 4"
sbatch -n 1 -c 1 --job-name=cli "--output=$scratch/logs/%x-%j.out" "$scratch/env-job.sh" >/dev/null
check "stub sbatch: the command line wins over #SBATCH lines (-n 1 -c 1 --job-name=cli)" \
  test "$(grep -c -e '^SLURM_CPUS_PER_TASK=1$' -e '^SLURM_NTASKS=1$' "$scratch/logs/cli-5.out")" -eq 2
sbatch --dependency=afterany:999 "$scratch/env-job.sh" >/dev/null 2>&1
check "stub sbatch: a dependency on a job that does not exist fails the submission" test $? -ne 0

# --- jobs/run.sbatch: a one-run spec on all the job's tasks ------------------------------------
one=$(spec one one "seeds: 1" "group_size: 1")
id=$(sbatch --parsable -n 2 "$out_option" jobs/run.sbatch "$one" train.lr=0.05)
check "run.sbatch: sbatch --parsable printed the job id ($id)" test "$id" = "$(last_job)"
check_job "run.sbatch" "$id" 0
check "run.sbatch: srun ran hesscov sweep on the job's 2 tasks with --group-size 2 and the override" \
  grep -q "^+ srun .*hesscov sweep $one --group-size 2 train.lr=0.05" "$(job_out "$id")"
check_sweep "run.sbatch" "$scratch/out/one" 1

# --- jobs/sweep.sbatch: a sweep as one MPI job ------------------------------------------------------
tiny=$(spec sweep sweep "${four_runs[@]}")
sbatch -n 2 "$out_option" jobs/sweep.sbatch "$tiny" 1 >"$scratch/sbatch.out"
id=$(last_job)
check "sweep.sbatch: sbatch printed 'Submitted batch job $id'" grep -qx "Submitted batch job $id" "$scratch/sbatch.out"
check_job "sweep.sbatch GROUP_SIZE=1" "$id" 0
check "sweep.sbatch: 2 groups of 1 rank on the job's 2 tasks" \
  grep -q "sweep $tiny: 4 of 4 runs, 2 group(s) of 1 rank(s)" "$(job_out "$id")"
check "sweep.sbatch: the #SBATCH lines were read (--signal=USR1@300, job name)" \
  grep -q "^submit job=$id .*job-name=hesscov-sweep .*signal=USR1@300" "$log"
check_sweep "sweep.sbatch" "$scratch/out/sweep" 4
sbatch -n 2 "$out_option" jobs/sweep.sbatch "$tiny" 1 >/dev/null
id=$(last_job)
check_job "sweep.sbatch again (resume of a finished sweep)" "$id" 0
check "sweep.sbatch again: all 4 runs skipped as already done" \
  grep -q "sweep: 0 completed, 0 diverged, 4 already done" "$(job_out "$id")"
sbatch -n 2 "$out_option" jobs/sweep.sbatch "$tiny" --dry-run >/dev/null
id=$(last_job)
check "sweep.sbatch without GROUP_SIZE: the spec's group_size (dry run: groups of 2 ranks)" \
  grep -q "sweep $tiny: 4 runs, groups of 2 ranks" "$(job_out "$id")"

# Resubmission logic, with the fake hesscov (it exits 75 at once, or what FAKE_RC says).
first=$(( $(last_job) + 1 ))
HESSCOV=$fake HESSCOV_RESUBMIT_MAX=2 sbatch -n 2 "$out_option" jobs/sweep.sbatch "$tiny" 1 train.lr=0.2 >/dev/null
check "sweep.sbatch exit 75: resubmitted with the same arguments until HESSCOV_RESUBMIT_MAX=2 (3 jobs)" \
  test "$(grep -c "^submit job=.*sweep.sbatch args=$(quoted_re "$tiny 1 train.lr=0.2") " "$log")" -eq 3
check "sweep.sbatch exit 75: each resubmission counted (HESSCOV_RESUBMIT_COUNT=1, 2) and kept 2 tasks" \
  grep -q "^start job=$((first + 2)) .*HESSCOV_RESUBMIT_COUNT=2 .*SLURM_NTASKS=2 " "$log"
check "sweep.sbatch exit 75: jobs that resubmitted exit 0, the last one 75" \
  test "$(job_rc "$first") $(job_rc $((first + 1))) $(job_rc $((first + 2)))" = "0 0 75"
first=$(( $(last_job) + 1 ))
HESSCOV=$fake HESSCOV_RESUBMIT=0 sbatch -n 2 "$out_option" jobs/sweep.sbatch "$tiny" >/dev/null
check "sweep.sbatch exit 75 with HESSCOV_RESUBMIT=0: no resubmission, exit 75" \
  test "$(last_job) $(job_rc "$first")" = "$first 75"
first=$(( $(last_job) + 1 ))
HESSCOV=$fake FAKE_RC=3 sbatch -n 2 "$out_option" jobs/sweep.sbatch "$tiny" >/dev/null
check "sweep.sbatch other failure (exit 3): passed through, no resubmission" \
  test "$(last_job) $(job_rc "$first")" = "$first 3"
first=$(( $(last_job) + 1 ))
HESSCOV=$fake FAKE_TERM_BATCH=1 sbatch -n 2 "$out_option" jobs/sweep.sbatch "$tiny" >/dev/null
check "sweep.sbatch exit 75 after SIGTERM to the batch shell (scancel): no resubmission, exit 75" \
  test "$(last_job) $(job_rc "$first")" = "$first 75"

# The real thing: SIGUSR1 to the tasks mid-sweep (the stub srun's STUB_SIGNAL_AFTER, first srun
# only), exit 75, resubmission, the second job finishes the sweep.
long=$(EPOCHS=4000 spec long resubmit "seeds: 2" "group_size: 1")
first=$(( $(last_job) + 1 ))
STUB_SIGNAL_AFTER=1 STUB_SIGNAL_TAG=resubmit sbatch -n 2 --time=00:30:00 "$out_option" jobs/sweep.sbatch "$long" 1 >/dev/null
second=$((first + 1))
check "sweep.sbatch stopped by SIGUSR1: the stub srun signalled the tasks once" \
  test "$(grep -c "^signal job=$first signal=USR1 tasks=[0-9]* [0-9]*$" "$STUB_STATE/srun.log")" -eq 1
check "sweep.sbatch stopped by SIGUSR1: hesscov stopped (signal 10) and exited 75" \
  grep -q "stopped by signal 10" "$(job_out "$first")"
check "sweep.sbatch stopped by SIGUSR1: resubmitted itself once, with the same arguments" \
  test "$(last_job) $(grep -c "^submit job=$second script=$source_dir/jobs/sweep.sbatch args=$(quoted_re "$long 1") .*export=ALL" "$log")" = "$second 1"
check "sweep.sbatch stopped by SIGUSR1: the resubmission kept the tasks and the time limit (squeue)" \
  grep -q "^submit job=$second .*cmdline=.*--ntasks=2.*--time=00:30:00" "$log"
check_job "sweep.sbatch stopped by SIGUSR1: the first job" "$first" 0
check_job "sweep.sbatch stopped by SIGUSR1: the resubmitted job" "$second" 0
check "sweep.sbatch stopped by SIGUSR1: the second job resumed both runs and completed them" \
  test "$(grep -c 'resuming .* from its state at step' "$(job_out "$second")") $(grep -c 'sweep: 2 completed' "$(job_out "$second")")" = "2 1"
check_sweep "sweep.sbatch stopped by SIGUSR1 and resubmitted" "$scratch/out/resubmit" 2

# --- jobs/submit-sweep-array.sh: a job array and a dependent index job --------------------------
array_spec=$(spec array array "${four_runs[@]}")
first=$(( $(last_job) + 1 ))
bash jobs/submit-sweep-array.sh "$array_spec" >"$scratch/submit-array.out" 2>&1
rc=$?
array_id=$(sed -n 's/^array job: //p' "$scratch/submit-array.out")
index_id=$(sed -n 's/^index job: //p' "$scratch/submit-array.out")
check "submit-sweep-array.sh: exit 0, printed both job ids ($array_id, $index_id)" \
  test "$rc $array_id" = "0 $first" -a -n "$index_id"
[[ $rc -eq 0 ]] || show "$scratch/submit-array.out"
check "submit-sweep-array.sh: an array of 4 tasks (one per run) of 2 ranks (the spec's group_size)" \
  grep -q "^submit job=$array_id script=jobs/sweep-array.sbatch args=$(quoted_re "$array_spec 4") array_size=4 .* ntasks=2 .*array=0-3 " "$log"
check "submit-sweep-array.sh: every array task ran its chunk (--array-index I --array-count 4) and exited 0" \
  test "$(for i in 0 1 2 3; do grep -c "hesscov sweep $array_spec --array-index $i --array-count 4 --group-size 2" "$STUB_STATE/srun.log"; done | tr '\n' ' ')$(grep -c "^end job=[0-9]* rc=0 array_job=$array_id " "$log")" = "1 1 1 1 4"
check "submit-sweep-array.sh: the index job depends on the array (afterany:$array_id) and runs hesscov index" \
  grep -q "^submit job=$index_id script=jobs/index.sbatch args=$(quoted_re "$scratch/out/array") .*dependency=afterany:$array_id" "$log"
check_job "submit-sweep-array.sh: the index job" "$index_id" 0
check_sweep "submit-sweep-array.sh" "$scratch/out/array" 4
array_spec2=$(spec array2 array2 "${four_runs[@]}")
bash jobs/submit-sweep-array.sh "$array_spec2" 2 >"$scratch/submit-array2.out" 2>&1
rc=$?
array_id=$(sed -n 's/^array job: //p' "$scratch/submit-array2.out")
check "submit-sweep-array.sh CHUNKS=2: exit 0, an array of 2 tasks of 2 runs each" \
  test "$rc $(grep -c "^submit job=$array_id .*array_size=2 .*array=0-1 " "$log")" = "0 1"
check_sweep "submit-sweep-array.sh CHUNKS=2" "$scratch/out/array2" 4
# An array task stopped (exit 75) resubmits itself as a one-task array, and an index job after it.
first=$(( $(last_job) + 1 ))
HESSCOV=$fake HESSCOV_RESUBMIT_MAX=1 HESSCOV_INDEX_DIR=$scratch/out/array2 \
  sbatch --array=1 -n 1 "$out_option" jobs/sweep-array.sbatch "$array_spec2" 2 >/dev/null
check "sweep-array.sbatch exit 75: resubmitted as --array=1 with the same arguments, then an index job after it" \
  test "$(grep -c "^submit job=$((first + 1)) script=$source_dir/jobs/sweep-array.sbatch args=$(quoted_re "$array_spec2 2") .*array=1 " "$log") $(grep -c "^submit job=$((first + 2)) .*index.sbatch .*dependency=afterany:$((first + 1))" "$log")" = "1 1"

# --- jobs/sweep-gpu.sbatch: one rank per GPU, here with HESSCOV_DEVICE=cpu ----------------------
gpu=$(spec gpu gpu "${four_runs[@]}")
id=$(HESSCOV_DEVICE=cpu sbatch --parsable -n 2 "$out_option" jobs/sweep-gpu.sbatch "$gpu")
check_job "sweep-gpu.sbatch" "$id" 0
check "sweep-gpu.sbatch: --gpus-per-task=1 from its #SBATCH lines, SLURM_GPUS_PER_TASK=1 in the job" \
  grep -q "^start job=$id .*SLURM_GPUS_PER_TASK=1" "$log"
check "sweep-gpu.sbatch: groups of 1 (one run per GPU rank) and device=cpu passed to hesscov" \
  grep -q "^+ srun .*hesscov sweep $gpu --group-size 1 device=cpu" "$(job_out "$id")"
check "sweep-gpu.sbatch: the runs ran on device cpu" grep -q "model on cpu" "$(job_out "$id")"
check_sweep "sweep-gpu.sbatch" "$scratch/out/gpu" 4

# --- jobs/index.sbatch on its own --------------------------------------------------------------------
rm -f "$scratch/out/gpu/index.h5"
id=$(sbatch --parsable "$out_option" jobs/index.sbatch "$scratch/out/gpu")
check_job "index.sbatch" "$id" 0
check "index.sbatch: rebuilt index.h5 with 4 runs" test "$(index_counts "$scratch/out/gpu")" = "4 4"

# --- jobs/workstation-sweep.sh: plain mpirun ------------------------------------------------------
ws=$(spec workstation workstation "${four_runs[@]}")
bash jobs/workstation-sweep.sh 2 "$ws" >"$scratch/logs/workstation.out" 2>&1
rc=$?
check "workstation-sweep.sh: exit 0" test "$rc" -eq 0
[[ $rc -eq 0 ]] || show "$scratch/logs/workstation.out"
check "workstation-sweep.sh: mpirun -np 2 --oversubscribe, one group of 2 (the spec's)" \
  grep -q "1 group(s) of 2 rank(s)" "$scratch/logs/workstation.out"
check_sweep "workstation-sweep.sh" "$scratch/out/workstation" 4
# Ctrl-C: SIGINT to the script's process group, as a terminal sends it, once the ranks catch SIGUSR1.
wslong=$(EPOCHS=4000 spec wslong wslong "seeds: 2" "group_size: 1")
wslog=$scratch/logs/workstation-stop.out
set -m  # the script in a process group of its own, like a terminal's foreground job
bash jobs/workstation-sweep.sh 2 "$wslong" >"$wslog" 2>&1 &
ws_pid=$!
set +m
ready=0
for _ in $(seq 1 300); do
  mpirun_pid=$(sed -n 's/^workstation-sweep.sh: mpirun pid \([0-9]*\);.*/\1/p' "$wslog")
  if [[ -n $mpirun_pid ]]; then
    ranks=$(pgrep -P "$mpirun_pid" | wc -l)
    catching=0
    for pid in $(pgrep -P "$mpirun_pid"); do
      mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
      [[ -n $mask ]] && (( (16#$mask >> 9) & 1 )) && catching=$((catching + 1))
    done
    (( ranks == 2 && catching == 2 )) && { ready=1; break; }
  fi
  sleep 0.1
done
sleep 0.5
kill -INT -- "-$ws_pid" 2>/dev/null
wait "$ws_pid"
rc=$?
check "workstation-sweep.sh Ctrl-C: the ranks were running (ready=$ready), the script exited 75" test "$rc" -eq 75
[[ $rc -eq 75 ]] || show "$wslog"
check "workstation-sweep.sh Ctrl-C: turned into SIGUSR1 to mpirun, the sweep stopped cleanly" \
  grep -q "stopped by signal 10: run the same command again to resume" "$wslog"
bash jobs/workstation-sweep.sh 2 "$wslong" >"$scratch/logs/workstation-resume.out" 2>&1
rc=$?
check "workstation-sweep.sh resume: exit 0, both runs resumed from their kept state" \
  test "$rc $(grep -c 'resuming .* from its state at step' "$scratch/logs/workstation-resume.out")" = "0 2"
check_sweep "workstation-sweep.sh stopped and resumed" "$scratch/out/wslong" 2

# --- the benchmark jobs at their small size: one record per suite, the report of them -------------
bench_records() {  # bench_records DIR: the suites' records (HDF5 and JSON) that DIR holds
  local found=0 name
  for name in products-mlp products-cnn scaling-strong scaling-weak eig io; do
    [[ -s $1/$name.h5 && -s $1/$name.json ]] && found=$((found + 1))
  done
  echo "$found"
}
id=$(HESSCOV_BENCH_SIZE=small sbatch --parsable -n 2 "$out_option" jobs/bench.sbatch "$scratch/out/bench")
check_job "bench.sbatch at the small size" "$id" 0
check "bench.sbatch: the six records of a CPU job, io scratch files removed" \
  test "$(bench_records "$scratch/out/bench") $(find "$scratch/out/bench" -name 'hesscov-bench-io-*' | wc -l)" = "6 0"
check "bench.sbatch: records.h5 links the six records" \
  test "$(h5ls "$scratch/out/bench/records.h5/records" 2>/dev/null | grep -c 'External Link')" -eq 6
check "bench.sbatch: the scaling records cover 1 and 2 ranks" \
  grep -q '"name":"hvp_r2"' "$scratch/out/bench/scaling-strong.json"
HESSCOV_BENCH_SIZE=small bash jobs/bench-workstation.sh 2 "$scratch/out/bench-ws" >"$scratch/logs/bench-ws.out" 2>&1
rc=$?
check "bench-workstation.sh at the small size: exit 0, six records" test "$rc $(bench_records "$scratch/out/bench-ws")" = "0 6"
[[ $rc -eq 0 ]] || show "$scratch/logs/bench-ws.out"

# --- the stub itself: every job's output went where --output said --------------------------------
check "no job output outside the scratch folder (HESSCOV_SBATCH_ARGS reached every sbatch call)" \
  test "$(grep '^start job=' "$log" | grep -vc "output=$scratch/logs/")" -eq 0

echo "# $passed passed, $failed failed, in $((SECONDS - started)) s"
if (( failed )); then
  echo "# scratch folder kept: $scratch (job outputs in logs/, the stub's logs in state/)"
  exit 1
fi
if [[ ${HESSCOV_KEEP_SCRATCH:-0} == 1 ]]; then echo "# scratch folder kept: $scratch"
else rm -rf "$scratch"
fi
exit 0
