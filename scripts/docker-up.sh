#!/usr/bin/env bash
# Make a local Docker daemon answer, with the gVisor runtime "runsc" registered.
# Idempotent: installs nothing, rewrites nothing and restarts nothing that is already right.
# Needs root (installs packages, writes /etc/docker, starts dockerd).
#
# Extra dockerd flags can be passed in LIGHT_RUN_DOCKERD_FLAGS (word-split). None were needed
# on the Debian 12 Firecracker VM this was written on: overlay2, cgroupfs (cgroup v1) and
# iptables-nft all work out of the box.
set -euo pipefail

DAEMON_JSON=/etc/docker/daemon.json
DOCKERD_LOG=/var/log/light-run-dockerd.log
WAIT_SECONDS=60
TEST_IMAGE=light-run-test/busybox:latest

log() { echo "docker-up: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (installs packages and starts dockerd)"

# --- 1. packages -----------------------------------------------------------------------------
# Only touch apt when something is missing, so a second run needs no network.
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

missing=()
for p in docker.io runsc iptables; do
    pkg_installed "$p" || missing+=("$p")
done
# daemon.json is merged with python3's json module (not in python3-minimal).
command -v python3 >/dev/null || missing+=(python3)

if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
fi
command -v dockerd >/dev/null || die "dockerd not found after installing docker.io"
[[ -x /usr/bin/runsc ]] || die "/usr/bin/runsc not found after installing runsc"
command -v docker >/dev/null || die "docker CLI not found"

# --- 2. daemon.json ----------------------------------------------------------------------------
# Merge our runtime into whatever is there (keep other keys); rewrite only when it differs.
# Exit code 10 means "changed", so a running daemon must re-read it.
mkdir -p "$(dirname "$DAEMON_JSON")"
set +e
python3 - "$DAEMON_JSON" <<'PY'
import json, os, sys
path = sys.argv[1]
want = {"path": "/usr/bin/runsc", "runtimeArgs": ["--platform=ptrace", "--network=none"]}
cfg = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as f:
        cfg = json.load(f)
if cfg.get("runtimes", {}).get("runsc") == want:
    sys.exit(0)
cfg.setdefault("runtimes", {})["runsc"] = want
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(cfg, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
sys.exit(10)
PY
rc=$?
set -e
case $rc in
    0) config_changed=false ;;
    10) config_changed=true; log "registered runsc in $DAEMON_JSON" ;;
    *) die "could not update $DAEMON_JSON (invalid JSON?)" ;;
esac

# --- 3. daemon ---------------------------------------------------------------------------------
daemon_answers() { docker info >/dev/null 2>&1; }
has_runsc() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; }
have_systemd() { [[ -d /run/systemd/system ]]; }

# Waits for `docker info`; gives up early if the dockerd we started (pid $1) has died.
wait_for_daemon() {
    local pid=${1:-} i
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        daemon_answers && return 0
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            log "dockerd ($pid) exited during startup"
            return 1
        fi
        sleep 1
    done
    return 1
}

start_dockerd() {
    local pid=""
    if have_systemd; then
        log "starting docker.service"
        systemctl start docker
    else
        log "starting dockerd in the background (log: $DOCKERD_LOG)"
        echo "=== $(date -u +%FT%TZ) scripts/docker-up.sh starts: dockerd ${LIGHT_RUN_DOCKERD_FLAGS:-}" >>"$DOCKERD_LOG"
        # setsid: own session, so Ctrl-C or a CI job ending the caller's process group
        # does not take the daemon down with it. setsid and nohup exec, so $! is dockerd.
        # shellcheck disable=SC2086
        setsid nohup dockerd ${LIGHT_RUN_DOCKERD_FLAGS:-} >>"$DOCKERD_LOG" 2>&1 </dev/null &
        pid=$!
    fi
    if ! wait_for_daemon "$pid"; then
        log "dockerd did not answer 'docker info' within ${WAIT_SECONDS}s; last log lines:"
        if have_systemd; then journalctl -u docker --no-pager -n 40 >&2 || true
        else tail -n 40 "$DOCKERD_LOG" >&2 || true; fi
        exit 1
    fi
}

stop_dockerd() {
    if have_systemd; then systemctl stop docker; return; fi
    local pid i
    pid=$(pidof dockerd || true)
    [[ -n $pid ]] || return 0
    kill $pid
    for ((i = 0; i < 30; i++)); do
        pidof dockerd >/dev/null || return 0
        sleep 1
    done
    die "dockerd ($pid) did not stop within 30s"
}

if daemon_answers; then
    if $config_changed || ! has_runsc; then
        # SIGHUP makes dockerd re-read daemon.json, including "runtimes"; no container is lost.
        pid=$(pidof dockerd || true)
        if [[ -n $pid ]]; then
            log "reloading dockerd ($pid) to pick up runsc"
            kill -HUP $pid
            for _ in 1 2 3 4 5; do has_runsc && break; sleep 1; done
        fi
        if ! has_runsc; then
            [[ -n $pid ]] || die "a Docker daemon answers but is not a local dockerd; cannot register runsc in it"
            log "reload did not register runsc; restarting dockerd"
            stop_dockerd
            start_dockerd
        fi
    fi
elif pidof dockerd >/dev/null; then
    # A dockerd is running but not answering yet (still starting): do not start a second one.
    log "dockerd is running but not answering yet; waiting"
    wait_for_daemon || { tail -n 40 "$DOCKERD_LOG" >&2 2>/dev/null || true; die "dockerd did not answer within ${WAIT_SECONDS}s"; }
else
    start_dockerd
fi

has_runsc || die "daemon answers but runtime 'runsc' is not registered (see $DAEMON_JSON)"
log "daemon up: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}')," \
    "runtimes: $(docker info --format '{{range $k, $v := .Runtimes}}{{$k}} {{end}}')"

# --- 4. gVisor smoke test (needs the image from scripts/test-images.sh) ------------------------
if docker image inspect "$TEST_IMAGE" >/dev/null 2>&1; then
    kernel=$(docker run --rm --runtime runsc "$TEST_IMAGE" uname -r)
    [[ $kernel == 4.4.0 ]] || die "runsc check: expected gVisor kernel 4.4.0, got '$kernel'"
    log "runsc check ok (uname -r in gVisor: $kernel)"
else
    log "skipping runsc check: $TEST_IMAGE not built yet (scripts/test-images.sh builds it)"
fi
