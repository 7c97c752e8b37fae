"""A unit's own case system, as a separate process: it receives the orders
hotline pushes to it (checking each signature and dropping a repeated
delivery id), signs for each newly dispatched order and answers it through
hotline's update endpoint with its API key, and logs every event it accepted
as one JSON line.

Usage: case_system.py PORT SECRET API_KEY HOTLINE_BASE_URL LOG_FILE
"""

import hashlib
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

port, secret, key, base, log_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4].rstrip("/"), sys.argv[5]
seen = set()
lock = threading.Lock()


def act(number, body):
    r = requests.post(
        f"{base}/api/v1/external/work-orders/{number}/actions",
        headers={"X-Api-Key": key},
        json=body,
        timeout=10,
    )
    r.raise_for_status()
    return r.json()


def handle(event):
    order = event["order"]
    if event["event"] != "dispatch":
        return
    signed = act(order["number"], {"action": "sign_for", "version": order["version"]})
    act(
        order["number"],
        {
            "action": "submit_result",
            "version": signed["version"],
            "result": "案件系统已派员处理：占道摊档已清理",
            "solved": True,
            "public_reply": "已处理",
        },
    )


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, self.headers.get("X-Hotline-Signature", "")):
            self.send_response(401)
            self.end_headers()
            return
        delivery = self.headers["X-Hotline-Delivery"]
        event = json.loads(body)
        with lock:
            fresh = delivery not in seen
            seen.add(delivery)
            with open(log_file, "a") as log:
                log.write(json.dumps({"delivery": delivery, "event": event["event"], "number": event["order"]["number"], "repeat": not fresh}) + "\n")
        self.send_response(204)
        self.end_headers()
        if fresh:
            # Acting back after answering, as a queue-backed system would.
            threading.Thread(target=handle, args=(event,), daemon=True).start()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Hook).serve_forever()
