#!/usr/bin/env bash
# Builds position-independent libbpf.a and libz.a into .deps/<name>/ for the addon's static link
# (CMakeLists.txt). Debian's libbpf.a and libz.a are compiled for executables (they reach data
# PC-relative) and cannot go into a shared object such as a Node addon; this compiles the same
# source Debian ships (the -dev package version installed, fetched with apt-get source from the
# machine's Debian mirrors, in a private apt state) with -fPIC. Idempotent: nothing is fetched
# when the archive for that version is there.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
apt_options=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/sources"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
lists_ready=

# fetch DEV_PACKAGE: unpacks the Debian source of the installed version (patches applied) into
# $work/SOURCE_PACKAGE.
fetch() {
  local source version upstream
  source=$(dpkg-query -W -f='${source:Package}' "$1")
  version=$(dpkg-query -W -f='${source:Version}' "$1")
  upstream=${version#*:}
  if [ -z "$lists_ready" ]; then
    mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/sources"
    for file in /etc/apt/sources.list.d/*.sources; do
      [ -f "$file" ] && sed 's/^Types:.*$/Types: deb-src/' "$file" > "$work/sources/$(basename "$file")"
    done
    apt-get "${apt_options[@]}" -qq update
    lists_ready=1
  fi
  mkdir -p "$work/download-$source" "$work/$source"
  (cd "$work/download-$source" && apt-get "${apt_options[@]}" -qq source --download-only "$source=$version" >/dev/null)
  if [ ! -f "$work/download-$source/${source}_$upstream.dsc" ]; then
    echo "static-deps: no source $source $version on the mirrors" >&2
    exit 1
  fi
  tar xf "$work/download-$source/${source}_${upstream%-*}.orig.tar."* -C "$work/$source" --strip-components=1
  local debian=("$work/download-$source/${source}_$upstream.debian.tar."*)
  if [ -f "${debian[0]}" ]; then
    tar xf "${debian[0]}" -C "$work/$source"
    if [ -f "$work/$source/debian/patches/series" ]; then
      grep -v '^#' "$work/$source/debian/patches/series" | while read -r patch _; do
        [ -n "$patch" ] && patch -d "$work/$source" -p1 -s < "$work/$source/debian/patches/$patch"
      done
    fi
  fi
}

# current NAME DEV_PACKAGE: whether .deps/NAME holds the build of the installed version.
current() {
  [ -f ".deps/$1/lib$1.a" ] && [ "$(cat ".deps/$1/version" 2>/dev/null)" = "$(dpkg-query -W -f='${Version}' "$2")" ]
}

# install NAME DEV_PACKAGE BUILT_ARCHIVE
install_archive() {
  mkdir -p ".deps/$1"
  cp "$3" ".deps/$1/lib$1.a"
  dpkg-query -W -f='${Version}' "$2" > ".deps/$1/version"
  echo "static-deps: .deps/$1/lib$1.a ($2 $(cat ".deps/$1/version"), -fPIC)"
}

if ! current bpf libbpf-dev; then
  fetch libbpf-dev
  mkdir -p "$work/bpf-obj"
  make -s -C "$work/libbpf/src" BUILD_STATIC_ONLY=1 OBJDIR="$work/bpf-obj" CFLAGS="-g -O2 -fPIC" \
    -j"$(nproc)" >/dev/null
  install_archive bpf libbpf-dev "$work/bpf-obj/libbpf.a"
fi
if ! current z zlib1g-dev; then
  fetch zlib1g-dev
  (cd "$work/zlib" && CFLAGS="-O2 -fPIC" ./configure --static >/dev/null && make -s -j"$(nproc)" libz.a >/dev/null)
  install_archive z zlib1g-dev "$work/zlib/libz.a"
fi
