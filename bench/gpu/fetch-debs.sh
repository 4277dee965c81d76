#!/bin/sh
# Run HERE (a machine that reaches Debian's packages), before validate.sh:
# the GPU machine cannot install anything, so jansson (ebench's one required
# library that its image lacks) travels as .deb files in .gpu-debs/ (ignored
# by git; name it in the device tool's `carry`).
set -eu
cd "$(dirname "$0")/../.."
mkdir -p .gpu-debs
cd .gpu-debs
# pkg-config too, in case the GPU image has none (CMake finds jansson through it)
apt-get download libjansson4 libjansson-dev pkgconf-bin libpkgconf3
ls -la
