#!/bin/sh
# Installs the Debian 12 packages Thoughtbench builds and runs with, only those that are missing
# (so a second run is instant). Works as root or through sudo.
set -eu

packages="build-essential cmake ninja-build ccache pkg-config git
  qt6-base-dev libqt6sql6-sqlite libqt6svg6-dev libqcustomplot-dev
  libtorch-dev libgloo-dev libopenblas0-openmp
  libspdlog-dev libsqlite3-dev nlohmann-json3-dev
  xvfb xauth fonts-dejavu-core poppler-utils"

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  run() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  run() { sudo "$@"; }
else
  echo "install-deps: need root or sudo to install:$missing" >&2
  exit 1
fi
echo "install-deps: installing$missing"
run env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
