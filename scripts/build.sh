#!/usr/bin/env bash
# Installs the Debian dependencies (idempotent) and builds HessCov into build/ (or $HESSCOV_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build_dir=${HESSCOV_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${HESSCOV_BUILD_TYPE:-Release}"
cmake --build "$build_dir" --parallel "$(nproc)"
