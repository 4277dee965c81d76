# bench/gpu/deps.sh - sourced by validate.sh, timing.sh and check.sh on the GPU
# machine: unpacks the carried .gpu-debs/ (jansson, pkgconf; see fetch-debs.sh)
# into /tmp/ebench-deps and points pkg-config and the loader at them, since
# nothing can be installed there.
deps=/tmp/ebench-deps
mkdir -p "$deps"
for f in .gpu-debs/*.deb; do dpkg -x "$f" "$deps"; done
pcdir=$(dirname "$(find "$deps" -name jansson.pc | head -n 1)")
sed -i "s|^prefix=.*|prefix=$deps/usr|" "$pcdir/jansson.pc"
export PKG_CONFIG_PATH="$pcdir"
export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
# no pkg-config on the image: the carried pkgconf
command -v pkg-config > /dev/null 2>&1 || export PKG_CONFIG="$deps/usr/bin/pkgconf"
