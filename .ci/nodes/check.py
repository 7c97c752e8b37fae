"""Registrations through the balancer while one node is killed and another
is stopped gracefully (see .ci/nodes/run), on tables partitioned by month.
Shows that:

- every registration is acknowledged in the end (retried with its
  Idempotency-Key after a dropped connection), none twice in the database;
- a dispatcher dispatches the registered orders meanwhile: every dispatch
  is acknowledged in the end (a retry after a dropped connection finds
  the order's version moved and the order dispatched), and each dispatched
  order has exactly one dispatch in its history;
- every acknowledged order can be read back through the balancer;
- the live feed on a surviving node heard every order the other surviving
  nodes registered (relayed through NATS), before and after the kill;
- the graceful stop cost no request a retry (the node drained first);
- deadline timers brought forward to fall due throughout the run (across
  the kill and the stop) all fired, within seconds, each deadline raising
  its alert, none twice although three nodes scanned at once.

With --edge (Kamailio in front of the nodes' SIP gateways), SIPp places a
carrier's calls to 12345 throughout, and it also shows that:

- only node 1 runs the call centre at first (the others answer 503 on
  /readyz/callcentre and to SIP);
- node 2 takes it over within the lease's seconds of node 1's death, and
  the balancer sends the call centre's requests to it;
- new calls reach node 2 through Kamailio and are carried there;
- a consultant's phone registered through Kamailio with node 1 is known
  to node 2 once it runs the call centre, without registering again (its
  binding and Path are kept in the database);
- the calls node 1 was carrying are counted lost, by node 2, each with
  its record and its caller a callback task, and every other call that
  arrived has its record: none is unaccounted for.

Usage: check.py --balancer URL --nodes URL,URL,URL --kill PID --stop PID --database URL
                [--edge HOST:PORT --scenario XML --work DIR --lease-seconds N]
"""

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import demo_api  # noqa: E402
from demo_api import check  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--balancer", required=True)
parser.add_argument("--nodes", required=True)
parser.add_argument("--kill", type=int, required=True)
parser.add_argument("--stop", type=int, required=True)
parser.add_argument("--database", required=True)
parser.add_argument("--edge")
parser.add_argument("--scenario")
parser.add_argument("--work")
parser.add_argument("--lease-seconds", type=float, default=6)
args = parser.parse_args()
balancer = f"{args.balancer}/api/v1"
nodes = args.nodes.split(",")
MARK = f"nodes-ci-{uuid.uuid4().hex[:8]}"


def sql(query):
    return subprocess.run(["psql", args.database, "-Atc", query], check=True, capture_output=True, text=True).stdout.strip()

check(sql("SELECT count(*) FROM pg_partitioned_table") == "4", "the nodes share tables partitioned by month")
consultant = demo_api.login(balancer, "consultant")
dispatcher = demo_api.login(balancer, "dispatcher")
categories = requests.get(f"{balancer}/categories", headers=consultant, timeout=10).json()
leaf = next(c["id"] for c in categories if c["level"] == 3)

# The live feed of the second node, read directly (not through the balancer).
# A feed that fell behind sends `{}` instead of the changes it dropped: the
# screen reloads its list then, which shows every order registered before.
heard = {}
reloads = []
feed_open = threading.Event()


def listen():
    with requests.get(f"{nodes[1]}/api/v1/work-orders/stream", headers=dispatcher, stream=True, timeout=(5, 60)) as r:
        r.raise_for_status()
        feed_open.set()
        for line in r.iter_lines(decode_unicode=True):
            if line and line.startswith("data: "):
                event = json.loads(line[len("data: "):])
                if "number" in event:
                    heard.setdefault(event["number"], time.time())
                else:
                    reloads.append(time.time())


threading.Thread(target=listen, daemon=True).start()
check(feed_open.wait(10), "the live feed of node 2 is open")

acknowledged = []  # (key, number, served by, when, attempts)
registered = queue.Queue()  # (number, version) for the dispatcher
dispatched = []  # (number, served by, when, how: "ok" or "applied before")
undispatched = []
unanswered = []
retried_at = []
lock = threading.Lock()
stop = threading.Event()


def retried(send, answer):
    """Sends until `answer` makes something of the response (None: not
    yet), as a client does across a dropped connection; each retry noted.
    Returns the answer and the attempts, or None after 20."""
    for attempt in range(1, 21):
        try:
            r = send()
            got = answer(r)
            if got is not None:
                return got, attempt
            failure = f"HTTP {r.status_code}"
        except requests.RequestException as e:
            failure = type(e).__name__
        with lock:
            retried_at.append((time.time(), failure))
        time.sleep(0.2)
    return None, attempt


def register(key):
    body = {"channel": "phone", "type": "help", "category_id": leaf, "caller": {"phone": "13900001111"},
            "subject": "多节点测试", "description": f"{MARK} {key}"}
    headers = dict(consultant, **{"Idempotency-Key": key})

    def answer(r):
        if r.status_code not in (200, 201):
            return None
        registered.put((r.json()["number"], r.json()["version"]))
        return r.json()["number"], r.headers.get("x-served-by", "?")

    got, attempts = retried(lambda: requests.post(f"{balancer}/work-orders", json=body, headers=headers, timeout=10), answer)
    return (*(got or (None, None)), attempts)


def work():
    while not stop.is_set():
        key = uuid.uuid4().hex
        number, served, attempts = register(key)
        with lock:
            if number:
                acknowledged.append((key, number, served, time.time(), attempts))
            else:
                unanswered.append(key)


units = requests.get(f"{balancer}/units", headers=dispatcher, timeout=10).json()
town = next(u for u in units if u["code"] == "441900003")


def dispatch(number, version):
    """Dispatches to the town, retried like a dispatcher's screen: a 409
    after a dropped connection means the first try went through, which
    the order then shows."""
    def answer(r):
        if r.status_code == 200:
            return "ok", r.headers.get("x-served-by", "?")
        if r.status_code == 409:
            order = requests.get(f"{balancer}/work-orders/{number}", headers=dispatcher, timeout=10).json()
            lead = order.get("lead_unit") or {}
            return ("applied before" if lead.get("id") == town["id"] else f"conflict {order.get('state')}"), "?"
        return None

    body = {"action": "dispatch", "version": version, "lead_unit_id": town["id"]}
    got, _ = retried(lambda: requests.post(f"{balancer}/work-orders/{number}/actions", headers=dispatcher, timeout=10, json=body),
                     answer)
    return got or (None, None)


def dispatch_work():
    while not stop.is_set() or not registered.empty():
        try:
            number, version = registered.get(timeout=0.2)
        except queue.Empty:
            continue
        if stop.is_set():
            break
        how, served = dispatch(number, version)
        with lock:
            (dispatched if how in ("ok", "applied before") else undispatched).append((number, served, time.time(), how))


def callcentre(node):
    try:
        return requests.get(f"{node}/readyz/callcentre", timeout=1).status_code
    except requests.RequestException:
        return None


# When each node first answered 200 on /readyz/callcentre after the kill.
owner_since = {}
sipp = None
if args.edge:
    check([callcentre(n) for n in nodes] == [200, 503, 503], "node 1 runs the call centre, nodes 2 and 3 stand by")
    sipp = subprocess.Popen(
        ["sipp", args.edge, "-sf", args.scenario, "-s", "12345", "-i", "127.0.0.1", "-nostdin", "-r", "2", "-m", "34",
         "-d", "2000", "-recv_timeout", "8000", "-timeout", "90s", "-trace_stat", "-stf", "sipp-stats.csv", "-fd", "1",
         "-trace_err"],
        cwd=args.work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(os.path.join(args.work, "sipp.log"), "w"))

    def watch_owner():
        while not stop.is_set():
            for i, node in enumerate(nodes[1:], start=2):
                if i not in owner_since and callcentre(node) == 200:
                    owner_since[i] = time.time()
            time.sleep(0.1)

    threading.Thread(target=watch_owner, daemon=True).start()

    # A consultant's phone registers through Kamailio (which adds itself to
    # the Path) with node 1; its binding is kept in the database.
    scenarios = os.path.dirname(args.scenario)
    phone = subprocess.run(
        ["sipp", args.edge, "-sf", os.path.join(scenarios, "register.xml"), "-s", "consultant", "-au", "consultant", "-ap", "demo",
         "-key", "phone_port", "15960", "-p", "15960", "-i", "127.0.0.1", "-m", "1", "-nostdin", "-timeout", "10s", "-timeout_error"],
        cwd=args.work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    check(phone.returncode == 0, f"a consultant's phone registered through Kamailio{'' if phone.returncode == 0 else ': ' + phone.stderr[-300:]}")
    path = sql("SELECT b.path FROM phone_bindings b JOIN users u ON u.id = b.user_id WHERE u.username = 'consultant'")
    check(args.edge in path, f"its binding is kept with Kamailio on its Path ({path})")

# Deadline timers of the demo's orders, brought forward to fall due from
# now until after the stop (as if those hours had passed): every level of
# a deadline at one instant (one row per deadline, `deadline_watch`), so
# each deadline raises one alert. The nodes scan every second (cluster.sh).
MOVED_AT = int(sql("SELECT (extract(epoch FROM now()) * 1000000)::bigint"))
forward = [r.split("|") for r in sql(
    "SELECT order_id, watched, subject, due_at FROM deadline_watch WHERE next_at IS NOT NULL "
    "ORDER BY 1, 2, 3, 4 LIMIT 45").splitlines()]
check(len(forward) >= 20, f"the demo's orders have deadlines to bring forward ({len(forward)})")
BROUGHT = [MOVED_AT + 500_000 + i * 300_000 for i in range(len(forward))]
LEVELS = ("yellow_at", "red_at", "reminder_at", "escalation_at")
sql("; ".join(
    f"UPDATE deadline_watch SET {', '.join(f'{c} = CASE WHEN {c} IS NOT NULL THEN {at} END' for c in LEVELS)}, next_at = {at} "
    f"WHERE order_id = {o} AND watched = '{w}' AND subject = {s} AND due_at = {d}" for at, (o, w, s, d) in zip(BROUGHT, forward)))
FORWARD = " OR ".join(f"(t.order_id = {o} AND t.watched = '{w}' AND t.subject = {s} AND t.due_at = {d})" for o, w, s, d in forward)

workers = [threading.Thread(target=work) for _ in range(3)] + [threading.Thread(target=dispatch_work)]
started = time.time()
for w in workers:
    w.start()
time.sleep(3)
killed_at = time.time()
os.kill(args.kill, signal.SIGKILL)
print(f"node 1 killed after {killed_at - started:.1f} s")
time.sleep(4)
stopped_at = time.time()
os.kill(args.stop, signal.SIGTERM)
print(f"node 3 told to stop after {stopped_at - started:.1f} s")
time.sleep(8)
stop.set()
for w in workers:
    w.join()
time.sleep(1.5)

served = {}
for _, _, by, _, _ in acknowledged:
    served[by] = served.get(by, 0) + 1
print(f"{len(acknowledged)} registrations acknowledged, by node: {served}; {len(retried_at)} attempts retried")
check(len(acknowledged) >= 60, "the load ran through the whole test")
check(not unanswered, f"every registration was acknowledged in the end ({len(unanswered)} were not)")
after_kill = [a for a in acknowledged if a[3] > killed_at + 1.5]
check(after_kill and all(a[2] != "node1" for a in after_kill), "after the kill only nodes 2 and 3 answered")
check(served.get("node2", 0) > 0 and served.get("node3", 0) > 0, "nodes 2 and 3 both served")

rows = sql(f"SELECT count(*), count(DISTINCT description) FROM work_orders WHERE description LIKE '{MARK} %'").split("|")
check(int(rows[0]) == int(rows[1]) == len(acknowledged),
      f"the database holds each acknowledged registration once ({rows[0]} rows, {rows[1]} distinct, {len(acknowledged)} acknowledged)")
missing = [n for _, n, _, _, _ in acknowledged
           if requests.get(f"{balancer}/work-orders/{n}", headers=dispatcher, timeout=10).status_code != 200]
check(not missing, f"every acknowledged order reads back through the balancer ({len(missing)} do not)")

before = sum(1 for d in dispatched if d[3] == "applied before")
print(f"{len(dispatched)} dispatches acknowledged ({before} found applied on a retry)")
check(len(dispatched) >= 30 and any(d[2] > killed_at + 1.5 for d in dispatched), "orders were dispatched throughout, after the kill too")
check(not undispatched, f"every dispatch was acknowledged in the end ({undispatched[:3]})")
numbers = ", ".join(f"'{d[0]}'" for d in dispatched)
once = sql(f"SELECT count(*), count(*) FILTER (WHERE n = 1) FROM (SELECT o.id, count(h.seq) AS n FROM work_orders o "
           f"LEFT JOIN order_history h ON h.order_id = o.id AND h.action = 'dispatch' WHERE o.number IN ({numbers}) GROUP BY o.id) d")
check(once == f"{len(dispatched)}|{len(dispatched)}", f"each acknowledged dispatch is in its order's history exactly once ({once})")

def shown(order):
    """Heard on the feed, or registered before a reload the feed asked for."""
    return order[1] in heard or any(r > order[3] for r in reloads)


def missed():
    return [a[1] for a in acknowledged if a[2] in ("node2", "node3") and not shown(a)]


# The last events may still be on their way (NATS, the feed's buffers).
settle = time.time() + 10
while missed() and time.time() < settle:
    time.sleep(0.2)
relayed = [a for a in acknowledged if a[2] == "node3"]
unheard = missed()
check(not unheard and len(relayed) > 0 and any(a[1] in heard for a in relayed),
      f"node 2's live feed showed every order of nodes 2 and 3, {len(relayed)} of them from node 3 through NATS "
      f"({len(unheard)} missed; {len(reloads)} reloads asked for when the feed fell behind)")
check(len(reloads) <= 5, f"the feed kept up but for a few reloads ({len(reloads)})")
shown_after_kill = [a for a in after_kill if shown(a)]
check(len(shown_after_kill) == len(after_kill), f"the live feed went on after node 1 died ({len(shown_after_kill)} orders shown)")

during_drain = [t for t, _ in retried_at if t > stopped_at]
check(not during_drain, f"the graceful stop of node 3 cost no request a retry ({len(during_drain)}: {[f for _, f in retried_at if _ > stopped_at][:3]})")
try:
    requests.get(f"{nodes[2]}/livez", timeout=2)
    down = False
except requests.RequestException:
    down = True
check(down, "node 3 exited after draining")

twice = sql("SELECT count(*) FROM (SELECT 1 FROM alerts GROUP BY order_id, watched, subject, level, due_at HAVING count(*) > 1) d")
alerts = sql("SELECT count(*) FROM alerts")
check(int(alerts) > 0 and twice == "0", f"no deadline fired twice though three nodes scanned at once ({alerts} alerts raised)")
pending = sql(f"SELECT count(*) FROM deadline_watch t WHERE t.next_at IS NOT NULL AND ({FORWARD})")
check(pending == "0", f"every deadline brought forward fired, none missed ({pending} still pending)")
silent = sql(f"SELECT count(*) FROM deadline_watch t WHERE ({FORWARD}) "
             "AND NOT EXISTS (SELECT 1 FROM alerts a WHERE (a.order_id, a.watched, a.subject, a.due_at) = "
             f"(t.order_id, t.watched, t.subject, t.due_at) AND a.raised_at > {MOVED_AT})")
check(silent == "0", f"each of the {len(forward)} deadlines raised its alert after it was brought forward ({silent} did not)")
BROUGHT_TO = ", ".join(f"({o}, '{w}', {s}, {d}, {at})" for at, (o, w, s, d) in zip(BROUGHT, forward))
late = sql(f"SELECT max(a.raised_at - v.at) / 1000 FROM alerts a JOIN (VALUES {BROUGHT_TO}) v (order_id, watched, subject, due_at, at) "
           f"USING (order_id, watched, subject, due_at) WHERE a.raised_at > {MOVED_AT}")
by_node = sql(f"SELECT string_agg(n || ': ' || c, ', ') FROM (SELECT (a.id >> 12) & 1023 AS n, count(*) AS c FROM alerts a "
              f"JOIN deadline_watch t USING (order_id, watched, subject, due_at) WHERE ({FORWARD}) AND a.raised_at > {MOVED_AT} "
              "GROUP BY 1 ORDER BY 1) d")
print(f"{len(forward)} deadlines brought forward fired at most {late} ms late; their alerts raised by node {by_node}")
check(int(late) <= 4000, f"they fired within the scan's second and a few more, through the kill and the stop ({late} ms)")

# `hotline partitions --ahead 2` made two months ahead; the nodes keep
# three (the default), made by the one holding the lease, under load.
ahead = sql("SELECT to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', 'YYYYMM')")
made = sql(f"SELECT count(*) FROM pg_class WHERE relname IN ('work_orders_{ahead}', 'order_history_{ahead}', 'audit_log_{ahead}', 'calls_{ahead}')")
check(made == "4", f"the nodes made the third month ahead of every partitioned table ({made} of 4)")
if args.work:
    troubles = [line for n in (1, 2, 3) for line in open(os.path.join(args.work, f"node{n}.log"), errors="replace")
                if "partitions could not be made" in line]
    check(not troubles, f"without an error ({troubles[:1]})")

if args.edge:
    try:
        sipp.wait(timeout=90)
    except subprocess.TimeoutExpired:
        sipp.kill()
        check(False, "SIPp finished its calls")
    with open(os.path.join(args.work, "sipp-stats.csv")) as f:
        rows = [line.rstrip("\n").split(";") for line in f if line.strip()]
    last = dict(zip(rows[0], rows[-1]))
    succeeded, failed = int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"])
    print(f"SIPp through Kamailio: {succeeded} calls succeeded, {failed} failed")
    check(2 in owner_since and 3 not in owner_since, f"node 2 took the call centre over, node 3 never ran it ({sorted(owner_since)})")
    failover = owner_since[2] - killed_at
    print(f"call centre failed over {failover:.1f} s after node 1 was killed (lease {args.lease_seconds:g} s)")
    # The owner's last renewal may fall just before its death; a standby
    # tries the moment that lease lapses, then reads today's calls back.
    check(failover <= args.lease_seconds + 1.5, f"the failover took at most the lease and a second and a half ({failover:.1f} s)")
    through = requests.get(f"{args.balancer}/readyz/callcentre", timeout=5)
    check(through.status_code == 200 and through.headers.get("x-served-by") == "node2",
          f"the balancer sends the call centre's requests to node 2 ({through.status_code} from {through.headers.get('x-served-by')})")

    supervisor = demo_api.login(balancer, "supervisor")
    board = requests.get(f"{balancer}/callcentre/wallboard", headers=supervisor, timeout=10)
    phones = board.json()["lines"]["phones_registered"] if board.status_code == 200 else board.status_code
    check(phones == 1 and board.headers.get("x-served-by") == "node2",
          f"node 2 took the phone's binding over with the call centre, with no new registration ({phones} phones)")

    node_of = "((id >> 12) & 1023)"
    after = int(owner_since[2] * 1_000_000)
    carried = dict(tuple(map(int, r.split("|"))) for r in sql(
        f"SELECT {node_of}, count(*) FROM calls WHERE caller = '13800138000' AND outcome <> 'lost' GROUP BY 1").splitlines())
    late = int(sql(f"SELECT count(*) FROM calls WHERE caller = '13800138000' AND {node_of} = 2 AND arrived_at > {after}"))
    print(f"calls recorded by node: {carried}; {late} arrived at node 2 after it took over")
    check(carried.get(1, 0) > 0 and late >= 3 and carried.get(3, 0) == 0,
          "node 1 carried the calls before its death, node 2 the new ones after, node 3 none")
    check(succeeded >= carried.get(1, 0) + late - 1, "the calls carried to their end succeeded for the caller (SIPp)")

    # Each call's note goes when its record is written: wait for the writers.
    settle = time.time() + 10
    while sql("SELECT count(*) FROM calls_in_progress WHERE lost_at IS NULL") != "0" and time.time() < settle:
        time.sleep(0.2)
    lost = sql("SELECT count(*), count(DISTINCT node), min(node), min(lost_by), max(lost_by) FROM calls_in_progress "
               "WHERE lost_at IS NOT NULL").split("|")
    unaccounted = sql("SELECT count(*) FROM calls_in_progress WHERE lost_at IS NULL")
    print(f"{lost[0]} calls lost with node 1, counted by node {lost[3]}")
    check(int(lost[0]) >= 1 and lost[1:] == ["1", "1", "2", "2"],
          f"the calls node 1 carried when it died were counted lost, once, by node 2 ({lost})")
    check(int(lost[0]) <= failed, f"every call counted lost failed for its caller ({lost[0]} lost, {failed} failed)")
    check(unaccounted == "0", f"every other call that arrived has its record ({unaccounted} unaccounted for)")
    owed = sql("SELECT count(*), count(b.call_id) FROM calls_in_progress p JOIN calls c ON c.id = p.call_id AND c.outcome = 'lost' "
               "LEFT JOIN callbacks b ON b.call_id = p.call_id AND b.outcome = 'lost' AND b.done_at IS NULL WHERE p.lost_at IS NOT NULL")
    check(owed == f"{lost[0]}|{lost[0]}", f"each lost call has its record (outcome lost) and its caller a callback task ({owed})")
