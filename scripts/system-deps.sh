#!/usr/bin/env bash
# Makes sure the Debian packages the local run needs (nginx with njs: the real gateway;
# postgresql: the books API's database) are present; with --tests also what the tests drive
# for real (chromium for the page, the Prometheus for the metrics) and a Docker engine with mmdebstrap (the images and
# their stand-in base images, scripts/docker-engine.sh) and the single-node cluster's host
# packages; with --docker only that engine; with --cluster or --rehearse that engine and the
# cluster's host packages (without nginx's); with --bench the load generator (wrk); with --tests
# or --bench the bench's peers (haproxy, caddy) and valgrind (its profile); with --tests or --emulation the emulation of
# linux/arm64 and linux/arm/v7 the Raspberry Pi images run under here (scripts/emulation.sh).
# Installs them when it can (root with apt-get); otherwise stops with the exact command to run,
# so nobody guesses.
set -euo pipefail

if [ "${1:-}" = "--docker" ]; then
  exec bash "$(dirname "$0")/docker-engine.sh"
fi
if [ "${1:-}" = "--emulation" ]; then
  exec bash "$(dirname "$0")/emulation.sh"
fi

missing=()
if [ "${1:-}" != "--rehearse" ] && [ "${1:-}" != "--cluster" ]; then
  # /usr/sbin is often missing from a normal user's PATH.
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || missing+=(libnginx-mod-http-js)
  # Debian keeps the server's programs in /usr/lib/postgresql/<major>/bin, off every PATH.
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
fi
if [ "${1:-}" = "--tests" ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
fi
if [ "${1:-}" = "--bench" ] || [ "${1:-}" = "--tests" ]; then
  # The load generator: the bench's, and the rehearsal's flood past the rate limit.
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
fi
if [ "${1:-}" = "--tests" ] || [ "${1:-}" = "--cluster" ] || [ "${1:-}" = "--rehearse" ]; then
  # The single-node cluster (npm run cluster, and rehearse on it): the pods' network (the CNI
  # plugins, iptables, ipset for kube-router's policies, conntrack for kube-proxy, socat for
  # kubectl port-forward), the pause container's compiler, a static busybox for the storage
  # provisioner's helper pods, and the image registry on 127.0.0.1.
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || missing+=(iptables)
  command -v ipset >/dev/null 2>&1 || [ -x /usr/sbin/ipset ] || missing+=(ipset)
  command -v conntrack >/dev/null 2>&1 || [ -x /usr/sbin/conntrack ] || missing+=(conntrack)
  command -v socat >/dev/null 2>&1 || missing+=(socat)
  [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
  command -v gcc >/dev/null 2>&1 || missing+=(gcc)
  [ -f /usr/include/stdio.h ] || missing+=(libc6-dev)
  { ldd /bin/busybox 2>&1 || true; } | grep -q -e 'not a dynamic executable' -e 'statically linked' || missing+=(busybox-static)
fi
if [ "${1:-}" = "--tests" ] || [ "${1:-}" = "--bench" ]; then
  # The peers the bench compares the gateway with (test/bench runs each once), and the
  # instruction counter of its profile section.
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  command -v caddy >/dev/null 2>&1 || missing+=(caddy)
  command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
fi

if [ ${#missing[@]} -gt 0 ]; then
  install_cmd="apt-get update && apt-get install -y ${missing[*]}"
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get ..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    echo "Missing system packages: ${missing[*]}. Install them with:" >&2
    echo "  sudo sh -c '$install_cmd'" >&2
    exit 1
  fi
fi

if [ "${1:-}" = "--tests" ] || [ "${1:-}" = "--rehearse" ] || [ "${1:-}" = "--cluster" ]; then
  bash "$(dirname "$0")/docker-engine.sh"
fi
if [ "${1:-}" = "--tests" ]; then
  bash "$(dirname "$0")/emulation.sh"
fi
