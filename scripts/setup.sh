#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for bpftrace-ts and builds it: Debian's toolchain and
# libbpf (rebuilt position-independent for the addon's static link), the npm dependencies, then
# the BPF object, the addon and the TypeScript.
# Idempotent: packages already installed are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config cmake g++ make patch
  # the kernel matrix of `npm test` (scripts/kernel-matrix): Debian's kernels booted in qemu
  qemu-system-x86 busybox-static cpio kmod xz-utils
  # the differential test against strace (scripts/strace-diff) and the programs it traces
  strace python3 perl git sqlite3 jq gzip tar findutils grep sed mawk procps)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  echo "setup: installing ${missing[*]}"
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# cmake-js builds against Node's headers; use the ones installed with node (no download).
node_prefix=$(dirname "$(dirname "$(command -v node)")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node.h" ]; then
  export npm_config_nodedir=$node_prefix
fi

scripts/static-deps.sh
npm ci --no-audit --no-fund
npm run build
echo "setup: done; try ./bin/bpftrace-ts -- ls"
