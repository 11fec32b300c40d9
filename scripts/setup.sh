#!/usr/bin/env bash
# One-command set-up on a fresh Debian 12 machine (run as root): the toolchain and tools the
# build and tests need, then the npm packages exactly as locked. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup: run as root (apt-get and the BPF filesystem need it): sudo $0" >&2
  exit 1
fi

packages=(
  clang-19 llvm-19        # bpf/ is built with Debian's clang-19 (objects are committed; needed to check/rebuild)
  libbpf-dev libc6-dev    # bpf_helpers.h, linux uapi headers
  bpftool                 # debugging aid; tests don't depend on it
  iproute2 iputils-ping   # `ip netns` compatibility checks, ping in link-replacement tests
  iperf3 util-linux       # lab traffic, nsenter
  procps                  # pgrep/ps for lab process checks
  nftables                # `nft`: the standard-dataplane Service proxy (table ip sluice-proxy)
  iptables                # iptables-save/-restore (nft backend): kube-proxy rule clean-up
  etcd-server             # the etcd datastore's tests start their own etcd on a free loopback port
  fonts-dejavu-core       # the scale bench's PNG chart (resvg loads DejaVu Sans from here)
  python3-minimal         # the conntrack flood e2e sends 200,000 raw packets with Python's socket module
  curl                    # lab tests poll the agents' /readiness inside node namespaces
  chromium                # the flow graph page's browser test (puppeteer-core drives it; no browser download)
  dnsmasq-base            # the DNS policy e2e runs a real DNS server (dnsmasq) in a lab pod
)
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The BPF filesystem must be mounted at /sys/fs/bpf for pins to outlive the agent.
if ! grep -qs ' /sys/fs/bpf bpf ' /proc/mounts; then
  mount -t bpf bpf /sys/fs/bpf
  echo "setup: mounted bpffs at /sys/fs/bpf (add it to /etc/fstab to keep it across reboots)"
fi

npm ci --no-audit --no-fund
# The first `sluice` run would build it too; building it here makes that run start fast.
npm run --silent bundle || echo "setup: could not bundle the CLI; ./bin/sluice.js runs through tsx"
echo "setup: done"
