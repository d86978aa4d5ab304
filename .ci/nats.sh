#!/usr/bin/env bash
# NATS for the JetStream backend (klevdb/jetstream).
#
#   .ci/nats.sh            install nats-server with apt-get when it is missing
#   .ci/nats.sh start      ... and start one JetStream server on 127.0.0.1:${NATS_PORT:-4222}
#                          (store in a temp dir; pid in ${NATS_PID_FILE:-/tmp/klevdb-nats.pid})
#   .ci/nats.sh stop       stop the server "start" started (by its pid file)
#
# The tests need only the install: every test starts and stops its own
# servers on free loopback ports. "start" is for `npm run bench:jetstream`
# and for trying the backend by hand.
set -euo pipefail

PORT="${NATS_PORT:-4222}"
PID_FILE="${NATS_PID_FILE:-/tmp/klevdb-nats.pid}"

install() {
  if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]; then
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y nats-server
}

binary() {
  command -v nats-server 2>/dev/null || echo /usr/sbin/nats-server
}

case "${1:-install}" in
  install)
    install
    "$(binary)" --version
    ;;
  start)
    install
    if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      echo "nats-server already running (pid $(cat "$PID_FILE"))"
      exit 0
    fi
    store="$(mktemp -d /tmp/klevdb-nats-XXXXXX)"
    "$(binary)" -js -a 127.0.0.1 -p "$PORT" -sd "$store" >"$store/server.log" 2>&1 &
    echo $! >"$PID_FILE"
    echo "$store" >"$PID_FILE.dir"
    for _ in $(seq 1 100); do
      grep -q "Server is ready" "$store/server.log" 2>/dev/null && { echo "nats-server on 127.0.0.1:$PORT (pid $(cat "$PID_FILE"), store $store)"; exit 0; }
      kill -0 "$(cat "$PID_FILE")" 2>/dev/null || { cat "$store/server.log"; exit 1; }
      sleep 0.1
    done
    echo "nats-server did not become ready"; cat "$store/server.log"; exit 1
    ;;
  stop)
    if [ -f "$PID_FILE" ]; then
      pid="$(cat "$PID_FILE")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      [ -f "$PID_FILE.dir" ] && rm -rf "$(cat "$PID_FILE.dir")"
      rm -f "$PID_FILE" "$PID_FILE.dir"
    fi
    ;;
  *)
    echo "usage: $0 [install|start|stop]" >&2
    exit 2
    ;;
esac
