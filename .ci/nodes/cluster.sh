# Sourced by .ci/nodes/run and .ci/nodes/throughput: N hotline nodes on one
# PostgreSQL database behind HAProxy (routing by /readyz; desks and the
# call-centre screens to the node running the call centre, by
# /readyz/callcentre), relaying live events through NATS. `cluster_up N`
# starts them (NODE1…NODEn hold the pids, the balancer listens on
# $BALANCER), on tables partitioned by month unless CLUSTER_TABLES=plain,
# seeded with CLUSTER_ORDERS demo orders (200) copied CLUSTER_COPIES times;
# `cluster_up N sip` gives every node a SIP gateway on
# 127.0.0.1:1820n behind Kamailio on $EDGE. Everything goes at exit.
BIN="${HOTLINE_BIN:-${CARGO_TARGET_DIR:-target}/debug/hotline}"
PG="${HOTLINE_CI_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}"
NATS="${HOTLINE_CI_NATS:-nats://127.0.0.1:4222}"
DB=hotline_ci_nodes
URL="${PG%/*}/$DB"
BALANCER=http://127.0.0.1:18100
EDGE=127.0.0.1:18200
WORK="$(mktemp -d)"
PIDS=()

cluster_down() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
  psql "$PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null || true
}
trap 'cluster_down; rm -rf "$WORK"' EXIT

start_node() {
  local n=$1
  : >"$WORK/node$n.toml"
  if [[ "${CLUSTER_SIP:-}" == sip ]]; then
    # Calls come from Kamailio on this machine; each node its own RTP ports.
    cat >"$WORK/node$n.toml" <<TOML
[sip]
listen = "127.0.0.1:1820$n"
rtp_ports = [3${n}000, 3${n}999]
[[sip.trunks]]
name = "edge"
addresses = ["127.0.0.1"]
TOML
  fi
  HOTLINE_CONFIG="$WORK/node$n.toml" HOTLINE_NODE_ID=$n HOTLINE_AUDIT__KEY_FILE="$WORK/audit.key" HOTLINE_AUDIT__CHECKPOINT_FILE="$WORK/checkpoints-$n.log" \
    HOTLINE_CLUSTER__NATS_URL="$NATS" HOTLINE_CLUSTER__SUBJECT="hotline-ci-nodes.$$" HOTLINE_HTTP__DRAIN_SECONDS=3 \
    HOTLINE_HTTP__TRUSTED_PROXIES='["127.0.0.1"]' HOTLINE_SUPERVISION__SCAN_EVERY_SECS=1 HOTLINE_LOG=warn \
    "$BIN" --data-dir "$WORK/node$n" --database-url "$URL" serve --listen "127.0.0.1:1810$n" >"$WORK/node$n.log" 2>&1 &
  PIDS+=($!)
  eval "NODE$n=$!"
}

cluster_up() {
  local count=$1
  CLUSTER_SIP="${2:-}"
  psql "$PG" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" 2>/dev/null
  rm -rf "$WORK"/*
  # Reference data, the demo's users (password "demo") and a few orders;
  # every node then has its own data directory and node_id, the same
  # audit key and the same NATS subject.
  "$BIN" --data-dir "$WORK/seed" --database-url "$URL" demo --seed-only --orders "${CLUSTER_ORDERS:-200}" >"$WORK/seed.log" 2>&1
  cp "$WORK/seed/audit.key" "$WORK/audit.key"
  # CLUSTER_COPIES=N: the orders and their history N times more, under
  # earlier ids (crates/bench/sql/copy-orders.sql), for reads over more rows.
  if [[ -n "${CLUSTER_COPIES:-}" ]]; then
    psql "$URL" -q -v copies="$CLUSTER_COPIES" -f crates/bench/sql/copy-orders.sql >/dev/null
  fi
  # As a province's platform would run: orders, history, audit and calls
  # partitioned by month (CLUSTER_TABLES=plain leaves them as they are).
  if [[ "${CLUSTER_TABLES:-partitioned}" != plain ]]; then
    "$BIN" --data-dir "$WORK/seed" --database-url "$URL" partitions --ahead 2 >"$WORK/partitions.log" 2>&1
  fi
  # Node 1 runs the call centre: its lease is given to it before the nodes
  # start together (so that their first deadline scans still meet).
  psql "$URL" -qc "INSERT INTO leases (name, holder, until) VALUES ('callcentre', 1, \
    (extract(epoch FROM now()) * 1000000)::bigint + 60000000)"
  local servers="" gateways=""
  for n in $(seq 1 "$count"); do
    start_node "$n"
    servers+="  server node$n 127.0.0.1:1810$n check"$'\n'
    gateways+="1 sip:127.0.0.1:1820$n"$'\n'
  done
  for n in $(seq 1 "$count"); do
    for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:1810$n/readyz" >/dev/null 2>&1 && break; sleep 1; done
    curl -fsS "http://127.0.0.1:1810$n/readyz" >/dev/null || { tail -20 "$WORK/node$n.log"; return 1; }
  done
  cat >"$WORK/haproxy.cfg" <<CFG
global
  maxconn 512
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch
  retry-on conn-failure empty-response
frontend centre
  bind 127.0.0.1:18100
  # Desks and the call centre's screens live on the node that runs it.
  acl callcentre path_beg /api/v1/desk /api/v1/callcentre /readyz/callcentre
  use_backend callcentre if callcentre
  default_backend nodes
backend callcentre
  option httpchk GET /readyz/callcentre
  http-response set-header X-Served-By %[srv_name]
  default-server inter 300ms fall 2 rise 2
$servers
backend nodes
  balance roundrobin
  option httpchk GET /readyz
  http-response set-header X-Served-By %[srv_name]
  default-server inter 300ms fall 2 rise 2
$servers
CFG
  haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 30); do curl -fsS "$BALANCER/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
  if [[ "$CLUSTER_SIP" == sip ]]; then
    printf '%s' "$gateways" >"$WORK/dispatcher.list"
    sed -e "s|LISTEN|$EDGE|" -e "s|LIST\"|$WORK/dispatcher.list\"|" .ci/nodes/kamailio.cfg >"$WORK/kamailio.cfg"
    /usr/sbin/kamailio -f "$WORK/kamailio.cfg" -DD -E -Y "$WORK" -w "$WORK" >"$WORK/kamailio.log" 2>&1 &
    PIDS+=($!)
    # Two probes' time for the standbys to be left out.
    sleep 3
  fi
}

cluster_logs() {
  for log in "$WORK"/node*.log "$WORK/haproxy.log" "$WORK"/kamailio.log "$WORK"/sipp*.log; do
    [[ -f "$log" ]] || continue
    echo "== $log"
    tail -15 "$log"
  done
}
