#!/usr/bin/env bash
# The one command for a fresh Debian machine (as root): Docker daemon with gVisor, the local
# test images, a JDK 21+, then `./mvnw -B verify` with any extra arguments passed through.
#   scripts/test.sh                  # full build
#   scripts/test.sh -pl light-run    # extra Maven arguments
set -euo pipefail

# Work from the repo root whatever the caller's directory is.
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

log() { echo "test: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

bash scripts/docker-up.sh
bash scripts/test-images.sh

# Major version of a java binary: "17.0.15" -> 17, "25" -> 25, "1.8.0_402" -> 8; 0 if unknown.
java_major() {
    local v
    v=$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
    v=${v#1.}
    v=${v%%[!0-9]*}
    echo "${v:-0}"
}
# A JDK, not a JRE: the build compiles.
is_jdk() { [[ -x $1/bin/java && -x $1/bin/javac ]]; }

MIN_JAVA=21
if [[ -n ${JAVA_HOME:-} ]] && is_jdk "$JAVA_HOME" && (($(java_major "$JAVA_HOME/bin/java") >= MIN_JAVA)); then
    log "keeping JAVA_HOME=$JAVA_HOME"
else
    # Newest JDK under /usr/lib/jvm; realpath dedupes the Debian alias symlinks.
    best="" best_major=0
    for dir in /usr/lib/jvm/*/; do
        dir=$(readlink -f "$dir")
        is_jdk "$dir" || continue
        major=$(java_major "$dir/bin/java")
        if ((major > best_major)); then best=$dir best_major=$major; fi
    done
    ((best_major >= MIN_JAVA)) ||
        die "no JDK >= $MIN_JAVA found (JAVA_HOME='${JAVA_HOME:-}', /usr/lib/jvm has none); install one, e.g. a Temurin 21+ JDK"
    export JAVA_HOME=$best
    log "using JAVA_HOME=$JAVA_HOME"
fi
export PATH=$JAVA_HOME/bin:$PATH
java -version

[[ -f ./mvnw ]] || die "./mvnw not found in $(pwd)"
if [[ -x ./mvnw ]]; then exec ./mvnw -B verify "$@"; else exec sh ./mvnw -B verify "$@"; fi
