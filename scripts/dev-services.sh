#!/usr/bin/env bash
# The services light-run can use besides Docker, started locally for development and the tests:
#   scripts/dev-services.sh up     # start them (idempotent) and print the export lines to use them
#   scripts/dev-services.sh env    # print the export lines of the running services (fails if one is down)
#   scripts/dev-services.sh down   # stop them and remove their folders
#   eval "$(scripts/dev-services.sh env)"
# PostgreSQL (one server in a temporary folder, on 127.0.0.1 only, a database and a user `lightrun`) and s3proxy (an
# S3-compatible store on its filesystem backend, a bucket `light-run-test`). One function per service (pg_up, pg_env,
# pg_down; s3_up, s3_env, s3_down).
#
# PostgreSQL's binaries are taken from PATH or /usr/lib/postgresql/*/bin; Debian's `postgresql` package is installed
# when neither has them (needs root). initdb refuses root, so as root the server runs as the `postgres` user (or a
# system user `lightrun-pg` created for it). Its folder is LIGHT_RUN_SERVICES_DIR (default /tmp/light-run-services)
# + /pg; its port 55432, or the next free one.
#
# s3proxy: org.gaul:s3proxy's jar-with-dependencies from Maven Central, cached in LIGHT_RUN_CACHE_DIR (default
# ~/.cache/light-run) and checked against Central's SHA-1; run with the JDK scripts/find-jdk.sh prints. Its folder is
# LIGHT_RUN_SERVICES_DIR + /s3 (objects in data/); its port 58100, or the next free one. Start: ~3 s.
set -euo pipefail

SERVICES_DIR=${LIGHT_RUN_SERVICES_DIR:-/tmp/light-run-services}
PG_DIR=$SERVICES_DIR/pg
PG_FIRST_PORT=55432
PG_DB=lightrun
PG_USER=lightrun
WAIT_SECONDS=30
S3_DIR=$SERVICES_DIR/s3
S3_FIRST_PORT=58100
S3_VERSION=2.6.0
S3_BUCKET=light-run-test
S3_CACHE=${LIGHT_RUN_CACHE_DIR:-$HOME/.cache/light-run}/s3proxy
S3_JAR=$S3_CACHE/s3proxy-$S3_VERSION-jar-with-dependencies.jar
SCRIPTS_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")

log() { echo "dev-services: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- PostgreSQL ---------------------------------------------------------------------------------

# The folder holding initdb, pg_ctl and postgres; installs Debian's package when there is none.
pg_bin_dir() {
    local found
    if found=$(command -v initdb 2>/dev/null); then
        dirname "$(readlink -f "$found")"
        return
    fi
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n $found && -x $found/initdb ]]; then
        echo "$found"
        return
    fi
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL's initdb is not on PATH nor under /usr/lib/postgresql/*/bin; install the postgresql package (as root)"
    log "installing Debian's postgresql package"
    # Our server lives in its own folder: the package's own cluster (5432, started by its postinst) is not wanted.
    mkdir -p /etc/postgresql-common
    [[ -e /etc/postgresql-common/createcluster.conf ]] || echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold postgresql >&2
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n $found && -x $found/initdb ]] || die "initdb not found after installing postgresql"
    echo "$found"
}

# The user the server runs as: ourselves, or a non-root one when we are root (initdb and postgres refuse root).
pg_os_user() {
    if [[ $(id -u) -ne 0 ]]; then
        id -un
    elif getent passwd postgres >/dev/null; then
        echo postgres
    else
        getent passwd lightrun-pg >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin lightrun-pg
        echo lightrun-pg
    fi
}

# Runs a command as the server's user, from a folder that user may enter.
pg_as() {
    local user=$1; shift
    if [[ $(id -u) -eq 0 && $user != root ]]; then
        (cd / && runuser -u "$user" -- "$@")
    else
        (cd / && "$@")
    fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_port_busy() { port_busy "$1"; }

pg_free_port() {
    local port
    for ((port = PG_FIRST_PORT; port < PG_FIRST_PORT + 100; port++)); do
        pg_port_busy "$port" || { echo "$port"; return; }
    done
    die "no free port in $PG_FIRST_PORT..$((PG_FIRST_PORT + 99))"
}

pg_running() {
    [[ -f $PG_DIR/data/postmaster.pid && -f $PG_DIR/port ]] || return 1
    local bin user
    bin=$(cat "$PG_DIR/bin") user=$(cat "$PG_DIR/os-user")
    pg_as "$user" "$bin/pg_ctl" status -D "$PG_DIR/data" >/dev/null 2>&1
}

pg_start() {
    local bin=$1 user=$2 port=$3
    pg_as "$user" "$bin/pg_ctl" start -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t "$WAIT_SECONDS" -s \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR/run" >&2 \
        || die "PostgreSQL did not start; its log: $PG_DIR/server.log"
}

pg_up() {
    if pg_running; then
        log "PostgreSQL already running on 127.0.0.1:$(cat "$PG_DIR/port") ($PG_DIR)"
        return
    fi
    local bin user port password
    bin=$(pg_bin_dir)
    user=$(pg_os_user)
    if [[ -f $PG_DIR/ready && -d $PG_DIR/data ]]; then
        # Set up before and stopped since (a reboot, a killed server): start it again on a free port.
        port=$(cat "$PG_DIR/port")
        pg_port_busy "$port" && port=$(pg_free_port)
        echo "$port" >"$PG_DIR/port"
        pg_start "$bin" "$user" "$port"
        log "PostgreSQL started again on 127.0.0.1:$port ($PG_DIR)"
        return
    fi
    # Nothing, or a set-up that did not finish: start from an empty folder.
    rm -rf "$PG_DIR"
    mkdir -p "$SERVICES_DIR"
    chmod 755 "$SERVICES_DIR"
    mkdir -m 700 "$PG_DIR"
    mkdir -m 700 "$PG_DIR/run"
    [[ $(id -u) -ne 0 ]] || chown -R "$user" "$PG_DIR"
    password=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24 || true)
    port=$(pg_free_port)
    echo "$bin" >"$PG_DIR/bin"
    echo "$user" >"$PG_DIR/os-user"
    echo "$port" >"$PG_DIR/port"
    (umask 077 && echo "$password" >"$PG_DIR/password")
    [[ $(id -u) -ne 0 ]] || chown "$user" "$PG_DIR"/{bin,os-user,port,password}
    # --no-sync: a throw-away folder; the server itself keeps its default durability (fsync on).
    # Local connections (the socket in $PG_DIR/run, only the server's user can reach it) trust that user; TCP asks
    # for the password.
    pg_as "$user" "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1 \
        || die "initdb failed; its log: $PG_DIR/initdb.log"
    pg_start "$bin" "$user" "$port"
    pg_as "$user" "$bin/psql" -q -v ON_ERROR_STOP=1 -h "$PG_DIR/run" -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$password'" -c "CREATE DATABASE $PG_DB OWNER $PG_USER" >&2 \
        || die "cannot create the database $PG_DB"
    touch "$PG_DIR/ready"
    log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') up on 127.0.0.1:$port as OS user $user ($PG_DIR)"
}

pg_env() {
    pg_running || die "PostgreSQL is not running; start it with scripts/dev-services.sh up"
    local url
    url="jdbc:postgresql://127.0.0.1:$(cat "$PG_DIR/port")/$PG_DB?user=$PG_USER&password=$(cat "$PG_DIR/password")"
    echo "export LIGHT_RUN_STORE_URL='$url'"
    echo "export LIGHT_RUN_TEST_PG_URL='$url'"
}

pg_down() {
    if pg_running; then
        pg_as "$(cat "$PG_DIR/os-user")" "$(cat "$PG_DIR/bin")/pg_ctl" stop -D "$PG_DIR/data" -m fast -w -s >&2 || true
        log "PostgreSQL stopped"
    fi
    rm -rf "$PG_DIR"
}

# --- s3proxy ------------------------------------------------------------------------------------

# The jar, fetched once by Maven from the project's repositories (Maven checks its checksum) into a cache folder.
s3_jar() {
    [[ -s $S3_JAR ]] && { echo "$S3_JAR"; return; }
    mkdir -p "$S3_CACHE"
    log "fetching s3proxy $S3_VERSION (~40 MB) into $S3_CACHE"
    local java_home
    java_home=$(bash "$SCRIPTS_DIR/find-jdk.sh") || die "no JDK 21+ to run Maven with"
    # -N: the root project only (the goal needs a project, not the modules).
    (cd "$SCRIPTS_DIR/.." && JAVA_HOME=$java_home ./mvnw -B -q -N dependency:copy \
        -Dartifact="org.gaul:s3proxy:$S3_VERSION:jar:jar-with-dependencies" -DoutputDirectory="$S3_CACHE" >&2) \
        || die "cannot fetch org.gaul:s3proxy:$S3_VERSION (jar-with-dependencies)"
    [[ -s $S3_JAR ]] || die "Maven fetched s3proxy but $S3_JAR is missing"
    echo "$S3_JAR"
}

s3_free_port() {
    local port
    for ((port = S3_FIRST_PORT; port < S3_FIRST_PORT + 100; port++)); do
        port_busy "$port" || { echo "$port"; return; }
    done
    die "no free port in $S3_FIRST_PORT..$((S3_FIRST_PORT + 99))"
}

# True once s3proxy answers HTTP (any status: an unsigned request is a 403), not merely listens.
s3_answers() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        read -r -t 5 line <&3 || true
        [[ $line == HTTP/* ]]
    ) 2>/dev/null
}

s3_running() {
    [[ -f $S3_DIR/pid && -f $S3_DIR/port ]] && kill -0 "$(cat "$S3_DIR/pid")" 2>/dev/null \
        && s3_answers "$(cat "$S3_DIR/port")"
}

s3_up() {
    if s3_running; then
        log "s3proxy already running on 127.0.0.1:$(cat "$S3_DIR/port") ($S3_DIR)"
        return
    fi
    local jar java port secret began
    jar=$(s3_jar)
    java=$(bash "$SCRIPTS_DIR/find-jdk.sh")/bin/java || die "s3proxy needs a JDK 21+ (scripts/find-jdk.sh found none)"
    began=$(date +%s%N)
    rm -rf "$S3_DIR"
    mkdir -p "$SERVICES_DIR"
    mkdir -m 700 "$S3_DIR"
    # The filesystem backend: a bucket is a folder of data/.
    mkdir -p "$S3_DIR/data/$S3_BUCKET"
    port=$(s3_free_port)
    secret=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 || true)
    echo "$port" >"$S3_DIR/port"
    (umask 077 && echo "$secret" >"$S3_DIR/secret")
    (umask 077 && cat >"$S3_DIR/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=lightrun
s3proxy.credential=$secret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$S3_DIR/data
CONF
    )
    # setsid: the server outlives this script; small heap and one JIT: a test service on a shared machine.
    setsid "$java" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$jar" --properties "$S3_DIR/s3proxy.conf" \
        >"$S3_DIR/server.log" 2>&1 </dev/null &
    echo $! >"$S3_DIR/pid"
    local deadline=$((SECONDS + WAIT_SECONDS))
    until s3_answers "$port"; do
        kill -0 "$(cat "$S3_DIR/pid")" 2>/dev/null || die "s3proxy exited; its log: $S3_DIR/server.log"
        ((SECONDS < deadline)) || die "s3proxy did not listen on $port in ${WAIT_SECONDS}s; its log: $S3_DIR/server.log"
        sleep 0.1
    done
    log "s3proxy $S3_VERSION up on 127.0.0.1:$port in $((($(date +%s%N) - began) / 1000000)) ms, bucket $S3_BUCKET ($S3_DIR)"
}

s3_env() {
    s3_running || die "s3proxy is not running; start it with scripts/dev-services.sh up"
    echo "export LIGHT_RUN_TEST_S3_ENDPOINT='http://127.0.0.1:$(cat "$S3_DIR/port")'"
    echo "export LIGHT_RUN_TEST_S3_BUCKET='$S3_BUCKET'"
    echo "export AWS_ACCESS_KEY_ID='lightrun'"
    echo "export AWS_SECRET_ACCESS_KEY='$(cat "$S3_DIR/secret")'"
    echo "export AWS_REGION='us-east-1'"
}

s3_down() {
    if s3_running; then
        local pid
        pid=$(cat "$S3_DIR/pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
        log "s3proxy stopped"
    fi
    rm -rf "$S3_DIR"
}

# --- all services -------------------------------------------------------------------------------

case "${1:-}" in
    up)
        pg_up
        s3_up
        pg_env
        s3_env
        ;;
    env)
        pg_env
        s3_env
        ;;
    down)
        pg_down
        s3_down
        rmdir "$SERVICES_DIR" 2>/dev/null || true
        ;;
    *)
        echo "usage: $0 up|env|down" >&2
        exit 2
        ;;
esac
