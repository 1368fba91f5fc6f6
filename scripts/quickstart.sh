#!/usr/bin/env bash
# First README command: install, build, and run the main job on its embedded default
# (inputs/quickstart.yaml: Fashion-MNIST from Debian's dataset-fashion-mnist package).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
build_dir=${HESSCOV_BUILD_DIR:-build}
"$build_dir"/src/hesscov info
"$build_dir"/src/hesscov align inputs/quickstart.yaml "$@"
