#!/usr/bin/env bash
# The one command for a fresh Debian machine (as root): Docker daemon with gVisor, the local
# test images, Chromium and chromedriver for the dashboard's browser tests, PostgreSQL (scripts/dev-services.sh,
# stopped at the end), a JDK 21+, then `./mvnw -B verify` with any extra arguments passed through, then (full build
# only) the benchmark's --quick smoke run, which fails on a failed run or a leftover container, never on a time.
# Then (full build only) scripts/test-dist.sh: the release archive and the image, run without a JDK (~1 minute).
#   scripts/test.sh                  # full build + benchmark smoke run + release archive and image
#   scripts/test.sh -pl light-run    # extra Maven arguments (no benchmark, no release archive)
set -euo pipefail

# Work from the repo root whatever the caller's directory is.
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

log() { echo "test: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

bash scripts/docker-up.sh
bash scripts/test-images.sh
bash scripts/browser-up.sh

# PostgreSQL for the PostgreSQL store's ITs and s3proxy for the S3 artifact store's (they fail without them): about a
# second for PostgreSQL when the binaries are there (the package install on a fresh machine otherwise), about 1-3 s
# for s3proxy (a ~40 MB download from Maven Central the first time). In a folder of this build's own, so a developer's server, or another
# build's on the same machine, is neither reused nor stopped. Stopped and removed on any exit.
LIGHT_RUN_SERVICES_DIR=$(mktemp -d /tmp/light-run-test-services.XXXXXX)
export LIGHT_RUN_SERVICES_DIR
trap 'bash scripts/dev-services.sh down' EXIT
bash scripts/dev-services.sh up >/dev/null
eval "$(bash scripts/dev-services.sh env)"
# The tests choose their store: a server started by the build uses PostgreSQL only when its test says so.
unset LIGHT_RUN_STORE_URL

JAVA_HOME=$(bash scripts/find-jdk.sh) || die "no JDK 21+ to build with"
export JAVA_HOME
log "using JAVA_HOME=$JAVA_HOME"
export PATH=$JAVA_HOME/bin:$PATH
java -version

[[ -f ./mvnw ]] || die "./mvnw not found in $(pwd)"
mvnw=(./mvnw); [[ -x ./mvnw ]] || mvnw=(sh ./mvnw)
"${mvnw[@]}" -B verify "$@"
if [[ $# -eq 0 ]]; then
    # Its replicas scenario uses the PostgreSQL above: LIGHT_RUN_TEST_PG_URL is still exported here (the services stop
    # at exit), and the benchmark reads it itself, which keeps the password off the command line.
    log "benchmark smoke run (--quick): keeps the benchmark working; its times are not checked"
    java -jar light-run-bench/target/light-run-bench.jar --repo . --quick
    log "release archive and image (scripts/test-dist.sh)"
    bash scripts/test-dist.sh
fi
