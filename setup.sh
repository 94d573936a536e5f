#!/usr/bin/env bash
# Installs what FastSpinnRelay needs on a Debian machine that has the .NET SDK, then builds `relay`.
# Idempotent: packages already present are not reinstalled. Usage: ./setup.sh [--aot] [--quiet]
#   --aot    also install what native AOT publishing and the C bench baseline need (clang, zlib, gcc)
#   --quiet  print only problems
set -euo pipefail
cd "$(dirname "$0")"

aot=0
quiet=0
for arg in "$@"; do
    case "$arg" in
        --aot) aot=1 ;;
        --quiet) quiet=1 ;;
        -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done
say() { [ "$quiet" = 1 ] || echo "setup: $*"; }

if ! command -v dotnet >/dev/null 2>&1; then
    echo "setup: the .NET SDK (10.0 or later) is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
    exit 1
fi

# liblz4: the tunnel's batch compression (runtime library, and the static one for the AOT binary).
packages=(liblz4-1 liblz4-dev)
if [ "$aot" = 1 ]; then
    packages+=(clang zlib1g-dev gcc)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

say "building relay (Release)"
build_log="$(mktemp)"
if ! dotnet build src/Relay/Relay.csproj -c Release -f net10.0 -nologo -v quiet >"$build_log" 2>&1; then
    cat "$build_log" >&2   # the build output only matters when it failed
    rm -f "$build_log"
    exit 1
fi
rm -f "$build_log"
say "done: run ./relay --help"
