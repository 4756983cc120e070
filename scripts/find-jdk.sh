#!/usr/bin/env bash
# Prints the JAVA_HOME of a JDK 21+ (the build's --release 21 needs one): JAVA_HOME itself when it qualifies, else the
# newest JDK under /usr/lib/jvm (and the other usual JVM folders). Exits 1 with a message when there is none.
# Sourced or run: `JAVA_HOME=$(scripts/find-jdk.sh)`.
set -euo pipefail

MIN_JAVA=${MIN_JAVA:-21}

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

if [[ -n ${JAVA_HOME:-} ]] && is_jdk "$JAVA_HOME" && (($(java_major "$JAVA_HOME/bin/java") >= MIN_JAVA)); then
    echo "$JAVA_HOME"
    exit 0
fi
best="" best_major=0
for dir in /usr/lib/jvm/*/ /opt/java/*/ /opt/jdk*/ /usr/local/lib/jvm/*/ "$HOME"/.sdkman/candidates/java/*/; do
    [[ -d $dir ]] || continue
    # realpath dedupes the Debian alias symlinks.
    dir=$(readlink -f "$dir")
    is_jdk "$dir" || continue
    major=$(java_major "$dir/bin/java")
    if ((major > best_major)); then best=$dir best_major=$major; fi
done
if ((best_major < MIN_JAVA)); then
    echo "no JDK >= $MIN_JAVA found (JAVA_HOME='${JAVA_HOME:-}', none under /usr/lib/jvm); install one, e.g. Temurin 21+" >&2
    exit 1
fi
echo "$best"
