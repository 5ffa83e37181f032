#!/usr/bin/env bash
# Installs what Warden's build, tests and tools use, when any of it is missing: Debian packages
# (bubblewrap and libseccomp-dev: the sandbox; tinyproxy, microsocks, proxychains4, iperf3: the
# proxies' peers in tests and benchmarks; iproute2: the proxy tests' network namespaces (`ip netns`); tmux: the interactive tests;
# openssh-client: ssh-agent for the allowUnixSockets tests; openssl: the export tests make a throwaway CA with it for the HTTPS
# receiver), and PyPI's
# opentelemetry-proto for the OTLP receiver the export tests run (Scripts/otlp-receiver.py). Needs root (or sudo) for the Debian packages.
# Idempotent and quiet when everything is there.
#
# OTEL_PROTO_VERSION picks the opentelemetry-proto installed when one is needed (default: the one
# the export tests were written against); an empty value takes the newest.
set -euo pipefail

packages=(git python3 python3-pip openssl bubblewrap libseccomp-dev tinyproxy microsocks proxychains4 iperf3 iproute2 tmux openssh-client)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "install-deps: installing ${missing[*]}" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# opentelemetry-proto (with protobuf), into the python3 on PATH, as the tests run it.
python="${PYTHON:-python3}"
if ! "$python" -c 'import opentelemetry.proto.collector.logs.v1.logs_service_pb2, google.protobuf.json_format' 2>/dev/null; then
    version="${OTEL_PROTO_VERSION-1.45.2}"
    requirement="opentelemetry-proto${version:+==$version}"
    echo "install-deps: installing $requirement from PyPI" >&2
    pip=("$python" -m pip install --quiet --disable-pip-version-check)
    # Debian's own python3 refuses pip installs outside a virtual environment (PEP 668); this
    # package only adds modules, so it goes in beside the system's anyway.
    "${pip[@]}" "$requirement" >&2 2>/dev/null || "${pip[@]}" --break-system-packages "$requirement" >&2
    "$python" -c 'import opentelemetry.proto.collector.logs.v1.logs_service_pb2, google.protobuf.json_format'
fi
