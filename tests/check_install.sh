#!/bin/sh
# `make install` puts everything in place, and a program builds against the
# installed library with nothing but pkg-config.
#   check_install.sh BUILD_DIR
set -eu
build=$1
prefix=$(mktemp -d /tmp/ebench-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" > "$prefix.log" 2>&1 || { cat "$prefix.log"; exit 1; }
rm -f "$prefix.log"
for f in bin/ebench include/ebench.h share/man/man1/ebench.1 \
         share/ebench/python/energy_benchmark.py share/doc/ebench/API.md; do
    [ -e "$prefix/$f" ] || { echo "missing after install: $f"; exit 1; }
done
pc=$(find "$prefix" -name ebench.pc)
[ -n "$pc" ] || { echo "missing after install: ebench.pc"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
cat > "$prefix/hello.c" <<'C'
#include <ebench.h>
#include <stdio.h>
int main(void)
{
    eb_bench *b;
    if (eb_open(&b, NULL) != EB_OK)
        return 1;
    EB_MEASURE(b, "hello") { puts("hello"); }
    eb_close(b);
    printf("ebench %s\n", EB_VERSION_STRING);
    return 0;
}
C
cc $(pkg-config --cflags ebench) "$prefix/hello.c" -o "$prefix/hello" $(pkg-config --libs ebench)
libdir=$(pkg-config --variable=libdir ebench)
LD_LIBRARY_PATH=$libdir EBENCH_NVML_LIBRARY=/nonexistent "$prefix/hello"
"$prefix/bin/ebench" --version
man -l "$prefix/share/man/man1/ebench.1" > /dev/null 2>&1 || groff -man -z "$prefix/share/man/man1/ebench.1"
echo "install check: ok"
