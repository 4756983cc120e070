#!/usr/bin/env bash
# The benchmark: builds what is needed, picks a JDK 21+, then runs light-run-bench, which starts its own light-run
# server and measures it against the Docker Engine API floor and the docker CLI (see README, "Performance").
#   scripts/bench.sh            # full run (~10 min on 2 cores), JSON in light-run-bench/results/
#   scripts/bench.sh --quick    # a few iterations of each scenario: a smoke check, no timing claims
# Other arguments go to the benchmark (scripts/bench.sh --help). Extra Maven flags: MAVEN_ARGS=-o scripts/bench.sh
set -euo pipefail

# Work from the repo root whatever the caller's directory is.
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

JAVA_HOME=$(bash scripts/find-jdk.sh) || { echo "bench: no JDK 21+ found" >&2; exit 1; }
export JAVA_HOME
echo "bench: building with JAVA_HOME=$JAVA_HOME" >&2
if [[ -x ./mvnw ]]; then ./mvnw -B -q -DskipTests package; else sh ./mvnw -B -q -DskipTests package; fi
exec "$JAVA_HOME/bin/java" -jar light-run-bench/target/light-run-bench.jar --repo . "$@"
