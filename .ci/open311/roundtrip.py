"""An existing Open311 client against a running hotline: the PyPI package
`georeport` discovers the services and a definition and follows a request
that a partner submitted (form-encoded, with its API key, as Open311
clients do) through dispatch, handling, review and follow-up to closure,
in JSON and in XML. The centre's side is driven through its own API.

Usage: roundtrip.py BASE_URL  (a demo server: users with password "demo")
"""

import os
import sys

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import demo_api  # noqa: E402
from demo_api import check  # noqa: E402
from georeport import GeoReport

base = sys.argv[1].rstrip("/")
api = f"{base}/api/v1"


def login(user):
    return demo_api.login(api, user)


admin = login("admin")
issued = requests.post(
    f"{api}/api-keys",
    headers=admin,
    json={"name": "georeport round trip", "source": "georeport-ci", "scopes": ["submit", "read"]},
)
issued.raise_for_status()
key = issued.json()["secret"]

client = GeoReport(f"{base}/open311/v2", jurisdiction="dongguan.gov.cn", api_key=key)
xml_client = GeoReport(f"{base}/open311/v2", jurisdiction="dongguan.gov.cn", output_format="xml")

services = client.get_service_list()
check(len(services) > 100, f"{len(services)} services discovered")
lights = next(s for s in services if s["service_name"] == "城市公共设施")
check(lights["group"] == "城乡建设", "a service names its group")
check(len(xml_client.get_service_list()) == len(services), "the XML list has as many services")
definition = client.get_service_definition(lights["service_code"])
datatypes = {a["datatype"] for a in definition["attributes"]}
check(datatypes == {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}, "the definition uses every datatype")

posted = requests.post(
    f"{base}/open311/v2/requests.json",
    data={
        "api_key": key,
        "jurisdiction_id": "dongguan.gov.cn",
        "service_code": lights["service_code"],
        "lat": "23.0207",
        "long": "113.7518",
        "address_string": "东纵路88号",
        "first_name": "先生",
        "last_name": "李",
        "phone": "13923456789",
        "description": "东纵路路灯坏了一周，晚上很黑。",
        "attribute[type]": "complaint",
        "attribute[town]": "441900003",
    },
)
check(posted.status_code == 201, f"submitted: {posted.status_code} {posted.text[:200]}")
number = posted.json()[0]["service_request_id"]

followed = client.get_service_request(number)
check(followed["status"] == "open" and followed["status_notes"] == "待派单", f"followed while open: {followed['status_notes']}")
check("13923456789" not in str(followed) and "李先生" not in str(followed), "no personal data in what is read")
listed = client.get_service_requests(service_request_id=number)
check([r["service_request_id"] for r in listed] == [number], "found by service_request_id")

# The centre handles it.
dispatcher, town, reviewer = login("dispatcher"), login("dongcheng"), login("reviewer")
order = requests.get(f"{api}/work-orders/{number}", headers=dispatcher).json()
check(order["channel"] == "api", "registered in the API channel")


def act(headers, body):
    global order
    body["version"] = order["version"]
    r = requests.post(f"{api}/work-orders/{number}/actions", headers=headers, json=body)
    r.raise_for_status()
    order = r.json()


units = requests.get(f"{api}/units", headers=dispatcher).json()
dongcheng = next(u for u in units if u["code"] == "441900003")
act(dispatcher, {"action": "dispatch", "lead_unit_id": dongcheng["id"]})
check(client.get_service_request(number)["agency_responsible"] == "东城街道", "the office responsible is named")
act(town, {"action": "sign_for"})
act(town, {"action": "submit_result", "result": "已更换灯具", "solved": True, "public_reply": "路灯已修复"})
act(reviewer, {"action": "review", "pass": True, "publish": True})
act(reviewer, {"action": "follow_up", "contacted": True, "satisfaction": "satisfied", "solved": True, "outcome": "archive"})

closed = client.get_service_request(number)
check(closed["status"] == "closed" and closed["status_notes"] == "已归档：路灯已修复", f"followed to closure: {closed['status_notes']}")
xml_closed = xml_client.get_service_request(number)
check(xml_closed["status"] == "closed" and xml_closed["service_request_id"] == number, "the same in XML, without a key")
print("the Open311 round trip passed")
