#!/usr/bin/env bash
# Starts PostgreSQL and Redis on this machine when they are installed but not running, so the
# tests that need them run. Under CI=true a service that cannot be reached is an error.
set -u

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_up() {
  for _ in $(seq 1 30); do up "$1" && return 0; sleep 0.5; done
  return 1
}

missing=()
if ! up 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  wait_up 5432 || missing+=("PostgreSQL (127.0.0.1:5432)")
fi
if ! up 6379; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "starting Redis" >&2
    mkdir -p /tmp/pixie-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp/pixie-redis --logfile /tmp/pixie-redis/redis.log || true
  fi
  wait_up 6379 || missing+=("Redis (127.0.0.1:6379)")
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "CI needs these services and could not start them: ${missing[*]}" >&2
    exit 1
  fi
  echo "not running, their tests will be skipped: ${missing[*]}" >&2
fi
exit 0
