#!/usr/bin/env python3
"""Generate Herald's dry-run sample data in Journeys/samples/ (deterministic: same seed, same files).

    python3 scripts/generate-samples.py [--seed 42] [--customers 300] [--out Journeys/samples]

Writes customers.ndjson, customers.csv (the same customers and subscriptions, topics included,
without list attributes, which no journey reads) and
events.ndjson: a week of events (Monday 2026-03-02 to Sunday 2026-03-08, UTC) that exercises every
example journey, plus older orders marked "history": true (what the win-back segment looks at;
the dry-run imports them into behavioural history without replaying them).

    python3 scripts/generate-samples.py --engagement-only   # keep the samples, redo their engagement

With a herald binary (--herald, default .build/debug/herald when it exists), engagement events are
added for the messages the journeys send (docs/engagement.md): the dry-run is run on the events,
every message sent gets its deliveries, bounces, opens, clicks, complaints, unsubscribes and SMS
replies (drawn from a generator seeded by the message id, so a message's engagement never depends
on the others), and the dry-run runs again until no new message appears (engagement changes what
the journeys send: a hard bounce suppresses, a click ends a wait).
"""
import argparse
import csv
import datetime as dt
import json
import os
import random
import subprocess

WEEK_START = dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc)  # a Monday

ZONES = [
    ("Europe/Paris", "FR", 30), ("Europe/London", "GB", 25), ("America/New_York", "US", 30),
    ("America/Los_Angeles", "US", 20), ("America/Sao_Paulo", "BR", 10), ("Asia/Tokyo", "JP", 15),
    ("Asia/Kolkata", "IN", 10), ("Australia/Sydney", "AU", 10), ("Pacific/Kiritimati", "KI", 4),
    ("Etc/GMT+12", "UM", 4), ("UTC", "IS", 6), (None, "DE", 10),
]
FIRST_NAMES = ["Ada", "Bo", "Chloé", "Dev", "Emi", "Femi", "Gus", "Hana", "Ivo", "Jin", "Kai", "Lea", "Mo", "Noa", "Oli", "Pia",
               "Quinn", "Raj", "Sol", "Tao", "Uma", "Vic", "Wen", "Xan", "Yui", "Zoe"]
PRODUCTS = [("p-100", "shoes", 89.0), ("p-101", "shoes", 120.0), ("p-200", "bags", 45.0), ("p-201", "bags", 210.0),
            ("p-300", "hats", 25.0), ("p-301", "hats", 35.0), ("p-400", "coats", 340.0)]


def iso(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_daytime(rng, day, zone_offset_hours):
    """An instant on `day` (0-6) between 08:00 and 22:00 local, given an approximate UTC offset."""
    hour = rng.uniform(8, 22)
    return WEEK_START + dt.timedelta(days=day, hours=hour - zone_offset_hours, minutes=rng.randint(0, 59))


APPROX_OFFSET = {"Europe/Paris": 1, "Europe/London": 0, "America/New_York": -5, "America/Los_Angeles": -8,
                 "America/Sao_Paulo": -3, "Asia/Tokyo": 9, "Asia/Kolkata": 5.5, "Australia/Sydney": 11,
                 "Pacific/Kiritimati": 14, "Etc/GMT+12": -12, "UTC": 0, None: 0}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "Journeys", "samples"))
    default_herald = os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "herald")
    parser.add_argument("--herald", default=default_herald if os.path.exists(default_herald) else None,
                        help="a herald binary: adds engagement events for the messages the journeys send")
    parser.add_argument("--engagement-only", action="store_true",
                        help="keep the customers and events in --out; only (re)add the engagement events and order revenue")
    args = parser.parse_args()
    if args.engagement_only:
        if not args.herald:
            parser.error("--engagement-only needs a herald binary (--herald)")
        with open(os.path.join(args.out, "events.ndjson")) as f:
            events = [json.loads(line) for line in f if line.strip()]
        events = [e for e in events if not e["id"].startswith("eng-")]
        for e in events:
            props = e.get("properties", {})
            if e["name"] == "order.completed" and "total" in props:
                props["revenue"] = props["total"]
        added = add_engagement(args, events)
        print(f"{added} engagement events for the messages sent; {len(events)} events → {os.path.normpath(args.out)}")
        return
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)

    zone_pool = [z for z in ZONES for _ in range(z[2])]
    customers, events = [], []
    personas = ["signup", "cart", "collider", "browser", "buyer", "nps", "lapsing", "mixed"]

    def event(cid, name, t, props=None, history=False):
        e = {"id": f"ev-{len(events) + 1:05d}", "customer_id": cid, "name": name, "timestamp": iso(t)}
        if props and name == "order.completed" and "total" in props:
            props = dict(props, revenue=props["total"])  # the goal's revenue (docs/engagement.md)
        if props:
            e["properties"] = props
        if history:
            e["history"] = True
        events.append(e)

    for n in range(1, args.customers + 1):
        cid = f"c{n:03d}"
        zone, country, _ = rng.choice(zone_pool)
        off = APPROX_OFFSET[zone]
        persona = personas[(n - 1) % len(personas)]
        orders = 0 if persona in ("signup", "browser") else rng.choice([0, 1, 1, 2, 3, 5])
        if persona == "lapsing":
            orders = rng.randint(1, 6)
        ltv = round(orders * rng.uniform(40, 260), 2)
        c = {
            "id": cid,
            "email": f"{cid}@example.com" if rng.random() > 0.03 else None,
            "phone": f"+1555{n:07d}" if rng.random() > 0.3 else None,
            "time_zone": zone,
            "subscriptions": {},
            "attributes": {
                "first_name": rng.choice(FIRST_NAMES), "country": country,
                "plan": rng.choice(["free", "free", "plus", "pro"]), "vip": ltv > 800,
                "lifetime_value": ltv, "orders_count": orders,
                "signed_up_at": iso(WEEK_START - dt.timedelta(days=rng.randint(1, 700))),
                "tags": rng.sample(["newsletter", "outdoor", "city", "sale-hunter", "gifting"], rng.randint(0, 2)),
            },
        }
        if rng.random() < 0.12:
            c["subscriptions"]["sms"] = False
        if rng.random() < 0.05:
            c["subscriptions"]["email"] = False
        if rng.random() < 0.1:
            c["subscriptions"]["topic:surveys"] = False
        customers.append(c)

        day = rng.randint(0, 4)
        if persona == "signup":
            c["attributes"]["orders_count"] = 0
            c["attributes"]["signed_up_at"] = iso(local_daytime(rng, day, off))
            t = local_daytime(rng, day, off)
            event(cid, "signed_up", t, {"source": rng.choice(["ads", "organic", "referral"])})
            if rng.random() < 0.4:
                event(cid, "email.clicked", t + dt.timedelta(days=2, hours=rng.randint(1, 30)), {"message": "getting_started", "link": "/start"})
            if rng.random() < 0.25:
                event(cid, "order.completed", t + dt.timedelta(days=rng.uniform(0.5, 5)), {"order_id": f"o-{cid}-1", "total": 59.0, "items": 1})
        elif persona in ("cart", "mixed"):
            t = local_daytime(rng, day, off)
            items = rng.choice([0, 1, 2, 3])
            event(cid, "cart.updated", t, {"items": items, "total": items * 45.0})
            if items and rng.random() < 0.3:
                event(cid, "cart.updated", t + dt.timedelta(minutes=rng.randint(5, 50)), {"items": items + 1, "total": (items + 1) * 45.0})
            r = rng.random()
            if r < 0.2:
                event(cid, "email.clicked", t + dt.timedelta(hours=1, minutes=rng.randint(5, 600)), {"message": "cart_reminder", "link": "/cart"})
            elif r < 0.45:
                event(cid, "order.completed", t + dt.timedelta(hours=rng.uniform(0.3, 70)), {"order_id": f"o-{cid}-1", "total": 90.0, "items": max(items, 1)})
            if persona == "mixed":
                for k in range(rng.randint(3, 4)):
                    p = rng.choice(PRODUCTS)
                    event(cid, "product.viewed", t - dt.timedelta(hours=rng.uniform(1, 40)), {"product_id": p[0], "category": p[1], "price": p[2]})
                event(cid, "signed_up", t - dt.timedelta(hours=rng.uniform(41, 60)), {"source": "ads"})
        elif persona == "collider":
            # Journeys competing for one customer inside the policy's settle window.
            t = local_daytime(rng, day, off)
            if rng.random() < 0.5:
                # A promoter who signs up an hour later: the referral invite and the welcome email
                # are requested at the same instant; the welcome (priority 60) wins.
                event(cid, "nps.submitted", t - dt.timedelta(hours=1), {"score": 10, "comment": "love it"})
                event(cid, "signed_up", t, {"source": "referral"})
            else:
                # A detractor who fills a cart 23 hours later: the apology and the cart reminder
                # collide a day after the survey; the apology (priority 90) wins.
                event(cid, "nps.submitted", t, {"score": 4, "comment": "slow delivery"})
                event(cid, "cart.updated", t + dt.timedelta(hours=23), {"items": 2, "total": 90.0})
        elif persona == "browser":
            t = local_daytime(rng, day, off)
            for k in range(rng.randint(2, 5)):
                p = rng.choice(PRODUCTS)
                event(cid, "product.viewed", t + dt.timedelta(hours=k * rng.uniform(2, 20)), {"product_id": p[0], "category": p[1], "price": p[2]})
            if rng.random() < 0.4:
                for k in range(2):
                    p = rng.choice(PRODUCTS)
                    event(cid, "product.viewed", t + dt.timedelta(days=2, hours=8 + k * 3), {"product_id": p[0], "category": p[1], "price": p[2]})
            if rng.random() < 0.2:
                event(cid, "order.completed", t + dt.timedelta(days=rng.uniform(1, 4)), {"order_id": f"o-{cid}-1", "total": 120.0, "items": 1})
        elif persona == "buyer":
            t = local_daytime(rng, rng.randint(0, 1), off)
            event(cid, "order.completed", t, {"order_id": f"o-{cid}-1", "total": round(rng.uniform(20, 400), 2), "items": rng.randint(1, 4)})
            if rng.random() < 0.5:
                event(cid, "review.submitted", t + dt.timedelta(days=5, hours=rng.randint(1, 20)), {"rating": rng.choice([1, 2, 4, 5, 5])})
        elif persona == "nps":
            t = local_daytime(rng, day, off)
            score = rng.choice([2, 5, 6, 8, 9, 10, 10])
            event(cid, "nps.submitted", t, {"score": score, "comment": "thanks" if score > 6 else "late delivery"})
            if score >= 9 and rng.random() < 0.6:
                event(cid, "referral.sent", t + dt.timedelta(hours=rng.randint(2, 60)), {"channel": "email"})
                if rng.random() < 0.5:
                    event(cid, "referral.completed", t + dt.timedelta(days=rng.uniform(1.5, 3)), {"referred_customer": f"x-{cid}"})
        elif persona == "lapsing":
            last = WEEK_START - dt.timedelta(days=rng.randint(95, 200))
            c["attributes"]["last_order_at"] = iso(last)
            event(cid, "order.completed", last, {"order_id": f"o-{cid}-0", "total": 80.0, "items": 1}, history=True)
            if rng.random() < 0.3:
                event(cid, "order.completed", local_daytime(rng, rng.randint(1, 6), off), {"order_id": f"o-{cid}-1", "total": 75.0, "items": 1})

    # Every tenth customer has a birthday in the sample week (the birthday journey); derived from
    # the position, not drawn from the generator, so the rest of the data stays as it was.
    for index, c in enumerate(customers):
        if index % 10 == 3:
            c["attributes"]["birthday"] = f"{1970 + index % 40}-03-{2 + index % 7:02d}"
    events.sort(key=lambda e: (e["timestamp"], e["id"]))
    with open(os.path.join(args.out, "customers.ndjson"), "w") as f:
        for c in customers:
            c = {k: v for k, v in c.items() if v not in (None, {})}
            f.write(json.dumps(c, sort_keys=True, ensure_ascii=False) + "\n")
    with open(os.path.join(args.out, "events.ndjson"), "w") as f:
        for e in events:
            f.write(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n")
    columns = ["id", "email", "phone", "time_zone", "subscribed_email", "subscribed_sms", "subscriptions.topic:surveys", "first_name",
               "country", "plan", "vip", "lifetime_value", "orders_count", "signed_up_at", "last_order_at", "birthday"]
    with open(os.path.join(args.out, "customers.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for c in customers:
            a, s = c["attributes"], c["subscriptions"]
            row = [c["id"], c.get("email") or "", c.get("phone") or "", c.get("time_zone") or "",
                   "" if "email" not in s else str(s["email"]).lower(), "" if "sms" not in s else str(s["sms"]).lower(),
                   "" if "topic:surveys" not in s else str(s["topic:surveys"]).lower(),
                   a["first_name"], a["country"], a["plan"], str(a["vip"]).lower(), a["lifetime_value"], a["orders_count"],
                   a["signed_up_at"], a.get("last_order_at", ""), a.get("birthday", "")]
            w.writerow(row)
    if args.herald:
        added = add_engagement(args, events)
        print(f"{added} engagement events for the messages sent")
    print(f"{len(customers)} customers, {len(events)} events → {os.path.normpath(args.out)}")


def sends_of(args):
    """The messages a dry-run of the samples sends (its JSON report)."""
    out = subprocess.run([args.herald, "dry-run", "--journeys", os.path.normpath(os.path.join(args.out, "..")),
                          "--customers", os.path.join(args.out, "customers.ndjson"),
                          "--events", os.path.join(args.out, "events.ndjson"), "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    return [(c["id"], s) for c in json.loads(out)["customers"] for s in c["sends"]]


def engagement_for(seed, customer, send):
    """The engagement events of one message, from a generator seeded by its id."""
    rng = random.Random(f"{seed}:{send['id']}")
    at = dt.datetime.strptime(send["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    channel, mid = send["channel"], send["id"]
    out = []

    def add(kind, after, props=None):
        p = {"message_id": mid}
        p.update(props or {})
        out.append({"id": f"eng-{kind}-{mid}", "customer_id": customer, "name": f"{channel}.{kind}", "timestamp": iso(at + after),
                    "properties": p})

    r = rng.random()
    if channel == "email":
        if r < 0.015:
            add("bounced", dt.timedelta(minutes=2), {"bounce": "hard"})
            return out
        if r < 0.04:
            add("bounced", dt.timedelta(minutes=2), {"bounce": "soft"})
            return out
        add("delivered", dt.timedelta(minutes=1))
        if rng.random() < 0.45:
            opened = dt.timedelta(hours=rng.uniform(0.2, 30))
            add("opened", opened)
            if rng.random() < 0.3:
                add("clicked", opened + dt.timedelta(minutes=rng.randint(1, 20)), {"url": f"https://shop.example.com/{send['message']}"})
        r = rng.random()
        if r < 0.006:
            add("complained", dt.timedelta(hours=rng.uniform(1, 48)))
        elif r < 0.02:
            add("unsubscribed", dt.timedelta(hours=rng.uniform(1, 48)))
    elif channel == "sms":
        add("delivered" if r > 0.03 else "bounced", dt.timedelta(minutes=1), None if r > 0.03 else {"bounce": "soft"})
        r = rng.random()
        if r < 0.04:
            add("replied", dt.timedelta(minutes=rng.randint(5, 120)), {"keyword": "STOP"})
        elif r < 0.05:
            add("replied", dt.timedelta(minutes=rng.randint(5, 120)), {"keyword": "HELP"})
    else:
        add("delivered", dt.timedelta(seconds=5))
    return out


def add_engagement(args, events):
    """Adds engagement for every message the journeys send, until the sends stop changing."""
    covered = set()
    base_clicks = {(e["customer_id"], e["properties"].get("message")) for e in events
                   if e["name"] == "email.clicked" and "properties" in e}
    added = 0
    for n in range(4):
        sends = sends_of(args)
        if n == 0:
            # The sample's own clicks name their message: tie each to the latest send of it before.
            for e in events:
                if e["name"] != "email.clicked" or "message" not in e.get("properties", {}):
                    continue
                before = [s for c, s in sends if c == e["customer_id"] and s["message"] == e["properties"]["message"]
                          and s["at"] <= e["timestamp"]]
                if before:
                    e["properties"]["message_id"] = max(before, key=lambda s: s["at"])["id"]
        new = [(c, s) for c, s in sends if s["id"] not in covered]
        if not new:
            break
        for customer, send in new:
            covered.add(send["id"])
            for e in engagement_for(args.seed, customer, send):
                if e["name"] == "email.clicked" and (customer, send["message"]) in base_clicks:
                    continue  # the sample already has this customer's click on it
                events.append(e)
                added += 1
        events.sort(key=lambda e: (e["timestamp"], e["id"]))
        with open(os.path.join(args.out, "events.ndjson"), "w") as f:
            for e in events:
                f.write(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n")
    return added


if __name__ == "__main__":
    main()
