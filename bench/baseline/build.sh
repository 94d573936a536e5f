#!/usr/bin/env bash
# Builds the C baseline forwarder `relay bench` compares against. Prints the binary's path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/udpfwd}"
if [ ! -x "$out" ] || [ "$here/udpfwd.c" -nt "$out" ]; then
    gcc -O2 -Wall -Wextra -Werror -o "$out" "$here/udpfwd.c"
fi
echo "$out"
