#!/usr/bin/env bash
# Installs the Debian packages tern needs to build and test, only those missing; quiet when all are there.
set -euo pipefail
packages=(
  g++ cmake ninja-build make pkg-config
  libasio-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libcrypt-dev
  libunbound-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-aiosmtpd swaks nmap openssl whois
  # The DNS server that resolver tests start on loopback: dnsmasq-base is the bare binary, with no
  # service that would start on port 53 at install time (the unbound package ships and starts one).
  dnsmasq-base
  # libFuzzer targets (fuzz/): clang with its fuzzer and sanitizer runtimes, and llvm-14 for the
  # llvm-symbolizer that puts file:line into a finding's stack trace.
  clang libclang-rt-14-dev llvm-14
  # The HTTP CONNECT proxy tern send's e2e tests tunnel through; started by the tests, never as a
  # service (Debian starts one on port 8888 at install time: harmless, the tests pick free ports).
  tinyproxy
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
