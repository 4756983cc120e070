#!/usr/bin/env bash
# Make Debian's Chromium and its chromedriver available for the dashboard's browser tests (DashboardIT), which use
# /usr/bin/chromium and /usr/bin/chromedriver and fail, not skip, without them.
# Idempotent: touches apt only when one is missing, so a second run needs no network. Needs root to install.
set -euo pipefail

log() { echo "browser-up: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

missing=()
for p in chromium chromium-driver; do
    pkg_installed "$p" || missing+=("$p")
done
if ((${#missing[@]})); then
    [[ $(id -u) -eq 0 ]] || die "must run as root to install: ${missing[*]}"
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium not found after installing chromium"
[[ -x /usr/bin/chromedriver ]] || die "/usr/bin/chromedriver not found after installing chromium-driver"
log "$(/usr/bin/chromium --version 2>/dev/null), $(/usr/bin/chromedriver --version | cut -d' ' -f1-2)"
