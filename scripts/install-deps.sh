#!/usr/bin/env bash
# Installs every dependency of HessCov from Debian packages. Idempotent: a second run
# installs nothing new. Runs as root (or through sudo when not root).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  openmpi-bin libopenmpi-dev
  libpetsc64-real-dev libslepc64-real-dev
  libhdf5-openmpi-dev hdf5-tools
  libyaml-cpp-dev zlib1g-dev
  libgtest-dev libgmock-dev
  libopenblas-dev
  python3 python3-numpy python3-scipy python3-h5py python3-matplotlib python3-pytest
  dataset-fashion-mnist
)

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#packages[@]} Debian packages present"
fi

# PETSc64 loads libblas64/liblapack64 (64-bit BLAS integers) and our code libblas/liblapack, all
# through Debian's alternatives; the reference BLAS makes SLEPc about 5x slower, so point all four
# at OpenBLAS and refuse to go on if any of them does not resolve there.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
status=0
for pair in libblas.so.3:openblas-pthread liblapack.so.3:openblas-pthread \
            libblas64.so.3:openblas64-pthread liblapack64.so.3:openblas64-pthread; do
  lib=${pair%%:*} dir=${pair#*:}
  target=/usr/lib/$arch/$dir/$lib
  [[ -e $target ]] && "${sudo_cmd[@]}" update-alternatives --set "$lib-$arch" "$target" >/dev/null
  resolved=$(readlink -f "/usr/lib/$arch/$lib" 2>/dev/null || true)
  case $resolved in
    */openblas*) echo "install-deps: $lib -> $resolved" ;;
    *) echo "install-deps: error: $lib resolves to '${resolved:-nothing}', expected OpenBLAS ($target)" >&2; status=1 ;;
  esac
done
exit $status
