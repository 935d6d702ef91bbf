#!/usr/bin/env bash
# Makes sure the Debian packages the local run and the tests need are present:
# nginx with njs (the real gateway) and chromium (the page test). Installs them when it can
# (root with apt-get); otherwise stops with the exact command to run, so nobody guesses.
set -euo pipefail

missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_http_js_module.so ] || missing+=(libnginx-mod-http-js)
if [ "${1:-}" = "--with-browser" ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

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
