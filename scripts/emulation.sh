#!/usr/bin/env bash
# Makes this machine run linux/arm64 and linux/arm/v7 binaries, for the Raspberry Pi images'
# stand-in bases (mmdebstrap --architectures) and their containers (docker run --platform):
# Debian's qemu-user-static registers its interpreters with binfmt_misc, with the F flag, so the
# kernel keeps the interpreter open and a container needs no copy of it. As root it installs the
# packages, mounts binfmt_misc when nothing has, and enables the two interpreters; anyone else gets
# the exact commands. Quick and silent when both already run.
set -euo pipefail

binfmt=/proc/sys/fs/binfmt_misc
interpreters=(qemu-aarch64 qemu-arm)

registered() {
  local name
  for name in "${interpreters[@]}"; do
    [ -f "$binfmt/$name" ] && head -n 1 "$binfmt/$name" | grep -qx enabled || return 1
  done
}

missing=()
[ -x /usr/bin/qemu-aarch64-static ] || missing+=(qemu-user-static)
command -v update-binfmts >/dev/null 2>&1 || [ -x /usr/sbin/update-binfmts ] || missing+=(binfmt-support)

if [ ${#missing[@]} -eq 0 ] && registered; then exit 0; fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "This machine cannot run linux/arm64 and linux/arm/v7 binaries yet. Run, as root:" >&2
  [ ${#missing[@]} -eq 0 ] || echo "  sudo sh -c 'apt-get update && apt-get install -y ${missing[*]}'" >&2
  [ -f "$binfmt/status" ] || echo "  sudo mount -t binfmt_misc binfmt_misc $binfmt" >&2
  echo "  sudo update-binfmts --enable qemu-aarch64 && sudo update-binfmts --enable qemu-arm" >&2
  exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} with apt-get ..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# Containers and machines without systemd have nothing that mounts it at boot.
[ -f "$binfmt/status" ] || mount -t binfmt_misc binfmt_misc "$binfmt"
for name in "${interpreters[@]}"; do
  # The packages' own registration ran only if binfmt_misc was mounted when they were installed.
  [ -f "$binfmt/$name" ] || update-binfmts --import "$name" >/dev/null
  update-binfmts --enable "$name" >/dev/null 2>&1 || true
done

if ! registered; then
  echo "binfmt_misc does not run ${interpreters[*]} after update-binfmts --enable: see $binfmt" >&2
  exit 1
fi
