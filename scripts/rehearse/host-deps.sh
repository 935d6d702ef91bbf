#!/usr/bin/env bash
# What the rehearsal runs on the host besides the Docker engine (scripts/docker-engine.sh):
# dnsmasq, the cluster DNS that answers each Service's names with its ready pods, and a static
# busybox, the pods' pause container. Installs them as root with apt-get; anyone else gets the
# exact command to run.
set -euo pipefail

missing=()
[ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
# Static: the pause image holds nothing else, no C library.
{ ldd /bin/busybox 2>&1 || true; } | grep -q -e 'not a dynamic executable' -e 'statically linked' || missing+=(busybox-static)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} with apt-get ..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
else
  echo "The rehearsal needs ${missing[*]}. Install with:" >&2
  echo "  sudo sh -c 'apt-get update && apt-get install -y ${missing[*]}'" >&2
  exit 1
fi
