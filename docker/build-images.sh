#!/usr/bin/env bash
# Builds the local images Corral's tests and demos use, without any registry (none is reachable):
#
#   corral/busybox:latest   FROM scratch: Debian's busybox-static as /bin/busybox, every applet
#                           (/bin/sh, httpd, ...) a symlink to it, and /www/index.html to serve
#                           (`busybox httpd -f -p 80 -h /www`).
#
# Idempotent and quick: an image that already exists is kept (pass --force to rebuild).
# Installs busybox-static with apt-get when it is missing (needs root).
set -euo pipefail

force=0
if [[ "${1:-}" == "--force" ]]; then
    force=1
fi

image=corral/busybox:latest
if [[ $force == 0 ]] && docker image inspect "$image" >/dev/null 2>&1; then
    echo "$image is already built"
    exit 0
fi

busybox=/bin/busybox
if ! dpkg -s busybox-static >/dev/null 2>&1; then
    echo "installing busybox-static"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi
if ldd "$busybox" >/dev/null 2>&1; then
    echo "$busybox is not statically linked; it cannot run in a FROM scratch image" >&2
    exit 1
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
root=$context/rootfs
mkdir -p "$root/bin" "$root/www" "$root/tmp" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [[ "$applet" == busybox ]] || ln -sf busybox "$root/bin/$applet"
done
chmod 1777 "$root/tmp"
echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
echo '<h1>corral busybox</h1>' > "$root/www/index.html"
cat > "$context/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
CMD ["/bin/sh"]
DOCKERFILE

docker build --quiet --tag "$image" "$context" >/dev/null
echo "built $image"
