#!/usr/bin/env python3
"""Real HessCov archives for the analysis tests, written by the hesscov binary from the smoke specs.

    python3 tests/analysis/archives.py OUT            # every sweep below (the ctest fixture analysis.archives)

Sweeps (each in OUT/<name>/, its index at OUT/<name>/results/sweeps/<spec output>/index.h5):
    alignment     inputs/sweeps/alignment-table-smoke.yaml (16 runs, align)
    epoch-noise   inputs/sweeps/epoch-noise-smoke.yaml (10 runs, fluct, epoch and replacement sampling)
    fluct-linear  inputs/sweeps/fluct-linear-smoke.yaml (8 runs, fluct on linear regression)
    curvature     a small spec written here: align with suppression + eig with trace and SLQ at 3 points, 2 seeds
    toy-valley    inputs/sweeps/toy-valley.yaml (16 runs, track on the Study 3 valley toys)
    partial       alignment-table-smoke stopped by SIGUSR1 in its third run (a view, status interrupted),
                  plus a file of random bytes in runs/ and a .partial folder without a run file,
                  indexed again with `hesscov index`

The binary is $HESSCOV (ctest sets it), else build/src/hesscov. With $HESSCOV_MPIEXEC (an mpirun
command line) the full sweeps run on 2 ranks (2 groups of 1); without it on 1 process, no mpirun.
OUT/<name>/DONE marks a finished sweep: existing ones are reused.
"""
import os
import shlex
import signal
import subprocess
import sys

SOURCE = os.environ.get("HESSCOV_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

SPECS = {
    "alignment": "alignment-table-smoke",
    "epoch-noise": "epoch-noise-smoke",
    "fluct-linear": "fluct-linear-smoke",
    "curvature": "curvature",
    "partial": "alignment-table-smoke",
    "toy-valley": "toy-valley",
}

CURVATURE_SPEC = """\
description: analysis tests - align (with suppression) and eig (trace, SLQ) at three points of training
base: {base}
set:
  data.per_class: 20
  data.classes: [0, 1, 2]
  model.mlp: [784, 20, 20, 3]
  train.epochs: 4
  train.batch_size: 20
  train.lr: 0.1
  train.eval_every: 2
  train.checkpoints: []
  train.evaluate_test: false
  eig.blocks: [fc2.weight]
  eig.nev: 10
  eig.trace_probes: 12
  eig.slq_probes: 2
  eig.slq_steps: 10
  align.baselines: 2
  align.cosine_probes: 0
  align.per_sample: 10
  align.suppression: true
  measure.analyses: [align, eig]
  measure.epochs: [1, 2, 4]
grid:
  model.loss: [cross_entropy]
seeds: 2
output: results/sweeps/curvature
group_size: 1
"""


def binary():
    path = os.environ.get("HESSCOV") or os.path.join(SOURCE, "build", "src", "hesscov")
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def index_path(out, name):
    return os.path.join(out, name, "results", "sweeps", SPECS[name], "index.h5")


def _environment():
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


def _sweep(spec, folder, parallel=True, log=None):
    command = [binary(), "sweep", spec]
    mpiexec = os.environ.get("HESSCOV_MPIEXEC")
    if parallel and mpiexec:
        command = shlex.split(mpiexec) + ["-np", "2"] + command
    run = subprocess.run(command, cwd=folder, env=_environment(), capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} (in {folder}) exited {run.returncode}:\n"
                           f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}")


def _partial(folder):
    """Stop the alignment smoke sweep by SIGUSR1 as its third run starts: two merged runs, one view."""
    spec = os.path.join(SOURCE, "inputs", "sweeps", "alignment-table-smoke.yaml")
    process = subprocess.Popen([binary(), "sweep", spec], cwd=folder, env=_environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if "[group 0 run 2]" in line:
            process.send_signal(signal.SIGUSR1)
            break
    seen.append(process.stdout.read())
    code = process.wait()
    if code != 75:
        raise RuntimeError(f"the SIGUSR1-stopped sweep exited {code}, not 75:\n{''.join(seen)[-3000:]}")
    sweep = os.path.dirname(index_path(os.path.dirname(folder), "partial"))
    with open(os.path.join(sweep, "runs", "0123456789abcdef.h5"), "wb") as handle:
        handle.write(os.urandom(4096))                      # unreadable: random bytes
    os.makedirs(os.path.join(sweep, "runs", "fedcba9876543210.partial"), exist_ok=True)
    run = subprocess.run([binary(), "index", sweep], cwd=folder, env=_environment(), capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"hesscov index {sweep} exited {run.returncode}: {run.stdout}{run.stderr}")


def build(out, name):
    """The index of sweep `name` under out, built if not there yet."""
    folder = os.path.join(out, name)
    done = os.path.join(folder, "DONE")
    if os.path.exists(done):
        return index_path(out, name)
    os.makedirs(folder, exist_ok=True)
    if name == "curvature":
        spec = os.path.join(folder, "curvature.yaml")
        with open(spec, "w") as handle:
            handle.write(CURVATURE_SPEC.format(base=os.path.join(SOURCE, "inputs", "quickstart.yaml")))
        _sweep(spec, folder, parallel=False)
    elif name == "partial":
        _partial(folder)
    else:
        _sweep(os.path.join(SOURCE, "inputs", "sweeps", SPECS[name] + ".yaml"), folder)
    with open(done, "w") as handle:
        handle.write(binary() + "\n")
    return index_path(out, name)


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    if binary() is None:
        print("skipped: no hesscov binary (set HESSCOV)")
        return 77
    out = os.path.abspath(argv[1])
    for name in SPECS:
        marker = os.path.join(out, name, "DONE")
        if os.path.exists(marker):                          # the fixture always writes fresh archives
            import shutil
            shutil.rmtree(os.path.join(out, name))
        print(f"{name}: {build(out, name)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
