#!/usr/bin/env bash
# Lays out the release archive's folder (run by Maven in profile dist; maven-assembly-plugin then tars it):
#   bin/light-run          the launcher (dist/src/main/bin/light-run)
#   lib/light-run.jar      the server jar without the native libraries of other platforms
#   lib/light-run.jsa      a static AppCDS archive of the classes a start/stop loads, made for exactly that jar
#   lib/jvm.options        the server's JVM options (light-run/src/main/jvm.options) with that archive instead of an
#                          auto-created one
#   runtime/               a jlink'd Java runtime with only the modules the server needs
# Usage: stage.sh <java home to jlink from> <server jar> <server jvm.options> <launcher> <output folder>
set -euo pipefail

java_home=$1 server_jar=$2 server_options=$3 launcher=$4 out=$5

log() { echo "dist: $*" >&2; }
for tool in zip unzip; do
    command -v "$tool" >/dev/null || { log "ERROR: needs $tool (apt-get install zip unzip)"; exit 1; }
done

# `jdeps --print-module-deps --ignore-missing-deps --multi-release 21` on the server jar, without java.desktop: every
# class that reaches it is on a path the server never takes (Jackson's optional java.beans support, declared
# `requires static`; JNA's AWT window handles; commons-compress' Pack200; commons-lang3's circuit breaker; Jetty's
# AWT/Introspector leak preventers, which Javalin does not install; pgjdbc's PGpoint geometry type, which the
# PostgreSQL store never reads). The PostgreSQL store's driver, pool and migrations need nothing else: java.sql,
# java.naming, java.security.jgss and java.management are in the list. It is 15 MB of the runtime (AWT, fonts, imaging).
# Added: jdk.crypto.ec (elliptic-curve TLS for https callbacks and a TLS DOCKER_HOST on a 21 runtime; empty but
# harmless from 22 on, where java.base has it), jdk.management (the com.sun.management MXBeans that JMX and Micrometer
# read), jdk.unsupported is already in jdeps' list (sun.misc.Unsafe: JNA, Jetty), java.sql for sqlite-jdbc, jdk.httpserver
# for the separate metrics port (LIGHT_RUN_METRICS_PORT).
modules=java.base,java.compiler,java.instrument,java.management,java.naming,java.net.http,java.rmi,java.scripting
modules+=,java.security.jgss,java.sql,jdk.unsupported,jdk.crypto.ec,jdk.management,jdk.httpserver

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"

# JDK 21 takes --compress=zip-6 too (the numeric 0/1/2 levels are deprecated since 21).
log "jlink: $modules (from $java_home)"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=zip-6 \
    --output "$out/runtime"
# libjvm.so keeps a 5 MB symbol table that only names frames in a crash log's native stack; hs_err files still
# show Java frames. Skipped when binutils are absent.
if command -v strip >/dev/null; then
    strip --strip-unneeded "$out/runtime/lib/server/libjvm.so"
fi

# sqlite-jdbc and JNA carry a native library for every OS and CPU (13 MB packed); this archive is linux-x64 only,
# and on glibc sqlite-jdbc loads Linux/x86_64, JNA linux-x86-64. `zip -d` keeps every other entry byte for byte.
cp "$server_jar" "$out/lib/light-run.jar"
foreign=()
while IFS= read -r entry; do
    case $entry in
        org/sqlite/native/Linux/x86_64/*|com/sun/jna/linux-x86-64/*) ;;
        org/sqlite/native/*/*|com/sun/jna/*-*/*|com/sun/jna/*-*/) foreign+=("$entry") ;;
    esac
done < <(unzip -Z1 "$out/lib/light-run.jar")
zip -q -d "$out/lib/light-run.jar" "${foreign[@]}"

# Same options as a source checkout, but the class archive is made here, once, for this jar and this runtime: an
# installed archive may be read-only, and a first start should not pay for writing it.
{
    grep -v -e '-XX:+AutoCreateSharedArchive' -e '-XX:SharedArchiveFile=' "$server_options" | sed '/^# AppCDS:/,/^$/d'
    echo '# AppCDS: a static archive of the classes a server start and stop loads, made when this archive was packaged'
    echo '# for exactly lib/light-run.jar and runtime/ (a changed jar or runtime makes the JVM ignore it, never fail).'
    echo '-XX:SharedArchiveFile={jar}.jsa'
} >"$out/lib/jvm.options"

install -m 0755 "$launcher" "$out/bin/light-run"

# The class list: a real start (with Docker when one answers: docker-java, the store, Javalin and Jetty load) and a
# few requests, then SIGTERM, so the shutdown path is in it too. Without Docker the start fails after the CLI and
# the Docker client loaded, which still covers `--version` and most of the start.
java=$out/runtime/bin/java
jar=$out/lib/light-run.jar
train=$(mktemp -d "${TMPDIR:-/tmp}/light-run-cds.XXXXXX")
trap 'rm -rf "$train"' EXIT
# -Xshare:off: the list must hold every class, not only those the JDK's own archive (none here) would give.
opts=(-Xshare:off -XX:DumpLoadedClassList="$train/classes.lst" -XX:+UseSerialGC)
"$java" "${opts[@]}" -jar "$jar" --version >/dev/null
"$java" "${opts[@]}" -jar "$jar" serve --port 0 --data-dir "$train/data" >"$train/serve.log" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 300); do
    port=$(sed -n 's/.* listening on http:[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$train/serve.log" | head -n 1)
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -n $port ]]; then
    for path in /health /runs /openapi.json /runs/none; do
        # Plain bash: a build machine needs no curl for this.
        exec 3<>"/dev/tcp/127.0.0.1/$port"
        printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$path" >&3
        cat <&3 >/dev/null
        exec 3>&-
    done
    log "class list from a start, 4 requests and a stop (port $port)"
else
    log "class list without a running server (no Docker?): $(tail -n 1 "$train/serve.log")"
fi
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true

# picocli's ~130 classes are Java 5 class files, which a static dump skips ("Old class has been linked"); the
# other ~10,000 are archived.
log "AppCDS archive from $(wc -l <"$train/classes.lst") classes"
"$java" -Xshare:dump -XX:+UseSerialGC -XX:SharedClassListFile="$train/classes.lst" \
    -XX:SharedArchiveFile="$out/lib/light-run.jsa" -cp "$jar" >"$train/dump.log" 2>&1 || {
    tail -n 20 "$train/dump.log" >&2
    exit 1
}
