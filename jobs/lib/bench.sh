# jobs/lib/bench.sh: the benchmark suites every bench job runs, each writing its record
# (docs/performance.md "Records") into one folder, then the plots and report of that folder.
# Sourced by jobs/bench.sbatch, jobs/bench-gpu.sbatch and jobs/bench-workstation.sh, which set:
#   bench_launch   the launcher as an array (srun, or mpirun -np R), may be empty for one process
#   bench_out      the record folder (created)
#   bench_ranks    the rank counts of the scaling and io suites, "1,2,4,..."
#   bench_device   cpu or cuda
# and may set HESSCOV_BENCH_SIZE=small for a quick check (tiny sizes, a minute in all).
# Suites: products (the roofline view) on the MLP 784-50-50-10 and the CNN; scaling of H v and the
# gradient, strong and weak; the eigensolver's time to the top 100, 1000, 2000 on 42,200 unknowns
# (krylovschur; on CPUs only); archive writes. Then `hesscov bench collect` links every record
# into OUT/records.h5, one archive of the job's results.
hesscov_bench_run() {
  local hesscov=${HESSCOV:-build/src/hesscov} python=${HESSCOV_PYTHON:-python3}
  mkdir -p "$bench_out"
  local samples=20000 weak=5000 nevs=100,1000,2000 n=42200 cnn=2000 steps=100000 repeat=5
  if [[ ${HESSCOV_BENCH_SIZE:-} == small ]]; then
    samples=400 weak=100 nevs=10,20 n=2000 cnn=40 steps=2000 repeat=2
  fi
  set -x
  "${bench_launch[@]}" "$hesscov" bench products --device "$bench_device" --samples "$samples" --repeat "$repeat" \
    --record "$bench_out/products-mlp.h5"
  "${bench_launch[@]}" "$hesscov" bench products --device "$bench_device" --model cnn:1,28,28 --samples "$cnn" \
    --repeat "$repeat" --block 8 --record "$bench_out/products-cnn.h5"
  "${bench_launch[@]}" "$hesscov" bench scaling --device "$bench_device" --samples "$samples" --ranks "$bench_ranks" \
    --repeat "$repeat" --record "$bench_out/scaling-strong.h5"
  "${bench_launch[@]}" "$hesscov" bench scaling --device "$bench_device" --weak --samples "$weak" --ranks "$bench_ranks" \
    --repeat "$repeat" --record "$bench_out/scaling-weak.h5"
  if [[ $bench_device == cpu ]]; then
    "${bench_launch[@]}" "$hesscov" bench eig --n "$n" --nev "$nevs" --record "$bench_out/eig.h5"
  fi
  "${bench_launch[@]}" "$hesscov" bench io --ranks "$bench_ranks" --steps "$steps" --dir "$bench_out/io-scratch" \
    --record "$bench_out/io.h5"
  rmdir "$bench_out/io-scratch" 2>/dev/null || true
  "$hesscov" bench collect "$bench_out"
  set +x
  if "$python" -c 'import h5py, matplotlib' 2>/dev/null; then
    "$python" -m analysis bench "$bench_out" --out "$bench_out/report"
  else
    echo "bench: no h5py/matplotlib for $python: the records are in $bench_out; plot them with python3 -m analysis bench"
  fi
}

# "1,2,4,...,R" (and R itself) for R ranks.
hesscov_bench_ranks() {
  local total=$1 r=1 list=""
  while (( r < total )); do list+="$r,"; r=$(( r * 2 )); done
  echo "${list}${total}"
}
