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
# every doc the README links is installed, and the man page points at them
for doc in $(grep -o 'docs/[A-Za-z0-9_.-]*\.\(md\|json\)' "$(dirname "$0")/../README.md" | sort -u); do
    [ -e "$prefix/share/doc/ebench/$(basename "$doc")" ] || { echo "not installed: $doc (the README links it)"; exit 1; }
done
grep -q "$prefix/share/doc/ebench" "$prefix/share/man/man1/ebench.1" ||
    { echo "the man page does not name $prefix/share/doc/ebench"; exit 1; }
for cmd in info run report compare monitor plot export merge; do
    grep -q "^\.B $cmd" "$prefix/share/man/man1/ebench.1" ||
        { echo "the man page does not cover ebench $cmd"; exit 1; }
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
# from a fresh shell, as a new user would: no LD_LIBRARY_PATH, no PYTHONPATH
# but the prefix's own module folder (a prefix of one's own is not on it)
fresh() { env -i PATH=/usr/bin:/bin HOME=/nonexistent EBENCH_NVML_LIBRARY=/nonexistent "$@"; }
fresh "$prefix/hello"
fresh "$prefix/bin/ebench" --version
py=$(find "$prefix/lib" -name energy_benchmark.py | head -n 1)
[ -n "$py" ] || { echo "missing after install: energy_benchmark.py under lib/"; exit 1; }
fresh PYTHONPATH="$(dirname "$py")" /usr/bin/python3 -c '
import energy_benchmark
b = energy_benchmark.EnergyBenchmark()
with b.window("hello"):
    pass
assert "hello" in b.results, b.results
print("python from the install: ok")'
# C++: the header-only wrapper, from the installed prefix
if command -v c++ > /dev/null 2>&1; then
    cat > "$prefix/hello.cpp" <<'CPP'
#include <ebench.hpp>
#include <cstdio>
int main()
{
    ebench::bench b;
    {
        auto w = b.window("hello");
        std::puts("hello from C++");
    }
    return 0;
}
CPP
    c++ -std=c++17 $(pkg-config --cflags ebench) "$prefix/hello.cpp" -o "$prefix/hello_cpp" \
        $(pkg-config --libs ebench)
    fresh "$prefix/hello_cpp"
else
    echo "install check: C++ not tried: no c++ compiler (scripts/install-deps installs g++)"
fi
# Fortran: the installed module
if command -v gfortran > /dev/null 2>&1 && [ -e "$prefix/include/ebench.mod" ]; then
    cat > "$prefix/hello.f90" <<'F90'
program hello
  use ebench
  type(ebench_t) :: b
  call ebench_open(b)
  call ebench_begin(b, "hello")
  print '(a)', "hello from Fortran"
  call ebench_end(b, "hello")
  call ebench_close(b)
end program hello
F90
    gfortran -I"$prefix/include" "$prefix/hello.f90" -o "$prefix/hello_f90" \
        -L"$(pkg-config --variable=libdir ebench)" -lebench_fortran $(pkg-config --libs ebench)
    fresh "$prefix/hello_f90"
else
    echo "install check: Fortran not tried: no gfortran or no ebench.mod (scripts/install-deps installs gfortran)"
fi
# a CMake project finds it in one line: find_package(ebench)
mkdir -p "$prefix/cm"
cat > "$prefix/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(hello C)
find_package(ebench 2 REQUIRED)
add_executable(hello_cmake ../hello.c)
target_link_libraries(hello_cmake ebench::ebench)
CM
cmake -S "$prefix/cm" -B "$prefix/cm/build" -DCMAKE_PREFIX_PATH="$prefix" > "$prefix/cm.log" 2>&1 &&
    cmake --build "$prefix/cm/build" >> "$prefix/cm.log" 2>&1 || { cat "$prefix/cm.log"; exit 1; }
fresh "$prefix/cm/build/hello_cmake"
# the man page renders (groff-base is in scripts/install-deps)
if command -v man > /dev/null 2>&1; then
    man -l "$prefix/share/man/man1/ebench.1" > /dev/null
elif command -v groff > /dev/null 2>&1; then
    groff -man -z "$prefix/share/man/man1/ebench.1"
else
    echo "install check: the man page not rendered: neither man nor groff (scripts/install-deps installs groff-base)"
fi
echo "install check: ok"
