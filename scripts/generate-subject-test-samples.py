#!/usr/bin/env python3
"""Writes the samples of docs/examples/subject_test (deterministic).

300 customers sign up evenly over 10 days from 2026-03-02. Readers of the `question` email order
(the journey's goal) 40 % of the time, readers of `statement` 10 %, the control group 15 %, a day
and three hours after signing up. The variant of each customer is the split's own assignment,
read from a dry-run of the journey without its winner rule (so the rule has something to find).

    python3 scripts/generate-subject-test-samples.py [HERALD]   # default: .build/debug/herald
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
example = os.path.join(root, "docs/examples/subject_test")
herald = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build/debug/herald")
start = datetime.datetime(2026, 3, 2, tzinfo=datetime.timezone.utc)
stamp = "%Y-%m-%dT%H:%M:%SZ"
names = ["Ada", "Bo", "Chen", "Dana", "Eli"]

customers = [{"id": f"s{n:03d}", "email": f"s{n:03d}@example.com", "first_name": names[n % 5]} for n in range(300)]
signups = [
    {"id": f"su{n:03d}", "customer_id": f"s{n:03d}", "name": "signed_up",
     "timestamp": (start + datetime.timedelta(seconds=n * 10 * 86400 / 300)).strftime(stamp)}
    for n in range(300)
]

with tempfile.TemporaryDirectory() as scratch:
    plain = os.path.join(scratch, "journeys")
    os.makedirs(plain)
    subprocess.run(["cp", "-r", os.path.join(example, "messages"), plain], check=True)
    with open(os.path.join(example, "subject_test.journey")) as f:
        text = "".join(line for line in f if not line.strip().startswith("winner "))
    with open(os.path.join(plain, "subject_test.journey"), "w") as f:
        f.write(text)
    for name, rows in [("customers.ndjson", customers), ("signups.ndjson", signups)]:
        with open(os.path.join(scratch, name), "w") as f:
            f.writelines(json.dumps(row) + "\n" for row in rows)
    report = os.path.join(scratch, "report.json")
    subprocess.run([herald, "dry-run", "--journeys", plain, "--customers", os.path.join(scratch, "customers.ndjson"),
                    "--events", os.path.join(scratch, "signups.ndjson"), "--format", "json", "--output", report], check=True)
    with open(report) as f:
        result = json.load(f)

own = {c["id"]: r["variant"] for c in result["customers"] for r in c["timeline"] if r["kind"] == "variant"}
rates = {"question": 40, "statement": 10, "control": 15}
seen = {}
events = list(signups)
for signup in signups:
    variant = own[signup["customer_id"]]
    k = seen.get(variant, 0)
    seen[variant] = k + 1
    # Spread each variant's conversions evenly over its customers.
    if (k + 1) * rates[variant] // 100 > k * rates[variant] // 100:
        at = datetime.datetime.strptime(signup["timestamp"], stamp) + datetime.timedelta(days=1, hours=3)
        events.append({"id": "or" + signup["id"][2:], "customer_id": signup["customer_id"], "name": "order.completed",
                       "properties": {"total": 40.0}, "timestamp": at.strftime(stamp)})
events.sort(key=lambda e: (e["timestamp"], e["id"]))

os.makedirs(os.path.join(example, "samples"), exist_ok=True)
with open(os.path.join(example, "samples/customers.ndjson"), "w") as f:
    f.writelines(json.dumps(row) + "\n" for row in customers)
with open(os.path.join(example, "samples/events.ndjson"), "w") as f:
    f.writelines(json.dumps(row) + "\n" for row in events)
