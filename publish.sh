#!/usr/bin/env bash
# Publishes `relay` as one native AOT executable and smoke-tests it.
#   ./publish.sh [OUTPUT_DIR]      (default: ./publish)
# Native AOT publishes through the net9.0 toolchain here (the .NET 10 AOT runtime pack is not obtainable);
# ./setup.sh --aot installs clang and zlib, which the native linker needs.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-publish}"
rid="linux-$(uname -m | sed -e 's/x86_64/x64/' -e 's/aarch64/arm64/')"

./setup.sh --aot --quiet
echo "publish: native AOT for $rid (net9.0) -> $out/relay"
dotnet publish src/Relay/Relay.csproj -c Release -f net9.0 -r "$rid" -o "$out" -nologo -v quiet
# Only the executable ships: symbols and XML docs of the libraries are build by-products.
find "$out" -type f ! -name relay -delete

bin="$out/relay"
size=$(stat -c %s "$bin")
echo "publish: $(du -h "$bin" | cut -f1) ($size bytes), $(find "$out" -type f | wc -l) file(s) in $out"

fail=0
check() { if ! "$@"; then echo "publish: FAILED: $*" >&2; fail=1; fi; }

# Smoke tests: the binary starts, answers, and does real work.
version=$("$bin" --version)
echo "publish: relay --version -> $version"
start=$(date +%s%N); "$bin" --version >/dev/null; end=$(date +%s%N)
echo "publish: --version took $(( (end - start) / 1000000 )) ms"
# Issue 7's target: one file under 20 MB (decimal, the stricter reading).
check test "$size" -lt 20000000

"$bin" --help >/dev/null

# liblz4 (tunnel batch compression) is linked in statically: the binary runs LZ4 without any liblz4 installed.
lz4=$("$bin" tunnel info | grep '^liblz4:' || true)
echo "publish: $lz4"
check grep -q "linked into the binary" <<<"$lz4"
check sh -c "! ldd '$bin' | grep -q liblz4"

# The demo through the AOT binary: emulator, tunnel (TLS-free, fresh key), LZ4, boot, SCP and spikes.
if "$bin" demo --spike-packets 5000 >/tmp/relay-publish-demo.$$ 2>&1; then
    echo "publish: relay demo ok ($(grep -c '^  ok ' /tmp/relay-publish-demo.$$) steps passed)"
else
    echo "publish: FAILED: relay demo" >&2
    cat /tmp/relay-publish-demo.$$ >&2
    fail=1
fi
rm -f /tmp/relay-publish-demo.$$

# Idle memory: an emulator that has started and is waiting.
"$bin" emulate --scp-port 0 --boot-port 0 --stats-every 0 >/dev/null 2>&1 &
emu=$!
sleep 1
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$emu/status" 2>/dev/null || echo 0)
kill "$emu" 2>/dev/null || true
wait "$emu" 2>/dev/null || true
echo "publish: idle RSS of relay emulate: $((rss_kb / 1024)) MB"
check test "$rss_kb" -lt $((40 * 1024))

# A short `relay bench` through the AOT binary: the bench code itself (Process, /proc, JSON writer) under AOT,
# and a relay child (`relay server`, one UDP hop) started by the binary, stopped with SIGTERM, reporting at exit.
bench_json="$(mktemp)"
if "$bin" bench --paths direct,udp-hop --workloads stream,rr1 --sizes 282 --duration 1s --warmup 200ms \
        --json "$bench_json" >/dev/null 2>&1 \
    && grep -q '"succeeded": true' "$bench_json"; then
    echo "publish: relay bench (direct, udp-hop; 1 s) ok"
else
    echo "publish: FAILED: relay bench --paths direct,udp-hop" >&2
    "$bin" bench --paths direct,udp-hop --workloads stream,rr1 --sizes 282 --duration 1s --warmup 200ms >&2 || true
    fail=1
fi
rm -f "$bench_json"

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "publish: ok. Install on a gateway with: sudo install -m 755 $bin /usr/local/bin/relay"
