#!/usr/bin/env python3
"""Crash harness ("Nothing lost"): kill the bridge with SIGKILL at random
points while it trades, restart it on the same data directory, and check
that the journal and the reconciliation with the venue lose nothing.

Processes (all on 127.0.0.1, free ports, killed on exit):
  * `fixbridge venue-sim --venue binance`: a separate process, so the venue
    keeps its orders while the bridge is dead -- reconciliation is real;
  * `fixbridge run` with a `type: binance` venue pointed at it, journal
    fsync'd on every record, FIX session `reset: on_logon`;
  * a raw FIX 4.4 client (fixwire.py) that logs on with 141=Y after every
    restart and keeps going.

The client sends a seeded random stream of GTC/IOC limit orders at and
around the venue price, cancels and replaces of open orders, and moves the
venue price now and then (POST /__sim/price) so resting orders fill. At K
random points (same seed, same points) the bridge is SIGKILLed: idle
between messages, right after a message (at a random delay), or with a
venue answer in flight (POST /__sim/fault?kind=delay_after_place on the
next new/cancel/replace, killed while venue-sim holds the answer). It is
restarted on the same data dir and the client reconnects.

At the end the harness waits until the bridge's orders are stable (no
Pending* state, no change for a while), then checks, one case each:
  lost        every NewOrderSingle the bridge acknowledged (an
              ExecutionReport other than Rejected, with an OrderID) is in
              GET /orders?state=all after the last restart, and every
              venue order's clientOrderId (fb<OrderID>-<version>) maps to a
              bridge order at that version or a later one;
  duplicates  per clientOrderId at most one venue order (GET /__sim/orders);
  state       each bridge order's final state (open/filled/canceled/none)
              equals the venue's for the order's current clientOrderId;
  cumqty      each bridge order's CumQty equals the executedQty summed over
              its venue orders (a replace is a new venue order).
It prints each mismatch, the summary line
  crash harness: seed S, kills K, orders N, lost L, duplicates D,
  state mismatches X, cumqty mismatches Y
and the closing line `N passed, M failed`.

usage: crash_harness.py FIXBRIDGE_BINARY [--seed N] [--kills K] [--orders N]
                        [--keep] [--verbose]
CI:    crash_harness.py build/fixbridge --seed 1 --kills 4 --orders 40
Soak:  crash_harness.py build/fixbridge --seed $RANDOM --kills 50 --orders 1000
       (several minutes; --keep leaves the work dir with both logs.)
"""
import argparse
import decimal
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fbtest  # noqa: E402
import fixwire  # noqa: E402

KEY = "vsimKey0123456789"
SECRET = "vsimSecret0123456789abcdef"
BASE_PRICE = 60000
TICK = 10  # harness price grid (the venue's tick is 0.01)
DEADLINE_S = 1500  # hard bound on one run, whatever the counts

CONFIG = """bridge:
  data_dir: data
  log_level: %(log_level)s
  journal_fsync: every
admin:
  listen: 127.0.0.1
  port: 0
sessions:
  - name: oms44
    fix_version: FIX.4.4
    sender_comp_id: FIXBRIDGE
    target_comp_id: OMS
    port: 0
    reset: on_logon
    store: memory
venues:
  - name: bn
    type: binance
    base_url: http://127.0.0.1:%(port)d
    api_key_env: FB_VSIM_KEY
    api_secret_env: FB_VSIM_SECRET
    connect_timeout_ms: 1000
    request_timeout_ms: 1000
    poll_interval_ms: 100
    recv_window_ms: 5000
routes:
  - { symbol: BTC/USDT, venue: bn, venue_symbol: BTCUSDT }
policy:
  default:
    collar_bps: 0
    max_order_qty: "1000000"
    max_open_orders: 10000
    market_orders: allow
"""

OPEN = {"PendingNew", "New", "PartiallyFilled", "PendingCancel", "PendingReplace"}
PENDING = {"PendingNew", "PendingCancel", "PendingReplace"}
BRIDGE_CAT = {"PendingNew": "open", "New": "open", "PartiallyFilled": "open",
              "PendingCancel": "open", "PendingReplace": "open", "Filled": "filled",
              "Canceled": "canceled", "Expired": "canceled", "Rejected": "none"}
VENUE_CAT = {"NEW": "open", "PARTIALLY_FILLED": "open", "PENDING_NEW": "open",
             "FILLED": "filled", "CANCELED": "canceled", "EXPIRED": "canceled",
             "EXPIRED_IN_MATCH": "canceled", "REJECTED": "canceled", "PENDING_CANCEL": "open"}

D = decimal.Decimal


def log(msg):
    print(msg)
    sys.stdout.flush()


def http(method, port, path, params=None, timeout=5):
    url = "http://127.0.0.1:%d%s" % (port, path)
    if params:
        url += "?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode() or "null")


def wait_ports(proc, path, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %d" % (what, proc.returncode))
        if os.path.exists(path):
            with open(path) as f:
                lines = [l.split() for l in f if l.strip()]
            if lines and all(len(l) == 2 for l in lines):
                return dict((n, int(p)) for n, p in lines)
        time.sleep(0.02)
    raise RuntimeError("%s did not start within %ds" % (what, timeout))


class Procs:
    """venue-sim and the bridge; everything started is killed in close()."""

    def __init__(self, binary, workdir):
        self.binary = binary
        self.dir = workdir
        self.env = dict(os.environ, FB_VSIM_KEY=KEY, FB_VSIM_SECRET=SECRET)
        self.sim = self.bridge = None
        self.sim_log = open(os.path.join(workdir, "venue-sim.log"), "w")
        self.bridge_log = open(os.path.join(workdir, "bridge.log"), "w")
        self.config = os.path.join(workdir, "fixbridge.yaml")
        self.starts = 0

    def start_sim(self):
        ports = os.path.join(self.dir, "vsim.ports")
        self.sim = subprocess.Popen(
            [self.binary, "venue-sim", "--venue", "binance", "--port", "0", "--ports-file", ports,
             "--market", "BTCUSDT:%d:0.01:0.00001:5" % BASE_PRICE, "--api-key-env",
             "FB_VSIM_KEY", "--api-secret-env", "FB_VSIM_SECRET", "--seed", "7",
             "--duration-s", str(DEADLINE_S + 60)],
            stdout=self.sim_log, stderr=subprocess.STDOUT, env=self.env, cwd=self.dir)
        self.sim_port = wait_ports(self.sim, ports, "venue-sim")["venue-sim"]
        with open(self.config, "w") as f:
            f.write(CONFIG % {"port": self.sim_port,
                             "log_level": os.environ.get("FB_CRASH_LOG_LEVEL", "info")})

    def start_bridge(self):
        ports = os.path.join(self.dir, "bridge.ports")
        if os.path.exists(ports):
            os.unlink(ports)
        self.starts += 1
        self.bridge_log.write("==== harness: start %d ====\n" % self.starts)
        self.bridge_log.flush()
        self.bridge = subprocess.Popen(
            [self.binary, "run", "-c", self.config, "--ports-file", ports],
            stdout=self.bridge_log, stderr=subprocess.STDOUT, env=self.env, cwd=self.dir)
        p = wait_ports(self.bridge, ports, "fixbridge")
        self.fix_port, self.admin_port = p["oms44"], p["admin"]

    def kill_bridge(self):
        if self.bridge and self.bridge.poll() is None:
            self.bridge.send_signal(signal.SIGKILL)
            self.bridge.wait()

    def stop_bridge(self):
        """SIGTERM; the exit code (None if it had to be killed)."""
        if not self.bridge or self.bridge.poll() is not None:
            return self.bridge.returncode if self.bridge else None
        self.bridge.send_signal(signal.SIGTERM)
        try:
            return self.bridge.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill_bridge()
            return None

    def close(self):
        for p in (self.bridge, self.sim):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        self.sim_log.close()
        self.bridge_log.close()

    def bridge_orders(self):
        return http("GET", self.admin_port, "/orders", {"state": "all"})

    def venue(self):
        return http("GET", self.sim_port, "/__sim/orders")


class Client:
    """A raw FIX 4.4 initiator; a reader thread answers TestRequests and
    collects every ExecutionReport / OrderCancelReject."""

    def __init__(self, port):
        self.conn = fixwire.Conn("127.0.0.1", port, timeout=5)
        self.seq = 0
        self.lock = threading.Lock()
        self.cond = threading.Condition()
        self.msgs = []  # (35, parsed fields) in arrival order
        self.alive = True
        self.send("A", [("98", "0"), ("108", "30"), ("141", "Y")])
        msg = self.conn.read(10)
        if fixwire.get(msg, 35) != "A":
            raise RuntimeError("logon answered with %s" % fixwire.show(msg))
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def send(self, msg_type, fields):
        with self.lock:
            self.seq += 1
            head = [("35", msg_type), ("49", "OMS"), ("56", "FIXBRIDGE"), ("34", str(self.seq)),
                    ("52", fixwire.utc_timestamp())]
            self.conn.send(fixwire.frame("FIX.4.4", head + fields))

    def _read(self):
        while self.alive:
            try:
                msg = self.conn.read(1.0)
            except fixwire.WireError:
                if self.conn.closed:
                    break
                continue
            t = fixwire.get(msg, 35)
            if t == "1":
                self.send("0", [("112", fixwire.get(msg, 112, ""))])
            elif t in ("8", "9", "j", "3"):
                with self.cond:
                    self.msgs.append((t, dict(fixwire.parse(msg))))
                    self.cond.notify_all()
        with self.cond:
            self.alive = False
            self.cond.notify_all()

    def wait_for(self, clordid, start, timeout):
        """Index past the first message from start on answering clordid."""
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.msgs)):
                    if self.msgs[i][1].get("11") == clordid:
                        return i + 1
                left = deadline - time.time()
                if left <= 0 or not self.alive:
                    return None
                self.cond.wait(left)

    def close(self):
        self.alive = False
        self.conn.close()
        self.thread.join(3)


class Harness:
    def __init__(self, args, procs):
        self.args = args
        self.p = procs
        self.rng = random.Random(args.seed)
        self.price = BASE_PRICE
        self.n = 0  # ClOrdID counter
        self.acked = {}  # NOS ClOrdID -> OrderID from an accepting ExecutionReport
        self.sent_new = []
        self.kills = 0
        self.kill_modes = {}
        self.client = None
        self.seen = 0  # messages of the current client already scanned
        self.unanswered = 0

    # -- bookkeeping ------------------------------------------------------
    def scan(self):
        c = self.client
        with c.cond:
            msgs = c.msgs[self.seen:]
            self.seen = len(c.msgs)
        for t, f in msgs:
            if t != "8":
                continue
            cl, oid, et = f.get("11"), f.get("37"), f.get("150")
            if cl in self.nos_ids and et != "8" and oid and oid != "NONE":
                self.acked.setdefault(cl, oid)

    def connect(self):
        if self.client:
            self.scan()
            self.client.close()
        self.client = Client(self.p.fix_port)
        self.seen = 0

    def restart(self):
        self.p.start_bridge()
        self.connect()
        try:
            http("POST", self.p.sim_port, "/__sim/fault", {"kind": "clear"})
        except (OSError, ValueError):
            pass

    def kill(self, mode):
        self.scan()
        self.p.kill_bridge()
        self.kills += 1
        self.kill_modes[mode] = self.kill_modes.get(mode, 0) + 1
        if self.args.verbose:
            log("kill %d (%s) after %d orders" % (self.kills, mode, len(self.sent_new)))
        self.restart()

    # -- actions ----------------------------------------------------------
    def next_id(self, p):
        self.n += 1
        return "%s%d-%d" % (p, self.args.seed, self.n)

    def open_orders(self):
        try:
            return [o for o in self.p.bridge_orders() if o["state"] in ("New", "PartiallyFilled")]
        except (OSError, ValueError):
            return []

    def new_order(self):
        cl = self.next_id("o")
        side = self.rng.choice("12")
        qty = "0.0%d" % self.rng.randint(1, 5)
        px = self.price + TICK * self.rng.randint(-3, 3)
        tif = "3" if self.rng.random() < 0.15 else "1"
        self.sent_new.append(cl)
        self.nos_ids.add(cl)
        self.client.send("D", [("11", cl), ("55", "BTC/USDT"), ("54", side),
                               ("60", fixwire.utc_timestamp()), ("38", qty), ("40", "2"),
                               ("44", str(px)), ("59", tif)])
        return cl

    def cancel(self, o):
        cl = self.next_id("c")
        self.client.send("F", [("41", o["cl_ord_id"]), ("11", cl), ("55", "BTC/USDT"),
                               ("54", "2" if o["side"] == "sell" else "1"),
                               ("60", fixwire.utc_timestamp()), ("38", o["order_qty"])])
        return cl

    def replace(self, o):
        cl = self.next_id("r")
        qty = "0.0%d" % self.rng.randint(1, 5)
        px = self.price + TICK * self.rng.randint(-4, 4)
        self.client.send("G", [("41", o["cl_ord_id"]), ("11", cl), ("55", "BTC/USDT"),
                               ("54", "2" if o["side"] == "sell" else "1"),
                               ("60", fixwire.utc_timestamp()), ("38", qty), ("40", "2"),
                               ("44", str(px)), ("59", "1")])
        return cl

    def move_price(self):
        self.price = BASE_PRICE + TICK * self.rng.randint(-6, 6)
        http("POST", self.p.sim_port, "/__sim/price", {"symbol": "BTCUSDT", "price": str(self.price)})

    def action(self, kind=None):
        """One random action; returns the ClOrdID to wait for (or None)."""
        r = self.rng.random()
        if kind is None:
            kind = "new" if r < 0.55 else "cancel" if r < 0.72 else "replace" if r < 0.88 else "price"
        if kind in ("cancel", "replace"):
            opens = self.open_orders()
            if not opens:
                kind = "new"
            else:
                o = self.rng.choice(opens)
                return kind, (self.cancel(o) if kind == "cancel" else self.replace(o))
        if kind == "price":
            self.move_price()
            return kind, None
        return "new", self.new_order()

    def step(self, kill_here):
        mode = None
        if kill_here:
            mode = self.rng.choice(["idle", "after_send", "in_flight", "in_flight"])
        if mode == "idle":
            self.kill(mode)
        if mode == "in_flight":
            on = self.rng.choice(["new", "new", "cancel", "replace"])
            http("POST", self.p.sim_port, "/__sim/fault",
                 {"kind": "delay_after_place", "ms": "1500", "on": on, "count": "1"})
            kind, cl = self.action(on)
            time.sleep(self.rng.uniform(0.15, 0.6))  # the request is at the venue, held
            self.kill("in_flight_%s" % kind)
            return
        start = len(self.client.msgs)
        kind, cl = self.action()
        if mode == "after_send":
            time.sleep(self.rng.uniform(0.0, 0.25))
            self.kill(mode)
            return
        if cl and self.client.wait_for(cl, start, 3.0) is None:
            self.unanswered += 1

    def run(self):
        self.nos_ids = set()
        orders = self.args.orders
        points = sorted(self.rng.randint(1, max(1, orders - 1)) for _ in range(self.args.kills))
        self.restart()
        deadline = time.time() + DEADLINE_S
        while len(self.sent_new) < orders and time.time() < deadline:
            before = len(self.sent_new)
            kill_here = bool(points) and points[0] <= before
            if kill_here:
                points.pop(0)
            self.step(kill_here)
        while points and time.time() < deadline:  # kills past the last order
            points.pop(0)
            self.step(True)
        self.scan()


# -- the checks --------------------------------------------------------------
def settle(procs, timeout=30):
    """Polls /orders until nothing is Pending* and nothing changed for 2 s."""
    deadline = time.time() + timeout
    last, since = None, time.time()
    orders = []
    while time.time() < deadline:
        orders = procs.bridge_orders()
        snap = sorted((o["order_id"], o["state"], o["cum_qty"], o["client_order_id"])
                      for o in orders)
        if snap != last:
            last, since = snap, time.time()
        elif time.time() - since >= 2.0 and not any(o["state"] in PENDING for o in orders):
            return orders, True
        time.sleep(0.25)
    return orders, False


def split_coid(coid):
    """fb<OrderID>-<version> -> (OrderID, version) or (None, None)."""
    m = re.match(r"^fb(.+)-(\d+)$", coid)
    return (m.group(1), int(m.group(2))) if m else (None, None)


def check(h, orders, venue, verbose):
    problems = {"lost": [], "duplicates": [], "state": [], "cumqty": []}
    by_id = dict((o["order_id"], o) for o in orders)
    for cl, oid in sorted(h.acked.items()):
        if oid not in by_id:
            problems["lost"].append("ClOrdID %s (OrderID %s) was acknowledged but is not in "
                                    "the bridge's /orders" % (cl, oid))
    vby = {}
    for vo in venue["orders"]:
        oid, ver = split_coid(vo["clientOrderId"])
        if oid not in by_id:
            problems["lost"].append("venue order %s (clientOrderId %s, %s %s) maps to no bridge "
                                    "order" % (vo["orderId"], vo["clientOrderId"], vo["status"],
                                               vo["executedQty"]))
            continue
        bver = split_coid(by_id[oid]["client_order_id"])[1]
        if bver is not None and ver > bver:
            problems["lost"].append("venue order %s (clientOrderId %s, %s %s) is unknown to the "
                                    "bridge: order %s is at %s" % (
                                        vo["orderId"], vo["clientOrderId"], vo["status"],
                                        vo["executedQty"], oid, by_id[oid]["client_order_id"]))
        vby.setdefault(oid, []).append((ver, vo))
    for c in venue["counts"]:
        if c["orders"] > 1:
            problems["duplicates"].append("clientOrderId %s: %d venue orders from %d requests"
                                          % (c["clientOrderId"], c["orders"], c["posts"]))
    for o in orders:
        vos = sorted(vby.get(o["order_id"], []), key=lambda x: x[0])
        bcat = BRIDGE_CAT.get(o["state"], o["state"])
        desc = "order %s (ClOrdID %s, coid %s): bridge %s CumQty %s" % (
            o["order_id"], o["cl_ord_id"], o["client_order_id"], o["state"], o["cum_qty"])
        if not vos:
            vcat, vdesc = "none", "venue has no order"
        else:
            cur = vos[-1][1]
            vcat = VENUE_CAT.get(cur["status"], cur["status"])
            vdesc = "venue " + ", ".join("%s %s exec %s" % (v["clientOrderId"], v["status"],
                                                            v["executedQty"]) for _, v in vos)
            if cur["clientOrderId"] != o["client_order_id"]:
                vcat = "%s (as %s)" % (vcat, cur["clientOrderId"])
        if bcat != vcat:
            problems["state"].append("%s; %s" % (desc, vdesc))
        vcum = sum((D(v["executedQty"]) for _, v in vos), D(0))
        if D(o["cum_qty"]) != vcum:
            problems["cumqty"].append("%s; venue executed %s in all (%s)" % (desc, vcum, vdesc))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--orders", type=int, default=60)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    workdir = tempfile.mkdtemp(prefix="fb-crash-")
    procs = Procs(binary, workdir)
    started = time.time()
    passed = failed = 0
    h = None

    def on_term(sig, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)
    try:
        procs.start_sim()
        h = Harness(args, procs)
        h.run()
        orders, settled = settle(procs)
        venue = procs.venue()
        h.scan()
        problems = check(h, orders, venue, args.verbose)
        if not settled:
            log("note: the bridge's orders did not settle within 30 s")
        for name in ("lost", "duplicates", "state", "cumqty"):
            if problems[name]:
                failed += 1
                log("FAIL %s (%d)" % (name, len(problems[name])))
                for p in problems[name][:40]:
                    log("    " + p)
            else:
                passed += 1
                log("PASS %s" % name)
        code = procs.stop_bridge()
        if code != 0:
            failed += 1
            log("FAIL clean_exit: fixbridge exited %s on SIGTERM" % code)
        else:
            passed += 1
            log("PASS clean_exit")
        log("kill points: %s; requests without an answer within 3 s: %d" % (
            ", ".join("%s %d" % kv for kv in sorted(h.kill_modes.items())) or "none",
            h.unanswered))
        log("crash harness: seed %d, kills %d, orders %d, lost %d, duplicates %d, "
            "state mismatches %d, cumqty mismatches %d (%.1f s)" % (
                args.seed, h.kills, len(h.sent_new), len(problems["lost"]),
                len(problems["duplicates"]), len(problems["state"]), len(problems["cumqty"]),
                time.time() - started))
    except (RuntimeError, OSError, ValueError, KeyError, fixwire.WireError,
            KeyboardInterrupt) as e:
        failed += 1
        log("FAIL harness: %s: %s" % (type(e).__name__, e))
    finally:
        procs.close()
    if failed:
        with open(os.path.join(workdir, "bridge.log")) as f:
            tail = f.read()[-6000:]
        log("--- bridge log (end; all of it in %s) ---\n%s" % (workdir, tail))
    if failed or args.keep:
        log("work dir kept: %s" % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    fbtest.finish(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
