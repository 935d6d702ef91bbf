#!/usr/bin/env bash
# Makes a Docker engine answer, for the rehearsal and its tests: Debian's docker.io (with the
# BuildKit-capable client /usr/bin/docker) and mmdebstrap (the stand-in base images). As root it
# installs what is missing with apt-get and, when `docker info` does not answer, starts dockerd in
# the background with a log file (no systemd runs on these machines), then waits for it. Anyone
# else gets the exact commands to run. Quick and silent when the engine already answers.
set -euo pipefail

docker_cli=/usr/bin/docker
log_file="${DOCKERD_LOG:-/var/log/dockerd.log}"
wait_seconds="${DOCKERD_WAIT_SECONDS:-60}"

engine_answers() { [ -x "$docker_cli" ] && "$docker_cli" info >/dev/null 2>&1; }

missing=()
[ -x "$docker_cli" ] && [ -x /usr/sbin/dockerd ] || missing+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)

if [ ${#missing[@]} -eq 0 ] && engine_answers; then exit 0; fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  [ ${#missing[@]} -eq 0 ] || echo "Missing system packages: ${missing[*]}." >&2
  engine_answers || echo "The Docker engine does not answer (${docker_cli} info)." >&2
  echo "Run, as root:" >&2
  [ ${#missing[@]} -eq 0 ] || echo "  sudo sh -c 'apt-get update && apt-get install -y ${missing[*]}'" >&2
  if ! engine_answers; then
    pgrep -x dockerd >/dev/null 2>&1 || echo "  sudo sh -c 'nohup dockerd >>${log_file} 2>&1 &'" >&2
    echo "  sudo usermod -aG docker \"\$USER\"   # the engine's socket is the docker group's; log in again after" >&2
  fi
  exit 1
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} with apt-get ..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

if ! engine_answers; then
  # A dockerd that died uncleanly leaves its pid file behind, and the next one refuses to start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    echo "Starting dockerd in the background; its log: ${log_file}" >&2
    setsid nohup /usr/sbin/dockerd >>"$log_file" 2>&1 </dev/null &
  fi
  for _ in $(seq "$wait_seconds"); do
    engine_answers && break
    sleep 1
  done
  if ! engine_answers; then
    echo "dockerd did not answer within ${wait_seconds} s; see its log: ${log_file}" >&2
    tail -n 20 "$log_file" >&2 || true
    exit 1
  fi
  echo "The Docker engine answers (log: ${log_file})." >&2
fi
