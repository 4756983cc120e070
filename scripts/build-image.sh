#!/usr/bin/env bash
# Builds the container image of light-run itself, light-run:<version> and light-run:latest, without pulling anything:
# `docker import` of a root filesystem made here from the release archive (its jlink'd runtime, jar and class archive
# under /opt/light-run), the few glibc libraries they link (found with ldd), /etc/passwd with the non-root user
# light-run (uid/gid 10001) and an empty /data for the run store. No shell and no package manager in it.
#   scripts/build-image.sh                       # uses dist/target/light-run-*-linux-x64.tar.gz, builds it when absent
#   scripts/build-image.sh path/to/archive.tar.gz
# Run it (docs/install.md): docker run -d -p 3000:3000 -e LIGHT_RUN_TOKEN=... -v light-run-data:/data \
#   -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)" light-run
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

APP_UID=10001
log() { echo "build-image: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

docker info >/dev/null 2>&1 || die "no Docker daemon answers; run scripts/docker-up.sh first"

archive=${1:-}
if [[ -z $archive ]]; then
    archive=$(ls -t dist/target/light-run-*-linux-x64.tar.gz 2>/dev/null | head -n 1 || true)
    if [[ -z $archive ]]; then
        log "no release archive yet: building it (./mvnw -Pdist -DskipTests package)"
        JAVA_HOME=$(bash scripts/find-jdk.sh) || die "no JDK 21+ to build with"
        export JAVA_HOME
        ./mvnw -B -q -Pdist -DskipTests package >&2
        archive=$(ls -t dist/target/light-run-*-linux-x64.tar.gz | head -n 1)
    fi
fi
[[ -f $archive ]] || die "no release archive at $archive"
version=$(basename "$archive")
version=${version#light-run-}
version=${version%-linux-x64.tar.gz}
image=light-run:$version

# The root filesystem is made outside the repo and removed on any exit.
work=$(mktemp -d "${TMPDIR:-/var/tmp}/light-run-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"/{opt,etc,tmp,data,home/light-run}

# Tar keeps the modification times the class archive was made against, so the JVM still accepts it here.
tar -xzf "$archive" -C "$rootfs/opt"
mv "$rootfs/opt/light-run-$version" "$rootfs/opt/light-run"
app=$rootfs/opt/light-run
# The launcher is a bash script and the image has no shell: the entrypoint below is its command, spelled out.
rm -f "$app/bin/light-run"
rmdir "$app/bin"

# Shared libraries: what the runtime's binaries and the two JNI libraries in the jar (sqlite-jdbc, JNA for the
# Docker socket) link, found with ldd on this machine; libgcc_s too, which glibc loads by name to unwind a
# cancelled thread. The runtime's own libraries (libjvm.so, found at run time through $ORIGIN) are not copied.
natives=$work/natives
mkdir -p "$natives"
unzip -q -j "$app/lib/light-run.jar" org/sqlite/native/Linux/x86_64/libsqlitejdbc.so \
    com/sun/jna/linux-x86-64/libjnidispatch.so -d "$natives"
mapfile -t elves < <(find "$app/runtime" "$natives" -type f \( -name '*.so' -o -perm -u+x \) \
    -exec sh -c 'head -c 4 "$1" | grep -q ELF' _ {} \; -print)
libs=()
while read -r line; do
    case $line in
        *'=> not found'*)
            name=${line%% *}
            [[ -n $(find "$app/runtime/lib" -name "$name" -print -quit) ]] || die "ldd: $name not found" ;;
        *'=> /'*) lib=${line#*=> }; libs+=("${lib%% (*}") ;;
        /*) libs+=("${line%% (*}") ;;
    esac
done < <(ldd "${elves[@]}" 2>/dev/null | grep -v ':$' | sed 's/^[[:space:]]*//')
gcc_s=$(ldconfig -p | sed -n 's/.*libgcc_s.so.1 (libc6,x86-64) => //p' | head -n 1)
[[ -n $gcc_s ]] && libs+=("$gcc_s")
for lib in $(printf '%s\n' "${libs[@]}" | grep -v "^$app/" | sort -u); do
    # -L: the file's content under the name the loader asks for (e.g. libgcc_s.so.1, not its versioned target).
    cp -L --parents "$lib" "$rootfs/"
done
# A loader cache, so the libraries are found wherever the host's Debian keeps them.
printf '%s\n' /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu >"$rootfs/etc/ld.so.conf"
ldconfig -r "$rootfs"

cat >"$rootfs/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
light-run:x:$APP_UID:$APP_UID:light-run:/home/light-run:/sbin/nologin
EOF
cat >"$rootfs/etc/group" <<EOF
root:x:0:
light-run:x:$APP_UID:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
chmod 1777 "$rootfs/tmp"
chown "$APP_UID:$APP_UID" "$rootfs/data" "$rootfs/home/light-run"
chmod 0700 "$rootfs/data"

# The entrypoint is what bin/light-run runs for serve: the JVM options of lib/jvm.options, {jar} substituted, then the
# jar. Extra JVM options: JDK_JAVA_OPTIONS (read by the java launcher itself; the image has no LIGHT_RUN_JAVA_OPTS).
jar=/opt/light-run/lib/light-run.jar
entrypoint=("\"/opt/light-run/runtime/bin/java\"")
while IFS= read -r line || [[ -n $line ]]; do
    line=${line#"${line%%[![:space:]]*}"}
    [[ -z $line || $line == '#'* ]] && continue
    entrypoint+=("\"${line//\{jar\}/${jar%.jar}}\"")
done <"$app/lib/jvm.options"
entrypoint+=("\"-jar\"" "\"$jar\"")

log "importing $image"
# Listening on 0.0.0.0 is what a container needs; the server still wants a token for it (LIGHT_RUN_TOKEN).
tar -C "$rootfs" --numeric-owner -c . | docker import \
    -c "ENTRYPOINT [$(IFS=,; echo "${entrypoint[*]}")]" \
    -c 'CMD ["serve"]' \
    -c "USER $APP_UID:$APP_UID" \
    -c 'WORKDIR /home/light-run' \
    -c 'ENV LIGHT_RUN_HOST=0.0.0.0 LIGHT_RUN_PORT=3000 LIGHT_RUN_DATA_DIR=/data HOME=/home/light-run LANG=C.UTF-8' \
    -c 'EXPOSE 3000' \
    -c 'VOLUME /data' \
    -c "LABEL org.opencontainers.image.title=light-run org.opencontainers.image.version=$version" \
    - "$image" >/dev/null
docker tag "$image" light-run:latest
log "built $image and light-run:latest, $(docker image inspect --format '{{.Size}}' "$image" | numfmt --to=iec)"
