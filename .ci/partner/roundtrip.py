"""A partner round trip with a second process (.ci/partner/case_system.py):
a unit connected to its case system, an order dispatched to it while the
system is down, retried until the system comes up, delivered once, signed
for and answered by the system through the update endpoint, reviewed by
the centre, and the review pushed back.

Usage: roundtrip.py BASE_URL PYTHON  (a demo server: users with password "demo")
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import demo_api  # noqa: E402
from demo_api import check  # noqa: E402

base, python = sys.argv[1].rstrip("/"), sys.argv[2]
api = f"{base}/api/v1"
PORT = 18099


def login(user):
    return demo_api.login(api, user)


def wait_for(what, probe, seconds=40):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    sys.exit(f"FAILED: {what} within {seconds} s")


admin = login("admin")
units = requests.get(f"{api}/units", headers=admin).json()
unit = next(u for u in units if u["code"] == "urban")
r = requests.put(
    f"{api}/external-systems/{unit['id']}",
    headers=admin,
    json={"name": "城管案件系统", "webhook_url": f"http://127.0.0.1:{PORT}/hook"},
)
r.raise_for_status()
secret = r.json()["secret"]
r = requests.post(
    f"{api}/api-keys",
    headers=admin,
    json={"name": "城管案件系统", "source": "urban-case-system", "scopes": ["update"], "unit_id": unit["id"]},
)
r.raise_for_status()
key = r.json()["secret"]

consultant, dispatcher, reviewer = login("consultant"), login("dispatcher"), login("reviewer")
form = requests.get(f"{api}/categories", headers=consultant).json()
category = next(c for c in form if c["level"] == 3 and c["active"])
r = requests.post(
    f"{api}/work-orders",
    timeout=10,
    headers=consultant,
    json={
        "channel": "phone",
        "type": "complaint",
        "category_id": category["id"],
        "urgency": "normal",
        "caller": {"name": "陈女士", "phone": "13812345678"},
        "subject": "东城路口占道经营",
        "description": "每天傍晚有摊档占用人行道，行人只能走机动车道。",
    },
)
check(r.status_code == 201, f"registered: {r.status_code} {r.text[:200]}")
order = r.json()
r = requests.post(
    f"{api}/work-orders/{order['number']}/actions",
    headers=dispatcher,
    json={"action": "dispatch", "version": order["version"], "lead_unit_id": unit["id"]},
)
r.raise_for_status()
number = order["number"]

# The case system is down: the push is tried and waits.
pushes = f"{api}/external-systems/{unit['id']}/pushes?state=pending"
tried = wait_for("a failed attempt", lambda: [p for p in requests.get(pushes, headers=admin).json() if p["attempts"] >= 2])
check(tried[0]["number"] == number and "127.0.0.1" in (tried[0]["last_error"] or ""), f"system down: tried {tried[0]['attempts']} times")

log = os.path.join(tempfile.mkdtemp(), "events.jsonl")
partner = subprocess.Popen([python, os.path.join(os.path.dirname(__file__), "case_system.py"), str(PORT), secret, key, base, log])
try:
    def state():
        return requests.get(f"{api}/work-orders/{number}", headers=reviewer).json()

    answered = wait_for("the system's answer", lambda: (lambda o: o if o["state"] == "pending_review" else None)(state()))
    check(answered["result"]["result"].startswith("案件系统"), "the system signed for and answered the order")
    history = requests.get(f"{api}/work-orders/{number}/history", headers=reviewer).json()
    check([h["actor"] for h in history if h["action"] == "sign_for"] == ["城管案件系统（对接系统）"], "as the unit's service account")

    r = requests.post(
        f"{api}/work-orders/{number}/actions", headers=reviewer, json={"action": "review", "version": answered["version"], "pass": True}
    )
    r.raise_for_status()

    def events():
        if not os.path.exists(log):
            return []
        with open(log) as f:
            return [json.loads(line) for line in f]

    got = wait_for("the review pushed", lambda: (lambda e: e if [x["event"] for x in e] == ["dispatch", "review"] else None)(events()))
    check(all(e["number"] == number and not e["repeat"] for e in got), "each change delivered once, in order: dispatch, review")
    counts = requests.get(f"{api}/external-systems", headers=admin).json()[0]["pushes"]
    check(counts == {"pending": 0, "delivered": 2, "dead": 0}, f"nothing left waiting: {counts}")
finally:
    partner.terminate()
    partner.wait()
