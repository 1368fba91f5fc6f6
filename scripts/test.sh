#!/usr/bin/env bash
# Second README command (and all that CI runs): install, build, and run every test with ctest.
# MPI tests run at 1, 2 and 3 ranks; GPU tests report "skipped" on machines without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build_dir=${HESSCOV_BUILD_DIR:-build}
ctest --test-dir "$build_dir" --output-on-failure --parallel "$(nproc)" --timeout 600
