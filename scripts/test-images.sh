#!/usr/bin/env bash
# Build the local images the tests run, without any image registry (docker pull does not work here):
#   light-run-test/busybox:latest  static busybox + an applet symlink each, root/nobody users
#   light-run-test/pynode:latest   Debian bookworm minbase + python3 (with its standard library) + nodejs
# Each is built only when absent. Images carry no labels, so nothing of ours that a reaper
# selecting on labels would remove. Build dirs are temporary and never inside the repo.
# Needs root (debootstrap) and a running daemon (scripts/docker-up.sh).
set -euo pipefail

BUSYBOX_IMAGE=light-run-test/busybox:latest
PYNODE_IMAGE=light-run-test/pynode:latest
SUITE=bookworm

log() { echo "test-images: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, docker)"
docker info >/dev/null 2>&1 || die "no Docker daemon answers; run scripts/docker-up.sh first"

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Only the packages that are missing, and apt-get update only if something is.
ensure_packages() {
    local p missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
}

# Temp build dirs live outside the repo and are removed on any exit. debootstrap mounts
# proc/sys inside its target; unmount those first so rm never walks into a live /proc or /sys.
WORK_DIRS=()
cleanup() {
    local d m
    for d in "${WORK_DIRS[@]}"; do
        [[ -d $d ]] || continue
        awk -v d="$d/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
            umount -l "$m" || true
        done
        rm -rf --one-file-system "$d"
    done
}
trap cleanup EXIT
# Sets WORKDIR (not echoed: a $(...) subshell would lose the WORK_DIRS entry and leak the dir).
new_workdir() {
    WORKDIR=$(mktemp -d "${TMPDIR:-/var/tmp}/light-run-image.XXXXXX")
    WORK_DIRS+=("$WORKDIR")
}

# Import a rootfs dir as an image. --numeric-owner keeps uids exact; image has no labels.
import_rootfs() {
    local rootfs=$1 image=$2
    tar -C "$rootfs" --numeric-owner -c . | docker import -c 'CMD ["sh"]' - "$image" >/dev/null
}

report() {
    local image=$1 seconds=$2
    log "built $image in ${seconds}s, size $(docker image inspect --format '{{.Size}}' "$image" | numfmt --to=iec)"
}

# --- busybox -----------------------------------------------------------------------------------
build_busybox() {
    ensure_packages busybox-static
    local start=$SECONDS dir rootfs applet
    new_workdir
    dir=$WORKDIR
    rootfs=$dir/rootfs
    mkdir -p "$rootfs"/{bin,etc,root,tmp,proc,sys,dev}
    # The Debian busybox-static binary needs no libraries, so it is the whole userland.
    cp /bin/busybox "$rootfs/bin/busybox"
    for applet in $("$rootfs/bin/busybox" --list); do
        [[ $applet == busybox ]] && continue
        ln -sf busybox "$rootfs/bin/$applet"
    done
    cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
    cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
EOF
    chmod 1777 "$rootfs/tmp"
    chmod 700 "$rootfs/root"
    import_rootfs "$rootfs" "$BUSYBOX_IMAGE"
    report "$BUSYBOX_IMAGE" $((SECONDS - start))
}

# --- python3 + node ----------------------------------------------------------------------------
# debootstrap can only use the mirror apt is configured with (nothing else is reachable).
# Reads deb822 *.sources and one-line *.list entries; skips security/updates-style suites.
debian_mirror() {
    python3 - "$SUITE" <<'PY'
import glob, re, sys
suite = sys.argv[1]
def emit(uri):
    print(uri.rstrip("/"))
    sys.exit(0)
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for para in re.split(r"\n\s*\n", open(path).read()):
        f = {}
        for line in para.splitlines():
            if line.startswith("#") or ":" not in line or line[0].isspace():
                continue
            k, v = line.split(":", 1)
            f[k.strip().lower()] = v.split()
        if f.get("enabled", ["yes"])[0].lower() == "no" or "deb" not in f.get("types", []):
            continue
        if suite in f.get("suites", []) and f.get("uris"):
            emit(f["uris"][0])
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        parts = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
        if len(parts) >= 3 and parts[0] == "deb" and parts[2] == suite:
            emit(parts[1])
sys.exit("no apt source for suite %s found" % suite)
PY
}

build_pynode() {
    ensure_packages debootstrap debian-archive-keyring
    local start=$SECONDS dir rootfs mirror
    mirror=$(debian_mirror) || die "cannot find the Debian mirror apt uses"
    log "debootstrap $SUITE from $mirror"
    new_workdir
    dir=$WORKDIR
    rootfs=$dir/rootfs
    debootstrap --variant=minbase --include=python3,nodejs "$SUITE" "$rootfs" "$mirror" \
        >"$dir/debootstrap.log" 2>&1 || {
        tail -n 40 "$dir/debootstrap.log" >&2
        die "debootstrap failed"
    }
    # Nothing may still be mounted inside, or tar would archive the host's /proc or /sys.
    if awk -v d="$rootfs/" 'index($2, d) == 1 {found=1} END {exit !found}' /proc/mounts; then
        die "something is still mounted under $rootfs"
    fi
    # Package caches and lists are dead weight in a test image.
    rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/var/cache/apt/archives/partial/* "$rootfs"/var/lib/apt/lists/*
    # Docker supplies its own /dev; the nodes debootstrap made are not needed.
    find "$rootfs/dev" -mindepth 1 -delete
    import_rootfs "$rootfs" "$PYNODE_IMAGE"
    report "$PYNODE_IMAGE" $((SECONDS - start))
}

if image_exists "$BUSYBOX_IMAGE"; then log "$BUSYBOX_IMAGE exists, skipping"; else build_busybox; fi
# An older recipe used python3-minimal, which lacks json & co.; such an image is rebuilt.
pynode_current() { image_exists "$PYNODE_IMAGE" && docker run --rm --network none "$PYNODE_IMAGE" python3 -c 'import json, hashlib' >/dev/null 2>&1; }
if pynode_current; then log "$PYNODE_IMAGE exists, skipping"; else docker rmi -f "$PYNODE_IMAGE" >/dev/null 2>&1 || true; build_pynode; fi

# --- checks (cheap; also catch an image that exists but is broken) ----------------------------
expect() {
    local want=$1 got
    shift
    got=$(docker run --rm "$@") || die "failed: docker run --rm $*"
    [[ $got == "$want" ]] || die "docker run --rm $*: expected '$want', got '$got'"
}
expect 1 "$PYNODE_IMAGE" python3 -c 'import json; print(json.loads("1"))'
expect 1 "$PYNODE_IMAGE" node -e 'console.log(1)'
expect ok "$BUSYBOX_IMAGE" sh -c 'for a in httpd wget nc ping mknod sleep dd sha256sum hostname ip; do
    command -v $a >/dev/null || { echo "missing $a"; exit 1; }; done; echo ok'
expect 4.4.0 --runtime runsc "$BUSYBOX_IMAGE" uname -r
for image in "$BUSYBOX_IMAGE" "$PYNODE_IMAGE"; do
    labels=$(docker image inspect --format '{{json .Config.Labels}}' "$image")
    [[ $labels == null || $labels == '{}' ]] || die "$image unexpectedly carries labels: $labels"
done
log "images ok: $BUSYBOX_IMAGE, $PYNODE_IMAGE"
