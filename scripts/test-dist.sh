#!/usr/bin/env bash
# Tests the release archive and the image the way a user gets them (scripts/test.sh runs it after a full build):
# builds the archive, unpacks it in a temp folder, runs `bin/light-run --version` and `serve` with no java on PATH and
# no JAVA_HOME (and checks the process runs the bundled runtime), serves a real run, then builds the image
# (scripts/build-image.sh) and serves the same run from it with the Docker socket mounted and a token. Prints the
# sizes and the --version time, ends with `dist: N passed, M failed`, exits 1 on any failure, leaves nothing running.
# Needs Docker and the test image light-run-test/busybox (scripts/test-images.sh).
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

TOKEN=dist-test-token
RUN_BODY='{"image":"light-run-test/busybox","files":{"a.sh":"echo hi"},"entrypoint":"sh a.sh"}'

log() { echo "dist: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The archive's build strips other platforms' native libraries from the jar with zip; a fresh Debian has neither tool.
for tool in zip unzip; do
    command -v "$tool" >/dev/null || { log "installing zip and unzip"; apt-get update -qq && apt-get install -y -qq zip unzip >/dev/null; }
done

passed=0 failed=0
pass() { passed=$((passed + 1)); log "ok   $*"; }
fail() { failed=$((failed + 1)); log "FAIL $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/light-run-dist.XXXXXX")
server_pid="" container=""
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    # -v: the image declares VOLUME /data, so each container has an anonymous volume to remove with it.
    [[ -n $container ]] && docker rm -f -v "$container" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

docker info >/dev/null 2>&1 || die "no Docker daemon answers; run scripts/docker-up.sh first"
docker image inspect light-run-test/busybox >/dev/null 2>&1 || die "no image light-run-test/busybox; run scripts/test-images.sh"

JAVA_HOME=$(bash scripts/find-jdk.sh) || die "no JDK 21+ to build with"
export JAVA_HOME
log "building the release archive"
./mvnw -B -q -Pdist -DskipTests package -pl dist -am >&2
archive=$(ls -t dist/target/light-run-*-linux-x64.tar.gz | head -n 1)
version=$(basename "$archive")
version=${version#light-run-}
version=${version%-linux-x64.tar.gz}

tar -xzf "$archive" -C "$work"
home=$work/light-run-$version
[[ -x $home/bin/light-run ]] || die "no bin/light-run in $archive"

# The user's environment without any Java: no JAVA_HOME, and PATH without any java: a folder holding one (Debian's
# /usr/bin has the alternatives link) is replaced by a folder of links to everything in it but java*.
bare_path="" n=0
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
    [[ -n $dir && -d $dir ]] || continue
    if compgen -G "$dir/java*" >/dev/null; then
        n=$((n + 1))
        mkdir -p "$work/path/$n"
        for f in "$dir"/*; do
            [[ ${f##*/} == java* ]] || ln -s "$f" "$work/path/$n/"
        done
        dir=$work/path/$n
    fi
    bare_path+=${bare_path:+:}$dir
done
# An array, not a function: `"${bare[@]}" cmd &` keeps the pid through env's and the launcher's exec.
bare=(env -u JAVA_HOME -u LIGHT_RUN_JAVA_OPTS -u JDK_JAVA_OPTIONS PATH="$bare_path")
"${bare[@]}" sh -c 'command -v java' >/dev/null && die "a java is still on the stripped PATH"

# `--version` without any Java around, timed (the class archive is what keeps it short).
start=$(date +%s%N)
out=$("${bare[@]}" "$home/bin/light-run" --version 2>&1) || true
version_ms=$((($(date +%s%N) - start) / 1000000))
if [[ $out == "light-run $version" ]]; then pass "--version without java on PATH: '$out' in $version_ms ms"
else fail "--version answered '$out'"; fi

# POSTs the test run to $1 and checks exit code 0 and stdout "hi".
check_run() {
    local base=$1 what=$2 body
    body=$(curl -sS --max-time 60 "$base/run" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "$RUN_BODY" 2>&1) || { fail "$what: POST /run: $body"; return; }
    if python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(not (r["status"]=="succeeded" and r["exitCode"]==0 and r["logs"]["stdout"]=="hi\n"))' "$body" 2>/dev/null
    then pass "$what: POST /run -> exit 0, stdout hi"
    else fail "$what: POST /run answered $body"; fi
}
# Waits until GET $1/health answers 200 (deadline 60 s); false when it never does.
await_health() {
    local deadline=$((SECONDS + 60))
    while ((SECONDS < deadline)); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/health") == 200 ]] && return 0
        sleep 0.2
    done
    return 1
}

# serve from the archive: port 0 (the log names the port), its own data folder.
"${bare[@]}" LIGHT_RUN_TOKEN=$TOKEN "$home/bin/light-run" serve --port 0 --data-dir "$work/data" >"$work/serve.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 300); do
    port=$(sed -n 's/.* listening on http:[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$work/serve.log" | head -n 1)
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -n $port ]]; then
    pass "serve from the archive listens on port $port"
    exe=$(readlink "/proc/$server_pid/exe")
    if [[ $exe == "$home/runtime/bin/java" ]]; then pass "serve runs the bundled runtime ($exe)"
    else fail "serve runs $exe, not $home/runtime/bin/java"; fi
    check_run "http://127.0.0.1:$port" archive
else
    fail "serve from the archive did not start: $(tail -n 5 "$work/serve.log")"
fi
if [[ -n $server_pid ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" || true
    server_pid=""
fi

# The image, from the same archive.
if bash scripts/build-image.sh "$archive"; then
    pass "build-image.sh built light-run:$version"
    container=$(docker run -d -p 127.0.0.1::3000 -e LIGHT_RUN_TOKEN=$TOKEN \
        -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)" \
        "light-run:$version")
    image_port=$(docker port "$container" 3000/tcp | head -n 1)
    image_port=${image_port##*:}
    if await_health "http://127.0.0.1:$image_port"; then
        pass "image: /health 200, running as user $(docker exec "$container" /opt/light-run/runtime/bin/java -XshowSettings:properties -version 2>&1 | sed -n 's/.*user.name = //p')"
        check_run "http://127.0.0.1:$image_port" image
    else
        fail "image: /health never answered 200: $(docker logs --tail 5 "$container" 2>&1)"
    fi
    docker rm -f -v "$container" >/dev/null
    container=""
else
    fail "build-image.sh failed"
fi

log "sizes: archive $(du -h "$archive" | cut -f1), unpacked $(du -sh "$home" | cut -f1)," \
    "image $(docker image inspect --format '{{.Size}}' "light-run:$version" 2>/dev/null | numfmt --to=iec || echo ?);" \
    "--version $version_ms ms"
log "$passed passed, $failed failed"
((failed == 0))
