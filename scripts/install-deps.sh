#!/usr/bin/env bash
# Installs every Debian package Hangar's build, tests and benchmarks need.
# Idempotent: packages already present are skipped, so a warm machine pays nothing.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config
  # libraries (see DEVELOPERS.md: chosen, not improvised)
  libmicrohttpd-dev libsqlite3-dev libcjson-dev liblua5.4-dev libyaml-dev
  libcurl4-openssl-dev libzip-dev libssl-dev zlib1g-dev libcmocka-dev
  # tests: Debian's python tooling and the aws CLI, run as /usr/bin/python3 and /usr/bin/aws
  python3 python3-pytest python3-boto3 awscli sqlite3 curl
  # fuzzing (libFuzzer ships in libclang-rt) and valgrind for the unit tests
  clang libclang-rt-14-dev valgrind
  nodejs $(command -v npm >/dev/null || echo npm)  # JS SDK client (tests/js); NodeSource's nodejs bundles npm and conflicts with Debian's
  # benchmarks
  wrk
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
