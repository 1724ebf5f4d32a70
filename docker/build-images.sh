#!/usr/bin/env bash
# Builds Corral's images locally, without any registry (none is reachable):
#
#   corral/busybox:latest   FROM scratch: Debian's busybox-static as /bin/busybox, every applet
#                           (/bin/sh, httpd, ...) a symlink to it, and /www/index.html to serve
#                           (`busybox httpd -f -p 80 -h /www`): the demo and test workload.
#   corral/corral:latest    FROM scratch: the static release binaries of every Corral service
#                           (corral-coordinator, corral-master, corral-agent, corral-marathon, and
#                           `corral`, whose `corral health URL` is the images' healthcheck), and
#                           busybox for the shell command tasks run in (`sh -c`).
#   corral/lb:latest        FROM scratch: corral-lb, Debian's HAProxy and the libraries `ldd` lists.
#
# Usage: docker/build-images.sh [--force] [busybox|corral|lb ...]   (no name: all three)
# Idempotent: an image that exists is kept unless --force; corral and lb are rebuilt whenever
# their binaries are newer than the image (so after a source change this one command rebuilds).
# The static build (`-C target-feature=+crt-static`) goes to target/x86_64-unknown-linux-gnu/release.
# Installs busybox-static and haproxy with apt-get when they are missing (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."

force=0
images=()
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        busybox | corral | lb) images+=("$arg") ;;
        *) echo "usage: $0 [--force] [busybox|corral|lb ...]" >&2; exit 2 ;;
    esac
done
[[ ${#images[@]} -gt 0 ]] || images=(busybox corral lb)

target=x86_64-unknown-linux-gnu
static_dir=target/$target/release
services=(corral-coordinator corral-master corral-agent corral-marathon corral)

apt_install() {
    local sudo=""
    [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
    echo "installing $*"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Whether "$1" loads shared libraries (ldd lists them with "=>"; a static-pie binary has none).
is_dynamic() {
    ldd "$1" 2>&1 | grep -q '=>'
}

# Seconds since the epoch when this script last built image "$1" (a stamp in target/images, since
# Docker keeps the creation time of a cached, unchanged image); 0 when it must be built.
image_time() {
    local stamp="target/images/${1//[\/:]/_}"
    docker image inspect "$1" >/dev/null 2>&1 && [[ -f $stamp ]] || { echo 0; return; }
    stat -c %Y "$stamp"
}

# Whether any source of the Rust workspace changed after image "$1" was built (or it does not
# exist): when none did, cargo is not even asked (it may be busy, such as under `cargo test`).
sources_changed() {
    local built
    [[ $force == 1 ]] && return 0
    built=$(image_time "$1")
    [[ $built == 0 ]] && return 0
    [[ -n $(find Cargo.toml Cargo.lock services shared -type f -newermt "@$built" -print -quit) ]]
}

# Whether "$1" (an image) must be built from the files that follow.
stale() {
    local image=$1 built
    shift
    [[ $force == 1 ]] && return 0
    built=$(image_time "$image")
    [[ $built == 0 ]] && return 0
    for file in "$@"; do
        [[ $(stat -c %Y "$file") -gt $built ]] && return 0
    done
    return 1
}

static_build() {
    echo "building static release binaries (the slow step: about 10 minutes on 2 cores from scratch)"
    RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --target "$target" \
        -p corral-coordinator -p corral-master -p corral-agent -p corral-marathon -p corral-lb -p corral-cli --bins
    for binary in "${services[@]}" corral-lb; do
        if is_dynamic "$static_dir/$binary"; then
            echo "$static_dir/$binary is not statically linked" >&2
            exit 1
        fi
    done
}

# Drops the debug information (the release profile keeps some for profiling) from binaries in "$1".
strip_all() {
    local dir=$1
    shift
    for binary in "$@"; do
        strip --strip-debug "$dir/$binary"
    done
}

# A root filesystem with what every image needs: /etc/passwd and /etc/group, a /tmp, and the
# hosts and nsswitch files name lookups read.
base_root() {
    local root=$1
    mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/data"
    chmod 1777 "$root/tmp"
    echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
    echo 'root:x:0:' > "$root/etc/group"
    echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
}

build_image() {
    local image=$1 context=$2 cmd=$3
    cat > "$context/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ENV PATH=/bin:/usr/sbin
WORKDIR /data
CMD $cmd
DOCKERFILE
    docker build --quiet --tag "$image" "$context" >/dev/null 2>&1
    mkdir -p target/images
    touch "target/images/${image//[\/:]/_}"
    echo "built $image ($(docker image inspect --format '{{.Size}}' "$image" | numfmt --to=iec))"
}

# Debian's busybox-static as /bin/busybox in "$1", every applet (/bin/sh, httpd, ...) a link to it.
add_busybox() {
    local root=$1 busybox=/bin/busybox
    dpkg -s busybox-static >/dev/null 2>&1 || apt_install busybox-static
    if is_dynamic "$busybox"; then
        echo "$busybox is not statically linked; it cannot run in a FROM scratch image" >&2
        exit 1
    fi
    cp "$busybox" "$root/bin/busybox"
    for applet in $("$busybox" --list); do
        [[ "$applet" == busybox ]] || ln -sf busybox "$root/bin/$applet"
    done
}

build_busybox() {
    local image=corral/busybox:latest
    if [[ $force == 0 ]] && docker image inspect "$image" >/dev/null 2>&1; then
        echo "$image is already built"
        return
    fi
    local context
    context=$(mktemp -d)
    base_root "$context/rootfs"
    mkdir -p "$context/rootfs/www"
    add_busybox "$context/rootfs"
    echo '<h1>corral busybox</h1>' > "$context/rootfs/www/index.html"
    build_image "$image" "$context" '["/bin/sh"]'
    rm -rf "$context"
}

build_corral() {
    local image=corral/corral:latest
    if ! sources_changed "$image"; then
        echo "$image is up to date"
        return
    fi
    static_build
    local binaries=()
    for binary in "${services[@]}"; do binaries+=("$static_dir/$binary"); done
    if ! stale "$image" "${binaries[@]}"; then
        echo "$image is up to date"
        return
    fi
    local context
    context=$(mktemp -d)
    base_root "$context/rootfs"
    # A shell for command tasks (the process containerizer runs `sh -c`), as an agent host has.
    add_busybox "$context/rootfs"
    cp "${binaries[@]}" "$context/rootfs/bin/"
    strip_all "$context/rootfs/bin" "${services[@]}"
    build_image "$image" "$context" '["/bin/corral", "--help"]'
    rm -rf "$context"
}

build_lb() {
    local image=corral/lb:latest
    command -v haproxy >/dev/null 2>&1 || apt_install haproxy
    local haproxy
    haproxy=$(command -v haproxy)
    if ! sources_changed "$image" && [[ $(stat -c %Y "$haproxy") -le $(image_time "$image") ]]; then
        echo "$image is up to date"
        return
    fi
    static_build
    if ! stale "$image" "$static_dir/corral-lb" "$static_dir/corral" "$haproxy"; then
        echo "$image is up to date"
        return
    fi
    local context
    context=$(mktemp -d)
    base_root "$context/rootfs"
    cp "$static_dir/corral-lb" "$static_dir/corral" "$context/rootfs/bin/"
    strip_all "$context/rootfs/bin" corral-lb corral
    mkdir -p "$context/rootfs/usr/sbin"
    cp "$haproxy" "$context/rootfs/usr/sbin/haproxy"
    # HAProxy's shared libraries and the dynamic loader, at the paths ldd names.
    for library in $(ldd "$haproxy" | grep -o '/[^ ]*'); do
        mkdir -p "$context/rootfs$(dirname "$library")"
        cp -L "$library" "$context/rootfs$library"
    done
    build_image "$image" "$context" '["/bin/corral-lb", "--help"]'
    rm -rf "$context"
}

for image in "${images[@]}"; do
    "build_$image"
done
