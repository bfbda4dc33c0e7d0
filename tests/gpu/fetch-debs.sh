#!/usr/bin/env bash
# Downloads the Debian 12 packages that tests/gpu/run.sh unpacks on a GPU machine that lacks them
# and has no network (the device image has CUDA, PyTorch, CMake and ninja, but no spdlog, fmt,
# nlohmann-json, SQLite headers or Qt 6). Run it on a Debian 12 (bookworm) amd64 machine with apt;
# no root needed. The files land in tests/gpu/debs/ (ignored by git, about 25 MB); pass that
# folder along with the tree (the device tool's `carry: ["tests/gpu/debs"]`).
#
# What and why (core + kernels + CLI + the Qt Test of the kernels, GUI off; cmake/Dependencies.cmake):
#   nlohmann-json3-dev                  header-only JSON (core)
#   libspdlog-dev libspdlog1.10         spdlog (core links spdlog::spdlog, the compiled library)
#   libfmt-dev libfmt9                  fmt, spdlog's external formatter (SPDLOG_FMT_EXTERNAL)
#   libsqlite3-dev libsqlite3-0         the run store
#   qt6-base-dev qt6-base-dev-tools     Qt headers, CMake packages and moc (the tests use Qt Test)
#   libqt6core6 libqt6test6             Qt Core and Qt Test libraries
#   qmake6                              a wrapper script that Qt's CMake package checks exists (the
#                                       Qt6::qmake target); qmake itself never runs
#   libicu72 libdouble-conversion3      what libQt6Core.so.6 needs beyond a base system
#   libpcre2-16-0 libb2-1 libglib2.0-0
# Base libraries (libc6, libstdc++6, zlib1g, libzstd1, libgomp1, libffi8, libmount1, libselinux1,
# libpcre2-8-0) are not fetched: the GPU image has them, newer.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=${1:-$here/debs}
packages=(
  nlohmann-json3-dev
  libspdlog-dev libspdlog1.10
  libfmt-dev libfmt9
  libsqlite3-dev libsqlite3-0
  qt6-base-dev qt6-base-dev-tools libqt6core6 libqt6test6 qmake6
  libicu72 libdouble-conversion3 libpcre2-16-0 libb2-1 libglib2.0-0
)

. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
  echo "fetch-debs.sh: expected Debian 12 (bookworm), found ${PRETTY_NAME:-unknown}: the packages" \
       "must match what run.sh expects" >&2
  exit 1
fi
mkdir -p "$dest"
rm -f "$dest"/*.deb
# amd64 whatever this machine is: the GPU machines are x86-64.
cd "$dest" && apt-get -o APT::Architecture=amd64 download "${packages[@]}"
ls -l "$dest"
du -sh "$dest"
