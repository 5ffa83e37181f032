#!/usr/bin/env bash
# Warden's egress proxies side by side with Debian's tinyproxy (HTTP CONNECT, one-host filter)
# and microsocks (SOCKS5), in one run on loopback:
#
#   Scripts/bench-proxy.sh [--warden PATH] [--seconds N] [--handshakes N] [--idle N]
#
# and, beside them, `warden-bench nio-floor` (next to --warden's binary): a bare SwiftNIO relay
# with no policy, log or checks, listening as Warden's proxies do. It is no contender: its row
# shows what SwiftNIO itself costs a handshake, so that Warden's are read as that plus Warden's
# own work.
#
#   - tunnel throughput: iperf3 -c 127.0.0.1 through proxychains4 (N seconds each)
#   - handshake latency p50/p99 over sequential tunnels (connect, CONNECT or SOCKS5, one echo)
#   - tunnels per second with 64 concurrent clients (N seconds each)
#   - resident memory (VmRSS) of the proxy process holding 1,000 idle tunnels
#
# Warden runs as `warden proxy` (release build; decision log ON, in a scratch directory) with a
# policy allowing 127.0.0.1 and non-TLS tunnels (iperf3 and the echo are not TLS). Needs
# tinyproxy, microsocks, proxychains4, iperf3 and python3 (Scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

warden=""
seconds=3
handshakes=500
idle=1000
while [ $# -gt 0 ]; do
    case "$1" in
        --warden) warden="${2:?}"; shift 2 ;;
        --seconds) seconds="${2:?}"; shift 2 ;;
        --handshakes) handshakes="${2:?}"; shift 2 ;;
        --idle) idle="${2:?}"; shift 2 ;;
        *) echo "bench-proxy: unknown argument '$1'" >&2; exit 64 ;;
    esac
done
floor="$(dirname "${warden:-.}")/warden-bench"
for tool in tinyproxy microsocks proxychains4 iperf3 python3; do
    command -v "$tool" >/dev/null || { echo "bench-proxy: $tool is not installed (Scripts/install-deps.sh)" >&2; exit 69; }
done
if [ -z "$warden" ]; then
    warden="$(Scripts/build-release.sh)/warden"
    floor="$(dirname "$warden")/warden-bench"
fi
[ -x "$floor" ] || { echo "bench-proxy: no warden-bench next to $warden (it runs the nio-floor row)" >&2; exit 69; }
ulimit -n 16384 2>/dev/null || ulimit -n 4096

work="$(mktemp -d "${TMPDIR:-/tmp}/bench-proxy.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0; sleep 0.05; done; echo "bench-proxy: nothing listens on $1" >&2; exit 1; }

iperf_port=$(free_port); echo_port=$(free_port)
warden_http=$(free_port); warden_socks=$(free_port); tiny_port=$(free_port); micro_port=$(free_port)
floor_http=$(free_port); floor_socks=$(free_port)

iperf3 -s -p "$iperf_port" >/dev/null 2>&1 & pids+=($!)

cat > "$work/bench.py" <<'PY'
import asyncio, socket, struct, sys, time

def handshake_bytes(kind, port):
    if kind == "http":
        return f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    return None

async def open_tunnel(kind, proxy_port, target_port):
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port)
    if kind == "http":
        writer.write(handshake_bytes(kind, target_port))
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200") and not head.startswith(b"HTTP/1.0 200"):
            raise RuntimeError(head.split(b"\r\n")[0].decode())
    else:
        writer.write(b"\x05\x01\x00")
        await reader.readexactly(2)
        writer.write(b"\x05\x01\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", target_port))
        reply = await reader.readexactly(10)
        if reply[1] != 0:
            raise RuntimeError(f"SOCKS reply {reply[1]}")
    return reader, writer

async def one_echo(kind, proxy_port, target_port):
    reader, writer = await open_tunnel(kind, proxy_port, target_port)
    writer.write(b"x")
    await reader.readexactly(1)
    writer.close()

async def latency(kind, proxy_port, target_port, count):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        await one_echo(kind, proxy_port, target_port)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]

async def rate(kind, proxy_port, target_port, seconds, clients=64):
    done = 0
    errors = 0
    deadline = time.perf_counter() + seconds
    async def worker():
        nonlocal done, errors
        while time.perf_counter() < deadline:
            try:
                await one_echo(kind, proxy_port, target_port)
                done += 1
            except Exception:
                errors += 1
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return done / (time.perf_counter() - start), errors

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

async def idle_memory(kind, proxy_port, target_port, count, pid):
    before = rss_kib(pid)
    tunnels = []
    for _ in range(count):
        tunnels.append(await open_tunnel(kind, proxy_port, target_port))
    await asyncio.sleep(0.5)
    after = rss_kib(pid)
    for _, writer in tunnels:
        writer.close()
    return before, after

async def echo_server(port):
    async def serve(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except Exception:
            pass
        writer.close()
    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()

def main():
    command = sys.argv[1]
    if command == "echo":
        asyncio.run(echo_server(int(sys.argv[2])))
    elif command == "latency":
        p50, p99 = asyncio.run(latency(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])))
        print(f"{p50:.3f} {p99:.3f}")
    elif command == "rate":
        per_second, errors = asyncio.run(rate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])))
        print(f"{per_second:.0f} {errors}")
    elif command == "idle":
        before, after = asyncio.run(idle_memory(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])))
        print(f"{before} {after}")

main()
PY
python3 "$work/bench.py" echo "$echo_port" & pids+=($!)

# Warden: policy allowing 127.0.0.1 without TLS; the decision log in the scratch directory.
cat > "$work/policy.json" <<EOF
{
  "sandbox": {"network": {"allowedDomains": ["127.0.0.1"]}},
  "warden": {
    "audit": {"directory": "$work/log"},
    "sandbox": {"network": {"allowNonTLSConnect": true, "maxConnections": 8192, "maxConnectionsPerClient": 8192}}
  }
}
EOF
env -u HTTPS_PROXY -u HTTP_PROXY -u https_proxy -u http_proxy "$warden" proxy --policy "$work/policy.json" \
    --http "127.0.0.1:$warden_http" --socks "127.0.0.1:$warden_socks" ${WARDEN_PROXY_ARGS:-} 2>"$work/warden.err" & warden_pid=$!; pids+=($warden_pid)

# tinyproxy: a one-host filter (default deny), every port may be tunnelled.
echo '^127\.0\.0\.1$' > "$work/filter"
cat > "$work/tinyproxy.conf" <<EOF
Port $tiny_port
Listen 127.0.0.1
Timeout 60
Allow 127.0.0.1
MaxClients 4096
LogLevel Error
Filter "$work/filter"
FilterDefaultDeny Yes
FilterType ere
EOF
tinyproxy -d -c "$work/tinyproxy.conf" >/dev/null 2>&1 & tiny_pid=$!; pids+=($tiny_pid)
microsocks -i 127.0.0.1 -p "$micro_port" >/dev/null 2>&1 & micro_pid=$!; pids+=($micro_pid)
"$floor" nio-floor --http "$floor_http" --socks "$floor_socks" 2>/dev/null & floor_pid=$!; pids+=($floor_pid)
for port in "$iperf_port" "$echo_port" "$warden_http" "$warden_socks" "$tiny_port" "$micro_port" "$floor_http" "$floor_socks"; do wait_port "$port"; done

chain() {  # chain NAME TYPE PORT -> proxychains config path
    printf 'strict_chain\nquiet_mode\ntcp_read_time_out 15000\ntcp_connect_time_out 8000\n[ProxyList]\n%s 127.0.0.1 %s\n' "$2" "$3" > "$work/$1.conf"
    echo "$work/$1.conf"
}
throughput() {  # throughput CONF -> Gbit/s received
    proxychains4 -q -f "$1" iperf3 -c 127.0.0.1 -p "$iperf_port" -t "$seconds" -J 2>/dev/null \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' 2>/dev/null || echo "failed"
}

# The machine's load matters (2-core build machines run other builds): say it with the figures.
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
printf '%-18s %12s %10s %10s %12s %14s\n' "proxy" "Gbit/s" "p50 ms" "p99 ms" "tunnels/s" "RSS 1k idle"
row() {  # row NAME KIND PORT PID TYPE
    local name="$1" kind="$2" port="$3" pid="$4" type="$5"
    local gbits latency rate idle_rss
    gbits=$(throughput "$(chain "$name" "$type" "$port")")
    latency=$(python3 "$work/bench.py" latency "$kind" "$port" "$echo_port" "$handshakes")
    rate=$(python3 "$work/bench.py" rate "$kind" "$port" "$echo_port" "$seconds")
    idle_rss=$(python3 "$work/bench.py" idle "$kind" "$port" "$echo_port" "$idle" "$pid")
    printf '%-18s %12s %10s %10s %12s %14s\n' "$name" "$gbits" "${latency% *}" "${latency#* }" "${rate% *}" "$(( ${idle_rss#* } / 1024 )) MiB"
}
row "warden http"   http  "$warden_http"  "$warden_pid" http
row "tinyproxy"     http  "$tiny_port"    "$tiny_pid"   http
row "nio floor http" http "$floor_http"   "$floor_pid"  http
row "warden socks5" socks "$warden_socks" "$warden_pid" socks5
row "microsocks"    socks "$micro_port"   "$micro_pid"  socks5
row "nio floor socks5" socks "$floor_socks" "$floor_pid" socks5
records=$(cat "$work"/log/*.jsonl 2>/dev/null | wc -l)
echo "warden decision log: $records records written during the run"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
