#!/usr/bin/env python3
"""Crash harness ("Nothing lost"): kill the bridge with SIGKILL at random
points while it trades, restart it on the same data directory, and check
that the journal, the FIX store and the reconciliation with the venue lose
nothing and say nothing twice.

Processes (all on 127.0.0.1, free ports, killed on exit):
  * `fixbridge run`, journal fsync'd on every record (--fsync: every, or
    never, where the FIX I/O thread runs the engine's steps itself and a
    record is written, not fsync'd, before anything it caused leaves; a
    comma list is taken in turn with --venue's), its FIX session with
    a file store and `reset: never`, so sequence numbers and the messages
    sent survive a SIGKILL and a ResendRequest is served from the store;
  * a raw FIX 4.4 OMS (the Oms class below) that keeps its sequence numbers
    across restarts like a real OMS: after every restart it logs on again
    (no ResetSeqNumFlag), answers the bridge's ResendRequest with a
    gap fill, and sends its own ResendRequest (from 1 now and then, else
    from the last MsgSeqNum it saw + 1); it keeps everything it received;
  * the venue, one of (--venue, a comma list runs each in turn):
      binance  `fixbridge venue-sim --venue binance`, a separate process:
               the venue keeps its orders while the bridge is dead, so
               reconciliation is real and the venue's book is the truth;
      paper    the embedded paper venue (`type: sim`), inside the bridge:
               a SIGKILL takes its book with it, and the restarted venue
               starts empty at its reference price.

The OMS sends a seeded random stream of GTC/IOC limit orders at and around
the price, cancels and replaces of open orders, and moves the price now and
then (binance: POST /__sim/price; paper: the admin endpoint's
POST /sim/price) so resting orders fill. At K random points (same seed,
same points) the bridge is SIGKILLed: idle between messages, right after a
message (at a random delay), with a venue answer in flight (binance only:
POST /__sim/fault?kind=delay_after_place on the next new/cancel/replace,
killed while venue-sim holds the answer), or in a burst (paper: several
orders sent and the bridge killed a few ms later, while it journals and
reports). Just before each kill the harness takes GET /orders?state=all,
and just after the restart (before reconciliation can change anything)
again. It is restarted on the same data dir and the OMS reconnects.

At the end the harness settles: it polls GET /orders until no order is in a
Pending* state and neither the orders, the OMS's messages nor (binance) the
venue's book changed for a quiet window of max(3 s, 20 poll intervals),
counted only while the venue-sim's request weight (x-mbx-used-weight-1m)
was under 90% of its limit -- above it the adapter stops polling until the
venue's minute rolls over, so fills wait up to a minute through no fault of
the bridge (bounded: 120 s). Then the checks, one case each:

  lost        every NewOrderSingle the bridge acknowledged (an
              ExecutionReport other than Rejected, with an OrderID) is in
              GET /orders?state=all after the last restart; every order in
              a pre-kill snapshot is back after the restart with a CumQty
              at least as large, and a finished order finished the same way
              (the journal lost nothing the bridge had shown);
  reconciled  once settled nothing is Pending*: every order the journal
              brought back open was reconciled to a state;
  fix         what the OMS received over all connections (originals and
              resends) describes every order exactly once: each ExecID maps
              to one event and a repeated one carries PossDupFlag(43)=Y or
              PossResend(97)=Y; no two ExecIDs report the same change; per
              OrderID (the whole ClOrdID chain), in MsgSeqNum order (the
              order the OMS processes them in; a PossResend report, resent
              after a restart under a new MsgSeqNum, in its place), the
              ExecIDs rise (<run>-<counter>: the journal's order, so a
              resent report is the last word only if it is the latest event
              by both orders), the OrdStatus sequence is
              legal (starts PendingNew or Rejected, nothing after a terminal
              status, Filled only at CumQty = OrderQty), CumQty never
              decreases, each fill's CumQty is the previous one plus its
              LastQty, and the last report's OrdStatus and CumQty are the
              bridge's final ones. A report journaled but never handed to
              FIX before the kill shows here (the order's last state or a
              fill missing on the wire);
  duplicates  (binance) per clientOrderId at most one venue order;
  state       (binance) each bridge order's final state (open / filled /
              canceled / none) equals the venue's for its current
              clientOrderId (fb<OrderID>-<version>);
  cumqty      (binance) each bridge order's CumQty equals the executedQty
              summed over its venue orders (a replace is a new venue order).

What the paper mode cannot assert, honestly: the venue's own view. Its book
dies with the bridge, so a restarted bridge finds every order it had open
unknown at the venue and closes it Canceled ("no longer knows the order"),
or resends one the venue never acknowledged; fills the dead venue made but
the journal did not hold are gone with it. So in paper mode "state" and
"cumqty" against the venue are not checked; lost, reconciled and fix are,
and fix holds the OMS's view to the bridge's final state and CumQty.

On a failure each order named is traced: its journal records (decoded from
data/journal), the FIX messages the OMS got for it, the venue's orders for
it (binance) and the bridge log lines naming it; the check is repeated 30 s
later and says whether the mismatch was still there (a real bug) or went
away (the harness did not wait long enough).

It prints each mismatch, per mode the summary line
  crash harness: venue V, seed S, kills K, orders N, lost L, duplicates D,
  state mismatches X, cumqty mismatches Y, fix problems F (T s)
and the closing line `N passed, M failed`.

usage: crash_harness.py FIXBRIDGE_BINARY [--venue binance,paper] [--seed N]
                        [--kills K] [--orders N] [--keep] [--verbose]
CI:    crash_harness.py build/fixbridge --venue binance,paper --seed 1 --kills 4 --orders 40
Soak:  crash_harness.py build/fixbridge --venue binance --seed $RANDOM --kills 50 --orders 1000
       crash_harness.py build/fixbridge --venue paper --seed $RANDOM --kills 50 --orders 1000
       (a few minutes each; --keep leaves the work dir with the logs, the
       journal and the FIX message log; FB_CRASH_LOG_LEVEL=debug for a trace.)
"""
import argparse
import decimal
import glob
import json
import os
import random
import re
import shutil
import signal
import struct
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
POLL_MS = 100  # the binance venue's poll_interval_ms
WEIGHT_LIMIT = 6000  # venue-sim's request weight per minute
SETTLE_MAX_S = 120

CONFIG_HEAD = """bridge:
  data_dir: data
  log_level: %(log_level)s
  journal_fsync: %(fsync)s
admin:
  listen: 127.0.0.1
  port: 0
  sim_control: true
sessions:
  - name: oms44
    fix_version: FIX.4.4
    sender_comp_id: FIXBRIDGE
    target_comp_id: OMS
    port: 0
    reset: never
    store: file
"""

CONFIG_BINANCE = """venues:
  - name: bn
    type: binance
    base_url: http://127.0.0.1:%(port)d
    api_key_env: FB_VSIM_KEY
    api_secret_env: FB_VSIM_SECRET
    connect_timeout_ms: 1000
    request_timeout_ms: 1000
    poll_interval_ms: %(poll_ms)d
    recv_window_ms: 5000
routes:
  - { symbol: BTC/USDT, venue: bn, venue_symbol: BTCUSDT }
"""

# Partial fills in three parts, 50 ms ticks and a 30 ms acknowledgement
# delay, so kills find orders PendingNew and part-filled.
CONFIG_PAPER = """venues:
  - name: paper
    type: sim
    seed: 7
    tick_ms: 50
    ack_latency_ms: 30
    fill: partial
    partial_fill_parts: 3
    markets:
      - symbol: BTCUSDT
        base: BTC
        quote: USDT
        reference_price: "%(price)d"
        tick_size: "0.01"
        step_size: "0.00001"
        volatility_bps: 0
        spread_bps: 0
routes:
  - { symbol: BTC/USDT, venue: paper, venue_symbol: BTCUSDT }
"""

CONFIG_POLICY = """policy:
  default:
    collar_bps: 0
    max_order_qty: "1000000"
    max_open_orders: 10000
    market_orders: allow
"""

PENDING = {"PendingNew", "PendingCancel", "PendingReplace"}
TERMINAL = {"Filled", "Canceled", "Expired", "Rejected"}
BRIDGE_CAT = {"PendingNew": "open", "New": "open", "PartiallyFilled": "open",
              "PendingCancel": "open", "PendingReplace": "open", "Filled": "filled",
              "Canceled": "canceled", "Expired": "canceled", "Rejected": "none"}
VENUE_CAT = {"NEW": "open", "PARTIALLY_FILLED": "open", "PENDING_NEW": "open",
             "FILLED": "filled", "CANCELED": "canceled", "EXPIRED": "canceled",
             "EXPIRED_IN_MATCH": "canceled", "REJECTED": "canceled", "PENDING_CANCEL": "open"}
# OrdStatus(39) <-> the state names of GET /orders
ORD_STATUS = {"0": "New", "1": "PartiallyFilled", "2": "Filled", "4": "Canceled",
              "6": "PendingCancel", "8": "Rejected", "A": "PendingNew", "C": "Expired",
              "E": "PendingReplace"}
TERMINAL_39 = {"2", "4", "8", "C"}

D = decimal.Decimal


def log(msg):
    print(msg)
    sys.stdout.flush()


def http(method, port, path, params=None, timeout=5, headers=False):
    url = "http://127.0.0.1:%d%s" % (port, path)
    if params:
        url += "?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = json.loads(r.read().decode() or "null")
        return (body, r.headers) if headers else body


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
    """venue-sim (binance mode) and the bridge; everything started is
    killed in close()."""

    def __init__(self, binary, workdir, venue):
        self.binary = binary
        self.dir = workdir
        self.venue_mode = venue
        self.fsync = "every"
        self.env = dict(os.environ, FB_VSIM_KEY=KEY, FB_VSIM_SECRET=SECRET)
        self.sim = self.bridge = None
        self.sim_port = None
        self.sim_log = open(os.path.join(workdir, "venue-sim.log"), "w")
        self.bridge_log = open(os.path.join(workdir, "bridge.log"), "w")
        self.config = os.path.join(workdir, "fixbridge.yaml")
        self.starts = 0

    def start_venue(self):
        values = {"log_level": os.environ.get("FB_CRASH_LOG_LEVEL", "info"),
                  "poll_ms": POLL_MS, "price": BASE_PRICE, "fsync": self.fsync}
        if self.venue_mode == "binance":
            ports = os.path.join(self.dir, "vsim.ports")
            self.sim = subprocess.Popen(
                [self.binary, "venue-sim", "--venue", "binance", "--port", "0", "--ports-file",
                 ports, "--market", "BTCUSDT:%d:0.01:0.00001:5" % BASE_PRICE, "--api-key-env",
                 "FB_VSIM_KEY", "--api-secret-env", "FB_VSIM_SECRET", "--seed", "7",
                 "--duration-s", str(DEADLINE_S + 300)],
                stdout=self.sim_log, stderr=subprocess.STDOUT, env=self.env, cwd=self.dir)
            self.sim_port = wait_ports(self.sim, ports, "venue-sim")["venue-sim"]
            values["port"] = self.sim_port
            venue = CONFIG_BINANCE % values
        else:
            venue = CONFIG_PAPER % values
        with open(self.config, "w") as f:
            f.write(CONFIG_HEAD % values + venue + CONFIG_POLICY)

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
        if self.venue_mode != "binance":
            return None
        return http("GET", self.sim_port, "/__sim/orders")

    def venue_weight(self):
        """venue-sim's request weight used this minute (binance), else 0."""
        if self.venue_mode != "binance":
            return 0
        try:
            _, h = http("GET", self.sim_port, "/api/v3/ping", headers=True)
            return int(h.get("x-mbx-used-weight-1m", "0"))
        except (OSError, ValueError):
            return 0

    def set_price(self, price):
        if self.venue_mode == "binance":
            http("POST", self.sim_port, "/__sim/price", {"symbol": "BTCUSDT", "price": str(price)})
        else:
            http("POST", self.admin_port, "/sim/price",
                 {"venue": "paper", "symbol": "BTCUSDT", "price": str(price)})


class Oms:
    """A raw FIX 4.4 OMS whose session outlives the bridge process: it keeps
    its outgoing MsgSeqNum and what it has seen across connections, logs on
    without ResetSeqNumFlag, answers the bridge's ResendRequest with a gap
    fill (it never resends stale orders) and asks for what it missed.

    msgs holds every ExecutionReport / OrderCancelReject / reject received,
    in arrival order, as dicts of fields plus "_conn" (connection number)."""

    def __init__(self):
        self.out_seq = 0
        self.got = set()  # MsgSeqNums received (or gap-filled) beyond expected
        self.expected = 1  # lowest MsgSeqNum not received yet
        self.lock = threading.Lock()
        self.cond = threading.Condition()
        self.msgs = []
        self.conns = 0
        self.conn = None
        self.thread = None
        self.alive = False
        self.session_rejects = []

    def _send_raw(self, msg_type, fields, seq=None, poss_dup=False):
        with self.lock:
            if seq is None:
                self.out_seq += 1
                seq = self.out_seq
            head = [("35", msg_type), ("49", "OMS"), ("56", "FIXBRIDGE"), ("34", str(seq))]
            if poss_dup:
                head.append(("43", "Y"))
            head.append(("52", fixwire.utc_timestamp()))
            if poss_dup:
                head.append(("122", fixwire.utc_timestamp()))
            self.conn.send(fixwire.frame("FIX.4.4", head + fields))

    def send(self, msg_type, fields):
        self._send_raw(msg_type, fields)

    def connect(self, port, resend_from):
        """Logs on; then asks for everything from resend_from on (None: from
        the last MsgSeqNum seen + 1)."""
        self.close()
        self.conn = fixwire.Conn("127.0.0.1", port, timeout=5)
        self.conns += 1
        self._send_raw("A", [("98", "0"), ("108", "30")])
        deadline = time.time() + 10
        while True:
            msg = self.conn.read(max(0.1, deadline - time.time()))
            t = fixwire.get(msg, 35)
            if t == "A":
                self._note_seq(msg)
                break
            if t == "5":
                raise RuntimeError("logon answered with %s" % fixwire.show(msg))
            self._handle(msg)
        self.alive = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        begin = resend_from if resend_from is not None else self.expected
        self._send_raw("2", [("7", str(max(1, begin))), ("16", "0")])

    def _note_seq(self, msg, upto=None):
        """Marks msg's MsgSeqNum (or [34, upto) for a gap fill) received;
        the next connection asks from the lowest one still missing."""
        try:
            n = int(fixwire.get(msg, 34, "0"))
        except ValueError:
            return
        for k in range(n, max(n + 1, upto or 0)):
            self.got.add(k)
        while self.expected in self.got:
            self.got.discard(self.expected)
            self.expected += 1

    def _handle(self, msg):
        t = fixwire.get(msg, 35)
        self._note_seq(msg)
        if t == "1":
            self._send_raw("0", [("112", fixwire.get(msg, 112, ""))])
        elif t == "2":
            # the bridge missed some of ours: gap fill them (a real OMS does
            # not resend stale orders); the fill takes BeginSeqNo's place
            begin = int(fixwire.get(msg, 7, "1"))
            self._send_raw("4", [("123", "Y"), ("36", str(self.out_seq + 1))], seq=begin,
                           poss_dup=True)
        elif t == "4":
            # gap fill: [34, NewSeqNo) is accounted for
            try:
                self._note_seq(msg, int(fixwire.get(msg, 36, "0")))
            except ValueError:
                pass
        elif t in ("8", "9", "j", "3"):
            f = dict(fixwire.parse(msg))
            f["_conn"] = self.conns
            if t == "3":
                self.session_rejects.append(fixwire.show(msg))
            with self.cond:
                self.msgs.append((t, f))
                self.cond.notify_all()

    def _read(self):
        conn = self.conn
        while self.alive:
            try:
                msg = conn.read(1.0)
            except fixwire.WireError:
                if conn.closed:
                    break
                continue
            self._handle(msg)
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
        if self.conn:
            self.conn.close()
        if self.thread:
            self.thread.join(3)
        self.thread = None


class Harness:
    def __init__(self, args, procs, venue):
        self.args = args
        self.p = procs
        self.venue = venue
        self.rng = random.Random(args.seed)
        self.price = BASE_PRICE
        self.n = 0  # ClOrdID counter
        self.acked = {}  # NOS ClOrdID -> OrderID from an accepting ExecutionReport
        self.sent_new = []
        self.nos_ids = set()
        self.kills = 0
        self.kill_modes = {}
        self.oms = Oms()
        self.unanswered = 0
        self.journal_problems = []  # lost across one restart
        self.pending_after_restart = []  # Pending* long after a restart

    # -- bookkeeping ------------------------------------------------------
    def scan(self):
        with self.oms.cond:
            msgs = list(self.oms.msgs)
        for t, f in msgs:
            if t != "8":
                continue
            cl, oid, et = f.get("11"), f.get("37"), f.get("150")
            if cl in self.nos_ids and et != "8" and oid and oid != "NONE":
                self.acked.setdefault(cl, oid)

    def restart(self, before=None):
        self.p.start_bridge()
        if before is not None:
            self.compare_restart(before)
        if self.venue == "paper" and self.price != BASE_PRICE:
            self.p.set_price(self.price)
        resend_from = 1 if self.rng.random() < 0.3 else None
        self.oms.connect(self.p.fix_port, resend_from)
        if self.venue == "binance":
            try:
                http("POST", self.p.sim_port, "/__sim/fault", {"kind": "clear"})
            except (OSError, ValueError):
                pass

    def compare_restart(self, before):
        """The journal brought back every order the bridge showed before
        the kill, none with less CumQty, none finished differently."""
        try:
            after = dict((o["order_id"], o) for o in self.p.bridge_orders())
        except (OSError, ValueError) as e:
            self.journal_problems.append("restart %d: GET /orders failed: %s" % (self.p.starts, e))
            return
        for o in before:
            a = after.get(o["order_id"])
            if a is None:
                self.journal_problems.append(
                    "restart %d: order %s (ClOrdID %s, %s) was in /orders before the kill and "
                    "is gone after it" % (self.p.starts, o["order_id"], o["cl_ord_id"], o["state"]))
                continue
            if D(a["cum_qty"]) < D(o["cum_qty"]):
                self.journal_problems.append(
                    "restart %d: order %s CumQty went from %s before the kill to %s after it"
                    % (self.p.starts, o["order_id"], o["cum_qty"], a["cum_qty"]))
            if o["state"] in TERMINAL and a["state"] != o["state"]:
                self.journal_problems.append(
                    "restart %d: order %s was %s before the kill, %s after it"
                    % (self.p.starts, o["order_id"], o["state"], a["state"]))

    def snapshot(self):
        try:
            return self.p.bridge_orders()
        except (OSError, ValueError):
            return None

    def kill(self, mode, before):
        self.p.kill_bridge()
        self.scan()
        self.kills += 1
        self.kill_modes[mode] = self.kill_modes.get(mode, 0) + 1
        if self.args.verbose:
            log("kill %d (%s) after %d orders" % (self.kills, mode, len(self.sent_new)))
        self.restart(before)

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
        self.oms.send("D", [("11", cl), ("55", "BTC/USDT"), ("54", side),
                            ("60", fixwire.utc_timestamp()), ("38", qty), ("40", "2"),
                            ("44", str(px)), ("59", tif)])
        return cl

    def cancel(self, o):
        cl = self.next_id("c")
        self.oms.send("F", [("41", o["cl_ord_id"]), ("11", cl), ("55", "BTC/USDT"),
                            ("54", "2" if o["side"] == "sell" else "1"),
                            ("60", fixwire.utc_timestamp()), ("38", o["order_qty"])])
        return cl

    def replace(self, o):
        cl = self.next_id("r")
        qty = "0.0%d" % self.rng.randint(1, 5)
        px = self.price + TICK * self.rng.randint(-4, 4)
        self.oms.send("G", [("41", o["cl_ord_id"]), ("11", cl), ("55", "BTC/USDT"),
                            ("54", "2" if o["side"] == "sell" else "1"),
                            ("60", fixwire.utc_timestamp()), ("38", qty), ("40", "2"),
                            ("44", str(px)), ("59", "1")])
        return cl

    def move_price(self):
        self.price = BASE_PRICE + TICK * self.rng.randint(-6, 6)
        self.p.set_price(self.price)

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
            if self.venue == "binance":
                mode = self.rng.choice(["idle", "after_send", "in_flight", "in_flight"])
            else:
                mode = self.rng.choice(["idle", "after_send", "burst", "burst"])
        before = self.snapshot() if kill_here else None
        if mode == "idle":
            self.kill(mode, before)
        if mode == "in_flight":
            on = self.rng.choice(["new", "new", "cancel", "replace"])
            http("POST", self.p.sim_port, "/__sim/fault",
                 {"kind": "delay_after_place", "ms": "1500", "on": on, "count": "1"})
            kind, cl = self.action(on)
            time.sleep(self.rng.uniform(0.15, 0.6))  # the request is at the venue, held
            self.kill("in_flight_%s" % kind, before)
            return
        if mode == "burst":
            for _ in range(self.rng.randint(2, 6)):
                self.action(self.rng.choice(["new", "new", "cancel", "replace"]))
            time.sleep(self.rng.uniform(0.0, 0.06))
            self.kill(mode, before)
            return
        start = len(self.oms.msgs)
        kind, cl = self.action()
        if mode == "after_send":
            time.sleep(self.rng.uniform(0.0, 0.25))
            self.kill(mode, before)
            return
        if cl and self.oms.wait_for(cl, start, 3.0) is None:
            self.unanswered += 1

    def run(self):
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
def settle(procs, oms, timeout=SETTLE_MAX_S):
    """Polls until nothing is Pending* and nothing (orders, the OMS's
    messages, the venue's book) changed for the quiet window, counted only
    while the venue's weight left the adapter free to poll. Returns
    (orders, settled, seconds waited, highest weight seen)."""
    quiet = max(3.0, 20 * POLL_MS / 1000.0)
    start = time.time()
    deadline = start + timeout
    last, since = None, time.time()
    orders = []
    wmax = 0
    while time.time() < deadline:
        orders = procs.bridge_orders()
        venue = procs.venue()
        weight = procs.venue_weight()
        wmax = max(wmax, weight)
        snap = (sorted((o["order_id"], o["state"], o["cum_qty"], o["client_order_id"])
                       for o in orders),
                len(oms.msgs),
                sorted((v["clientOrderId"], v["status"], v["executedQty"])
                       for v in venue["orders"]) if venue else None)
        if snap != last or weight * 10 >= WEIGHT_LIMIT * 9:
            last, since = snap, time.time()
        elif time.time() - since >= quiet and not any(o["state"] in PENDING for o in orders):
            return orders, True, time.time() - start, wmax
        time.sleep(0.25)
    return orders, False, time.time() - start, wmax


def split_coid(coid):
    """fb<OrderID>-<version> -> (OrderID, version) or (None, None)."""
    m = re.match(r"^fb(.+)-(\d+)$", coid)
    return (m.group(1), int(m.group(2))) if m else (None, None)


def check_venue(h, orders, venue):
    """lost (the OMS's and the venue's side), duplicates, state, cumqty."""
    problems = {"lost": [], "duplicates": [], "state": [], "cumqty": []}
    bad = set()
    by_id = dict((o["order_id"], o) for o in orders)
    for cl, oid in sorted(h.acked.items()):
        if oid not in by_id:
            problems["lost"].append("ClOrdID %s (OrderID %s) was acknowledged but is not in "
                                    "the bridge's /orders" % (cl, oid))
    if venue is None:
        return problems, bad
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
            bad.add(oid)
        vby.setdefault(oid, []).append((ver, vo))
    for c in venue["counts"]:
        if c["orders"] > 1:
            problems["duplicates"].append("clientOrderId %s: %d venue orders from %d requests"
                                          % (c["clientOrderId"], c["orders"], c["posts"]))
            bad.add(split_coid(c["clientOrderId"])[0])
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
            bad.add(o["order_id"])
        vcum = sum((D(v["executedQty"]) for _, v in vos), D(0))
        if D(o["cum_qty"]) != vcum:
            problems["cumqty"].append("%s; venue executed %s in all (%s)" % (desc, vcum, vdesc))
            bad.add(o["order_id"])
    return problems, bad


def er_key(f):
    """What one ExecutionReport says happened."""
    return (f.get("37"), f.get("150"), f.get("39"), f.get("14"), f.get("32"), f.get("11"))


def seqno(f):
    try:
        return int(f.get("34", "0"))
    except ValueError:
        return 0


def exec_order(eid):
    """The bridge's ExecIDs are <run prefix>-<counter>: the prefix is the
    run's start time (ns, base 36, bridge/order.c), the counter counts the
    run's reports, and a report resent after a restart keeps its original
    ExecID. So this key orders an order's reports as the bridge decided them
    (the journal's order); None for an ExecID of another form."""
    m = re.match(r"^([0-9a-z]+)-(\d+)$", eid or "")
    return (int(m.group(1), 36), int(m.group(2))) if m else None


def check_fix(oms, orders):
    """The OMS's view over every connection, original and resent messages,
    deduplicated by ExecID as the OMS would; see the module docstring.

    Order: MsgSeqNum, the order in which the OMS's FIX layer hands the
    reports to the application (a gap is filled by a resend before anything
    after it is processed), so the last word is what the OMS is left with.
    A PossResend (97=Y) report is a new message with a new MsgSeqNum and
    takes its place in that order like any other; a PossDup (43=Y) copy
    keeps its original MsgSeqNum, and of an ExecID received more than once
    the copy with the lowest MsgSeqNum counts. The ExecIDs must rise in
    that order too: a resent report that reaches the OMS after a newer one
    for the same order would leave it on a stale state."""
    problems = []
    bad = set()
    by_exec = {}
    uniq = []
    with oms.cond:
        msgs = list(oms.msgs)
    msgs.sort(key=lambda m: seqno(m[1]))  # stable: copies of one MsgSeqNum keep arrival order
    for t, f in msgs:
        if t != "8":
            continue
        eid = f.get("17")
        flagged = f.get("43") == "Y" or f.get("97") == "Y"
        if eid in by_exec:
            first = by_exec[eid]
            if er_key(first) != er_key(f):
                problems.append("ExecID %s describes two events: %s and %s" % (
                    eid, er_key(first), er_key(f)))
                bad.add(f.get("37"))
            elif not flagged:
                problems.append("ExecID %s (order %s, 150=%s) delivered again without "
                                "PossDupFlag or PossResend (MsgSeqNum %s, then %s)" % (
                                    eid, f.get("37"), f.get("150"), first.get("34"), f.get("34")))
                bad.add(f.get("37"))
            continue
        by_exec[eid] = f
        uniq.append(f)
    # OrderCancelRejects carry the order's OrdStatus too (39=2 when a fill
    # beat the cancel/replace): the OMS's last word may be one of them.
    # No ExecID: a resend repeats its MsgSeqNum.
    cxl = {}
    for t, f in msgs:
        if t == "9" and f.get("37") and f.get("37") != "NONE":
            cxl.setdefault(f.get("37"), {}).setdefault(f.get("34"), f)
    per = {}
    for f in uniq:
        oid = f.get("37")
        if not oid or oid == "NONE":
            continue
        if f.get("150") == "I" or (f.get("150") == "8" and f.get("39") != "8"):
            continue  # status answers, duplicate-ClOrdID rejects: no change
        per.setdefault(oid, []).append(f)
    final = dict((o["order_id"], o) for o in orders)

    for oid, evs in sorted(per.items()):
        o = final.get(oid)
        where = "order %s (ClOrdID %s)" % (oid, evs[0].get("11"))
        # every report, resent or not, in MsgSeqNum order (see above)
        live = sorted(evs, key=seqno)
        prev_key = None
        for f in live:
            k = exec_order(f.get("17"))
            if k is None:
                problems.append("%s: ExecID %s is not <run>-<counter>" % (where, f.get("17")))
                bad.add(oid)
            elif prev_key is not None and k <= prev_key[0]:
                problems.append("%s: ExecID %s (MsgSeqNum %s%s, 39=%s) reached the OMS after the "
                                "newer ExecID %s (MsgSeqNum %s, 39=%s): a report out of the "
                                "journal's order" % (
                                    where, f.get("17"), f.get("34"),
                                    " 97=Y" if f.get("97") == "Y" else "", f.get("39"),
                                    prev_key[1].get("17"), prev_key[1].get("34"),
                                    prev_key[1].get("39")))
                bad.add(oid)
            if k is not None and (prev_key is None or k > prev_key[0]):
                prev_key = (k, f)
        # the same change reported under two ExecIDs
        seen = {}
        for f in evs:
            k = er_key(f)
            if k in seen:
                problems.append("%s: one change reported twice, ExecIDs %s and %s (150=%s 39=%s "
                                "CumQty %s)" % (where, seen[k], f.get("17"), f.get("150"),
                                                f.get("39"), f.get("14")))
                bad.add(oid)
            seen[k] = f.get("17")
        # OrdStatus sequence and CumQty, in the bridge's send order
        if live and live[0].get("39") not in ("A", "8"):
            problems.append("%s: first report is 150=%s 39=%s (ExecID %s), not PendingNew" % (
                where, live[0].get("150"), live[0].get("39"), live[0].get("17")))
            bad.add(oid)
        prev = None
        for f in live:
            if prev is not None:
                if prev.get("39") in TERMINAL_39:
                    problems.append("%s: 39=%s (ExecID %s) after terminal 39=%s (ExecID %s)" % (
                        where, f.get("39"), f.get("17"), prev.get("39"), prev.get("17")))
                    bad.add(oid)
                if f.get("39") == "A":
                    problems.append("%s: back to PendingNew (ExecID %s)" % (where, f.get("17")))
                    bad.add(oid)
                if D(f.get("14", "0")) < D(prev.get("14", "0")):
                    problems.append("%s: CumQty went down from %s to %s (ExecID %s)" % (
                        where, prev.get("14"), f.get("14"), f.get("17")))
                    bad.add(oid)
            if f.get("39") == "2" and D(f.get("14", "0")) != D(f.get("38", "0")):
                problems.append("%s: Filled with CumQty %s of OrderQty %s (ExecID %s)" % (
                    where, f.get("14"), f.get("38"), f.get("17")))
                bad.add(oid)
            prev = f
        # each fill exactly once: sorted by CumQty, each adds its LastQty
        trades = sorted((f for f in evs if f.get("150") == "F"), key=lambda f: D(f.get("14", "0")))
        cum = D(0)
        for f in trades:
            want = cum + D(f.get("32", "0"))
            if D(f.get("14", "0")) != want:
                problems.append("%s: fill ExecID %s has LastQty %s and CumQty %s, the fills "
                                "before it add up to %s: a fill is %s on the wire" % (
                                    where, f.get("17"), f.get("32"), f.get("14"), cum,
                                    "missing" if D(f.get("14")) > want else "doubled"))
                bad.add(oid)
            cum = D(f.get("14", "0"))
        # the last word equals the bridge's
        if o is not None:
            # the latest in MsgSeqNum order, a resent report included (the
            # ExecID check above holds that order to the journal's)
            lastf = max(live + list(cxl.get(oid, {}).values()), key=seqno) if live else None
            wire_state = ORD_STATUS.get(lastf.get("39"), lastf.get("39")) if lastf else "none"
            wire_cum = D(max((D(f.get("14", "0")) for f in evs), default=D(0)))
            if o["state"] not in PENDING and wire_state != o["state"]:
                problems.append("%s: the OMS's last report says %s (ExecID %s, MsgSeqNum %s), "
                                "the bridge says %s: a report is missing on the wire" % (
                                    where, wire_state, lastf.get("17") if lastf else "-",
                                    lastf.get("34") if lastf else "-", o["state"]))
                bad.add(oid)
            if wire_cum != D(o["cum_qty"]):
                problems.append("%s: CumQty on the wire %s, the bridge's %s" % (
                    where, wire_cum, o["cum_qty"]))
                bad.add(oid)
    for o in orders:
        if o["order_id"] not in per:
            problems.append("order %s (ClOrdID %s, %s): no ExecutionReport reached the OMS" % (
                o["order_id"], o["cl_ord_id"], o["state"]))
            bad.add(o["order_id"])
    for r in oms.session_rejects:
        problems.append("session Reject from the bridge: %s" % r)
    return problems, bad


# -- tracing one order -------------------------------------------------------
def journal_records(workdir):
    """(seq, type, payload dict) of every record in data/journal."""
    out = []
    for fn in sorted(glob.glob(os.path.join(workdir, "data", "journal", "*.fbj"))):
        with open(fn, "rb") as f:
            b = f.read()
        off = 16
        while off + 40 <= len(b):
            magic, _, typ, _, _, ln, seq, _ = struct.unpack_from("<4sHHHHIQq", b, off)
            if magic != b"FBJR" or off + 40 + ln > len(b):
                break
            text = b[off + 36:off + 36 + ln].decode("utf-8", "replace")
            kv = dict(l.split("=", 1) for l in text.split("\n") if "=" in l)
            out.append((seq, typ, kv))
            off += 40 + ln
    return out


EVENT_NAMES = ["ACCEPT", "REJECT", "ACK", "FILL", "CANCEL_REQUEST", "CANCELED", "CANCEL_REJECT",
               "REPLACE_REQUEST", "REPLACED", "REPLACE_REJECT", "EXPIRED", "STATUS",
               "DUPLICATE_NEW"]


def trace(procs, oms, oid, venue, jrecs):
    lines = ["  trace of order %s:" % oid]
    for seq, typ, kv in jrecs:
        if kv.get("order_id") != oid:
            continue
        if typ == 1:
            what = "NEW %s %s qty %s px %s tif %s" % (kv.get("cl_ord_id"), kv.get("coid"),
                                                      kv.get("qty"), kv.get("price"), kv.get("tif"))
        else:
            t = int(kv.get("type", "-1"))
            name = EVENT_NAMES[t] if 0 <= t < len(EVENT_NAMES) else kv.get("type")
            extra = " ".join("%s=%s" % (k, v) for k, v in kv.items()
                             if k not in ("v", "order_id", "type", "time", "reason")
                             and v not in ("", "0"))
            what = "%s %s" % (name, extra)
        lines.append("    journal #%d %s" % (seq, what))
    with oms.cond:
        msgs = list(oms.msgs)
    for t, f in msgs:
        if f.get("37") == oid or (t == "9" and f.get("37") == oid):
            lines.append("    fix conn %d 35=%s 34=%s%s%s 17=%s 11=%s 150=%s 39=%s 14=%s 32=%s %s" % (
                f["_conn"], t, f.get("34"), " 43=Y" if f.get("43") == "Y" else "",
                " 97=Y" if f.get("97") == "Y" else "", f.get("17"), f.get("11"), f.get("150"),
                f.get("39"), f.get("14"), f.get("32"), f.get("58", "")))
    if venue:
        for v in venue["orders"]:
            if split_coid(v["clientOrderId"])[0] == oid:
                lines.append("    venue %s orderId %s %s exec %s" % (
                    v["clientOrderId"], v["orderId"], v["status"], v["executedQty"]))
    try:
        with open(os.path.join(procs.dir, "bridge.log"), errors="replace") as f:
            hits = [l.rstrip() for l in f if oid in l or l.startswith("==== harness")]
        hits = [l for i, l in enumerate(hits)
                if not l.startswith("====") or (i + 1 < len(hits) and
                                               not hits[i + 1].startswith("===="))]
        for l in hits[-40:]:
            lines.append("    log " + l[:240])
    except OSError:
        pass
    return "\n".join(lines)


# -- one run -------------------------------------------------------------------
def run_mode(args, binary, venue_mode, fsync):
    workdir = tempfile.mkdtemp(prefix="fb-crash-%s-" % venue_mode)
    procs = Procs(binary, workdir, venue_mode)
    procs.fsync = fsync
    started = time.time()
    passed = failed = 0
    summary = None
    try:
        procs.start_venue()
        h = Harness(args, procs, venue_mode)
        h.run()
        orders, settled, waited, wmax = settle(procs, h.oms)
        venue = procs.venue()
        h.scan()
        vprob, vbad = check_venue(h, orders, venue)
        fprob, fbad = check_fix(h.oms, orders)
        lost = vprob["lost"] + h.journal_problems
        pend = ["order %s (ClOrdID %s) is still %s" % (o["order_id"], o["cl_ord_id"], o["state"])
                for o in orders if o["state"] in PENDING]
        log("[%s] settled in %.1f s%s (venue weight up to %d of %d)" % (
            venue_mode, waited, "" if settled else ": NOT settled within %d s" % SETTLE_MAX_S,
            wmax, WEIGHT_LIMIT))
        cases = [("lost", lost), ("reconciled", pend), ("fix", fprob)]
        if venue_mode == "binance":
            cases += [("duplicates", vprob["duplicates"]), ("state", vprob["state"]),
                      ("cumqty", vprob["cumqty"])]
        for name, probs in cases:
            if probs:
                failed += 1
                log("FAIL %s %s (%d)" % (venue_mode, name, len(probs)))
                for p in probs[:40]:
                    log("    " + p)
            else:
                passed += 1
                log("PASS %s %s" % (venue_mode, name))
        bad = sorted(x for x in (vbad | fbad) if x)
        if bad:
            jrecs = journal_records(workdir)
            for oid in bad[:8]:
                log(trace(procs, h.oms, oid, venue, jrecs))
            # was it the harness not waiting long enough?
            time.sleep(30)
            orders2 = procs.bridge_orders()
            venue2 = procs.venue()
            vp2, vb2 = check_venue(h, orders2, venue2)
            fp2, fb2 = check_fix(h.oms, orders2)
            still = sorted(x for x in (vb2 | fb2) if x)
            log("after 30 s more: %d of %d orders still mismatched%s" % (
                len([x for x in bad if x in still]), len(bad),
                (" (" + ", ".join(still[:12]) + ")") if still else ""))
        code = procs.stop_bridge()
        if code != 0:
            failed += 1
            log("FAIL %s clean_exit: fixbridge exited %s on SIGTERM" % (venue_mode, code))
        else:
            passed += 1
            log("PASS %s clean_exit" % venue_mode)
        log("[%s] kill points: %s; requests without an answer within 3 s: %d; OMS connections "
            "%d, ExecutionReports received %d (PossResend: %d ExecIDs)" % (
                venue_mode,
                ", ".join("%s %d" % kv for kv in sorted(h.kill_modes.items())) or "none",
                h.unanswered, h.oms.conns, sum(1 for t, _ in h.oms.msgs if t == "8"),
                len(set(f.get("17") for t, f in h.oms.msgs if t == "8" and f.get("97") == "Y"))))
        summary = ("crash harness: venue %s, fsync %s, seed %d, kills %d, orders %d, lost %d, "
                   "duplicates %d, state mismatches %d, cumqty mismatches %d, fix problems %d "
                   "(%.1f s)" % (
                       venue_mode, procs.fsync, args.seed, h.kills, len(h.sent_new), len(lost),
                       len(vprob["duplicates"]), len(vprob["state"]), len(vprob["cumqty"]),
                       len(fprob), time.time() - started))
        log(summary)
        h.oms.close()
    except (RuntimeError, OSError, ValueError, KeyError, fixwire.WireError) as e:
        failed += 1
        log("FAIL %s harness: %s: %s" % (venue_mode, type(e).__name__, e))
    finally:
        procs.close()
    if failed:
        with open(os.path.join(workdir, "bridge.log"), errors="replace") as f:
            tail = f.read()[-4000:]
        log("--- bridge log (end; all of it in %s) ---\n%s" % (workdir, tail))
    if failed or args.keep:
        log("work dir kept: %s" % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return passed, failed, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--venue", default="binance",
                    help="binance, paper, or a comma list run in turn (default binance)")
    ap.add_argument("--fsync", default="every",
                    help="journal_fsync, or a comma list taken in turn with --venue's "
                         "(default every)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--orders", type=int, default=60)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    modes = [m.strip() for m in args.venue.split(",") if m.strip()]
    if not modes or any(m not in ("binance", "paper") for m in modes):
        ap.error("--venue: binance, paper or both, comma-separated")
    fsyncs = [m.strip() for m in args.fsync.split(",") if m.strip()]
    if not fsyncs or any(m not in ("every", "group", "never") for m in fsyncs):
        ap.error("--fsync: every, group or never, or a comma list")
    binary = os.path.abspath(args.binary)

    def on_term(sig, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)
    passed = failed = 0
    summaries = []
    try:
        for i, m in enumerate(modes):
            p, f, s = run_mode(args, binary, m, fsyncs[i % len(fsyncs)])
            passed += p
            failed += f
            if s:
                summaries.append(s)
    except KeyboardInterrupt:
        failed += 1
        log("FAIL harness: interrupted")
    if len(summaries) > 1:
        for s in summaries:
            log(s)
    fbtest.finish(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
