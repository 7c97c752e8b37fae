"""What the CI scripts that drive a demo server share: logging in as one of
its users (password "demo") and checking a step, printing it as it passes."""

import sys

import requests


def login(api, user):
    """The Authorization header of `user` at `api` (…/api/v1)."""
    r = requests.post(f"{api}/auth/login", json={"username": user, "password": "demo"}, timeout=10)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def check(condition, what):
    if not condition:
        sys.exit(f"FAILED: {what}")
    print(f"ok: {what}")
