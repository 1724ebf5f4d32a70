#!/usr/bin/env bash
# The test command (README.md): installs what the end-to-end tests run when it is missing —
# python3 (the tasks serve HTTP with it), Debian's HAProxy (the load balancer's tests), hey
# (their load generator), chromium and chromium-driver (the web page tests drive a real browser)
# — then builds every binary and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v hey >/dev/null 2>&1 || missing+=(hey)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "scripts/test.sh: installing ${missing[*]} from Debian's packages" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cargo build --workspace --bins
cargo test --workspace --all-targets
