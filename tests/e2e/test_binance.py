#!/usr/bin/env python3
"""End to end through the Binance adapter: `fixbridge client` (FIX) ->
`fixbridge run` (a `type: binance` venue) -> `fixbridge venue-sim --venue
binance` on 127.0.0.1, all real processes on free ports.

Each case starts its own venue-sim and bridge, may queue venue-sim faults
(POST /__sim/fault) before its script runs, and runs a client script whose
`admin` lines go to the venue-sim's control endpoint (--admin-port is the
venue-sim's port), e.g. `admin POST /__sim/price symbol=BTCUSDT price=59000`.
Afterwards GET /__sim/orders must show the expected number of venue orders
and no clientOrderId with more than one order (no duplicate venue order);
fills are checked by the scripts' CumQty (no lost fill).

The venue's reference price is its bookTicker touch (the adapter polls it),
so the default policy applies: collar_bps 500 around the venue's touch and
market orders converted to IOC limits at the touch + slippage_bps. A case
may override the policy and add venue keys (its `opts`), and a case may
run in phases (several client scripts with runner actions in between,
e.g. waiting on the bridge's own /metrics, whose admin port the client's
`admin` lines do not reach).

The operator controls run against the venue-sim too (phased cases, two
sessions with their own accounts): the kill switch per session, account and
venue scope, OrderMassCancelRequest (q) and cancel on disconnect; what each
cancels, and what it leaves alone, is checked on the venue-sim's own order
list (GET /__sim/orders), not only on FIX.

Prints PASS/FAIL per case and the closing line `N passed, M failed`.
usage: test_binance.py FIXBRIDGE_BINARY [NAME_SUBSTRING ...]
"""
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vsimtest  # noqa: E402
from vsimtest import FILLED, NEW, POLICY_ALLOW_MARKET, http  # noqa: E402

KEY = "vsimKey0123456789"
SECRET = "vsimSecret0123456789abcdef"

CONFIG = """bridge:
  data_dir: data
  log_level: info
%(bridge_extra)s
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
%(session_extra)s
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
%(venue_extra)s
routes:
  - { symbol: BTC/USDT, venue: bn, venue_symbol: BTCUSDT }
%(policy)s
"""

# The default policy (collar_bps 500, market_orders convert_to_ioc_limit,
# slippage_bps 50, max_order_qty 10, ...) against the venue's touch: no
# workaround needed. Only CashOrderQty market orders cannot be capped
# (POLICY_ALLOW_MARKET).

# (name, extra venue-sim args, faults, script, venue orders expected[, opts]):
# see vsimtest.py for opts; "run" is a phased case (a function of a
# vsimtest.Run, see breaker_opens_and_recovers).
CASES = [
    ("limit_marketable_buy", [], [], """
buy BTC/USDT 0.01 limit 61000 tif gtc id=o1
%s LastPx=60000
expect-none 0.3
""" % (FILLED % ("o1", "0.01")), 1),
]

# Market orders: valued (notional, qty of a CashOrderQty order) at the
# venue's touch, from the adapter's bookTicker polling.
CASES += [
    ("market_fill", [], [], """
buy BTC/USDT 0.01 market tif ioc id=o1
%s LastPx=60000
expect-none 0.3
""" % (FILLED % ("o1", "0.01")), 1, {"policy": POLICY_ALLOW_MARKET}),
    ("market_quote_qty", [], [], """
buy BTC/USDT cash=600 market tif ioc id=o1
%s LastPx=60000
""" % (FILLED % ("o1", "0.01")), 1, {"policy": POLICY_ALLOW_MARKET}),
    # Day (59=0, or 59 absent: FIX's default) on a market order: Binance
    # has no Day, but a MARKET order never rests, so it is sent as MARKET
    # with no timeInForce (the venue-sim answers -1106 to one that has it).
    ("market_day_and_absent_tif_fill", [], [], """
buy BTC/USDT 0.01 market id=o1
%s LastPx=60000
sell BTC/USDT 0.01 market tif day id=o2
%s LastPx=60000
""" % (FILLED % ("o1", "0.01"), FILLED % ("o2", "0.01")), 2,
     {"policy": POLICY_ALLOW_MARKET, "venue_types": ["MARKET", "MARKET"]}),
    # FOK on a market order: a Binance MARKET order's remainder expires
    # (IOC), so sending it would trade part of an all-or-none order:
    # refused with no venue call (spec/RULES_OF_ENGAGEMENT.md).
    ("market_fok_refused", [], [], """
buy BTC/USDT 0.01 market tif fok id=o1
wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o1 Text="bn: Binance market orders cannot be fill-or-kill"
""", 0, {"policy": POLICY_ALLOW_MARKET}),
    # Under the default policy a Day market order is capped as an IOC
    # limit and a FOK one as a FOK limit (never one for the other).
    ("market_day_and_fok_capped", [], [], """
buy BTC/USDT 0.01 market id=o1
wait-for ExecutionReport ExecType=PendingNew OrdStatus=PendingNew ClOrdID=o1 Text="Market order sent as IOC limit 60300: reference 60000 + slippage_bps 50, rounded down to tick 0.01"
%s LastPx=60000
buy BTC/USDT 0.01 market tif fok id=o2
wait-for ExecutionReport ExecType=PendingNew OrdStatus=PendingNew ClOrdID=o2 Text="Market order sent as FOK limit 60300: reference 60000 + slippage_bps 50, rounded down to tick 0.01"
%s LastPx=60000
""" % (FILLED % ("o1", "0.01"), FILLED % ("o2", "0.01")), 2, {"venue_types": ["LIMIT", "LIMIT"]}),
    # The default policy sends a market order as an IOC limit at the
    # venue's ask + 50 bps (rounded down to the tick); the PendingNew says so.
    ("market_converted_to_ioc_limit", ["--spread-bps", "10"], [], """
buy BTC/USDT 0.01 market tif ioc id=o1
wait-for ExecutionReport ExecType=PendingNew OrdStatus=PendingNew ClOrdID=o1 Text="Market order sent as IOC limit 60330.15: reference 60030 + slippage_bps 50, rounded down to tick 0.01"
%s LastPx=60030
sell BTC/USDT 0.01 market tif ioc id=o2
wait-for ExecutionReport ExecType=PendingNew OrdStatus=PendingNew ClOrdID=o2 Text="Market order sent as IOC limit 59670.15: reference 59970 - slippage_bps 50, rounded up to tick 0.01"
%s LastPx=59970
""" % (FILLED % ("o1", "0.01"), FILLED % ("o2", "0.01")), 2, {"venue_types": ["LIMIT", "LIMIT"]}),
    # The collar is measured from the venue's touch: 64000 is refused
    # against 60000 and accepted once the venue trades at 66000.
    ("collar_against_venue_reference", [], [], """
buy BTC/USDT 0.01 limit 64000 tif gtc id=o1
wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o1 Text="Limit price 64000 is 666.67 bps from reference 60000; collar is 500 bps (policy: default)"
admin POST /__sim/price symbol=BTCUSDT price=66000
sleep 0.5
buy BTC/USDT 0.01 limit 64000 tif gtc id=o2
%s
""" % (NEW % "o2"), 1),
]

CASES += [
    ("limit_marketable_fill", [], [], """
sell BTC/USDT 0.01 limit 59000 tif gtc id=o1
%s LastPx=60000
""" % (FILLED % ("o1", "0.01")), 1),
    ("limit_rest_then_cancel", [], [], """
buy BTC/USDT 0.01 limit 59000 tif gtc id=o1
%s
cancel o1 id=c1
wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled ClOrdID=c1 OrigClOrdID=o1 CumQty=0 LeavesQty=0
""" % (NEW % "o1"), 1),
    ("limit_ioc_expires", [], [], """
buy BTC/USDT 0.01 limit 59000 tif ioc id=o1
wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled ClOrdID=o1 CumQty=0 LeavesQty=0
""", 1),
    ("limit_fok_fills", [], [], """
buy BTC/USDT 0.01 limit 61000 tif fok id=o1
%s LastPx=60000
""" % (FILLED % ("o1", "0.01")), 1),
    ("post_only_rests_and_fills", [], [], """
buy BTC/USDT 0.01 limit 59000 tif gtc post-only id=o1
%s
admin POST /__sim/price symbol=BTCUSDT price=59000
%s LastPx=59000
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1),
    ("post_only_cross_rejected_with_venue_text", [], [], """
buy BTC/USDT 0.01 limit 61000 tif gtc post-only id=o1
wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o1 Text="bn: Order would immediately match and take. (code -2010)"
""", 0),
    ("stop_would_trigger_rejected_with_venue_text", [], [], """
buy BTC/USDT 0.01 stop=59000 tif gtc id=o1
wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o1 Text="bn: Order would trigger immediately. (code -2010)"
""", 0),
    ("stop_market_triggers", [], [], """
sell BTC/USDT 0.01 stop=59000 tif gtc id=o1
%s
admin POST /__sim/price symbol=BTCUSDT price=58900
%s LastPx=58900
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1),
    ("stop_limit_triggers", [], [], """
sell BTC/USDT 0.01 limit 58000 stop=59000 tif gtc id=o1
%s
admin POST /__sim/price symbol=BTCUSDT price=58900
%s LastPx=58900
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1),
    # Take-profit is OrdType J (market if touched), StopPx the trigger;
    # with Price a take-profit-limit. It triggers on the opposite side from
    # a stop: a sell when the price rises to it, a buy when it falls to it.
    ("take_profit_would_trigger_rejected_with_venue_text", [], [], """
sell BTC/USDT 0.01 stop=59000 type=take-profit tif gtc id=o1
wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o1 Text="bn: Order would trigger immediately. (code -2010)"
""", 0),
    ("take_profit_market_rests_then_triggers", [], [], """
sell BTC/USDT 0.01 stop=61000 type=take-profit tif gtc id=o1
%s
admin POST /__sim/price symbol=BTCUSDT price=59000
expect-none 0.5
admin POST /__sim/price symbol=BTCUSDT price=61100
%s LastPx=61100
""" % (NEW % "o1 OrdType=J StopPx=61000", FILLED % ("o1", "0.01")), 1),
    ("take_profit_limit_rests_then_triggers", [], [], """
buy BTC/USDT 0.01 limit 59000 stop=59100 type=take-profit-limit tif gtc id=o1
%s
admin POST /__sim/price symbol=BTCUSDT price=59000
%s LastPx=59000
""" % (NEW % "o1 OrdType=J Price=59000 StopPx=59100", FILLED % ("o1", "0.01")), 1),
    ("iceberg_rests_and_fills", [], [], """
buy BTC/USDT 0.02 limit 59000 tif gtc display=0.005 id=o1
%s
admin POST /__sim/price symbol=BTCUSDT price=59000
%s LastPx=59000
""" % (NEW % "o1", FILLED % ("o1", "0.02")), 1),
    ("partial_fill_then_cancel", ["--fill", "partial", "--parts", "2", "--tick-ms", "600000"], [],
     """
buy BTC/USDT 0.02 limit 59000 tif gtc id=o1
%s
admin POST /__sim/price symbol=BTCUSDT price=59000
wait-for ExecutionReport ExecType=Trade OrdStatus=PartiallyFilled ClOrdID=o1 LastQty=0.01 LastPx=59000 CumQty=0.01 LeavesQty=0.01
admin POST /__sim/price symbol=BTCUSDT price=60000
cancel o1 id=c1
wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled ClOrdID=c1 OrigClOrdID=o1 CumQty=0.01 LeavesQty=0
""" % (NEW % "o1"), 1),
    ("replace_price_and_qty", [], [], """
buy BTC/USDT 0.01 limit 59000 tif gtc id=o1
%s
replace o1 qty=0.02 price=59500 tif gtc id=o2
wait-for ExecutionReport ExecType=Replaced ClOrdID=o2 OrigClOrdID=o1 OrderQty=0.02 Price=59500 LeavesQty=0.02
admin POST /__sim/price symbol=BTCUSDT price=59500
%s LastPx=59500
""" % (NEW % "o1", FILLED % ("o2", "0.02")), 2),
    # The cancelReplace was made but its answer is a 5xx: the adapter
    # finds the new order by its id and reports the replace (two venue
    # orders: the old one canceled, the new one filled later).
    ("fault_5xx_after_replace", [], ["kind=5xx_after_place&on=replace"], """
buy BTC/USDT 0.01 limit 59000 tif gtc id=o1
%s
replace o1 qty=0.02 price=59500 tif gtc id=o2
wait-for ExecutionReport ExecType=Replaced ClOrdID=o2 OrigClOrdID=o1 OrderQty=0.02 Price=59500 LeavesQty=0.02 timeout=15
admin POST /__sim/price symbol=BTCUSDT price=59500
%s LastPx=59500 timeout=15
expect-none 0.5
""" % (NEW % "o1", FILLED % ("o2", "0.02")), 2),
    # The same fault before the venue acted: the replacement is not there
    # and the old order is still open, so the replace is refused and the
    # order keeps its terms, on FIX as at the venue.
    ("fault_5xx_before_replace", [], ["kind=5xx_before_place&on=replace"], """
buy BTC/USDT 0.01 limit 59000 tif gtc id=o1
%s
replace o1 qty=0.02 price=59500 tif gtc id=o2
wait-for OrderCancelReject ClOrdID=o2 OrigClOrdID=o1 OrdStatus=New CxlRejResponseTo=OrderCancelReplaceRequest timeout=15
status o1 symbol=BTC/USDT side=buy
expect ExecutionReport ExecType=OrderStatus OrdStatus=New ClOrdID=o1 OrderQty=0.01 Price=59000 LeavesQty=0.01
admin POST /__sim/price symbol=BTCUSDT price=59000
%s LastPx=59000 timeout=15
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1),
    # Faults: the outcome of the order POST is unknown or refused; the
    # adapter must reconcile without a second venue order or a lost fill.
    ("fault_5xx_after_place", [], ["kind=5xx_after_place"], """
buy BTC/USDT 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 0.5
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_503_before_place", [], ["kind=5xx_before_place"], """
buy BTC/USDT 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 0.5
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_1007_after_place", [], ["kind=1007_after_place"], """
buy BTC/USDT 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 0.5
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_delay_beyond_timeout", [], ["kind=delay_after_place&ms=2500"], """
buy BTC/USDT 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 3
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_drop_after_place", [], ["kind=drop_after_place"], """
buy BTC/USDT 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 0.5
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_malformed_json", [], ["kind=malformed_after_place"], """
buy BTC/USDT 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 0.5
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_429_retry_after", [], ["kind=429&retry_after=1"], """
buy BTC/USDT 0.01 limit 59000 tif gtc id=o1
%s timeout=15
admin POST /__sim/price symbol=BTCUSDT price=59000
%s LastPx=59000
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1),
    ("fault_5xx_after_resting_place_then_fill", [], ["kind=5xx_after_place"], """
buy BTC/USDT 0.01 limit 59000 tif gtc id=o1
%s timeout=15
admin POST /__sim/price symbol=BTCUSDT price=59000
%s LastPx=59000
expect-none 0.5
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1),
    ("fault_5xx_after_cancel", [], ["kind=5xx_after_place&on=cancel"], """
buy BTC/USDT 0.01 limit 59000 tif gtc id=o1
%s
cancel o1 id=c1
wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled ClOrdID=c1 OrigClOrdID=o1 CumQty=0 LeavesQty=0 timeout=15
""" % (NEW % "o1"), 1),
]


BREAKER_OPEN = 'fixbridge_breaker_open{venue="bn"'


def breaker_opens_and_recovers(run):
    """The venue answers every order POST with 503 -1008 (outcome unknown,
    nothing placed). The adapter queries (-2013), resends with the same id,
    and after max_attempts (5: POST, GET, POST, GET, POST, GET) gives the
    engine REJECT class UNKNOWN_OUTCOME: one failure, and the breaker
    (consecutive_failures 1) opens. A new order is refused with the
    breaker's Text; the fault is cleared; after the 1.5 s cool-down the
    breaker is half-open and a probe order fills, which closes it."""
    if not run.script("""
buy BTC/USDT 0.01 limit 61000 tif gtc id=o1
wait-for ExecutionReport ExecType=PendingNew OrdStatus=PendingNew ClOrdID=o1
"""):
        return False
    if not run.wait_metric(BREAKER_OPEN, "1", 20):
        return False
    # o2 must reach the bridge within the 1.5 s cool-down (a client logs
    # on in ~0.1 s); the breaker's Text proves it did.
    if not run.script("""
buy BTC/USDT 0.01 limit 61000 tif gtc id=o2
wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o2 OrdRejReason=BrokerOption Text=*
"""):
        return False
    if 'Text="Circuit breaker for venue bn is open' not in run.out:
        run.out += "\no2 was not refused by the breaker"
        return False
    http("POST", run.sim_port, "/__sim/fault", {"kind": "clear"})
    if not run.wait_metric(BREAKER_OPEN + ',state="half_open"}', "1", 5):
        return False
    if not run.script("""
buy BTC/USDT 0.01 limit 61000 tif gtc id=o3
%s LastPx=60000
""" % (FILLED % ("o3", "0.01"))):
        return False
    if not run.wait_metric(BREAKER_OPEN + ',state="closed"}', "0", 5):
        return False
    run.out += "\n" + run.metric("fixbridge_breaker_opened_total")
    # o1, whose outcome the adapter gave up on: the engine asked the venue,
    # which has no such order (never placed), so the OMS gets it Rejected.
    url = "http://127.0.0.1:%d/orders?state=all" % run.bridge.ports["admin"]
    state = None
    with urllib.request.urlopen(url, timeout=5) as r:
        for o in json.loads(r.read().decode()):
            if o["cl_ord_id"] == "o1":
                state = o["state"]
    run.out += "\no1 at the bridge after the venue gave up: %s" % state
    if state != "Rejected":
        run.out += "\no1 should be Rejected: the venue said it has no such order"
        return False
    return True


# Breaker on the wire (see breaker_opens_and_recovers).
CASES += [
    ("breaker_opens_and_recovers", [], ["kind=5xx_before_place&count=1000"], None, 1,
     {"venue": "    breaker: {consecutive_failures: 1, cooldown_ms: 1500, half_open_probes: 1}",
      "run": breaker_opens_and_recovers}),
]


# ---- operator controls against the venue-sim (issue 5 item 8) ----------
# Two sessions, two accounts: oms44 (account acc1) and oms2 (account acc2).
# What a control cancels is checked where it matters, on the venue-sim
# (GET /__sim/orders, through the bridge's venue client order ids), and
# what it leaves alone is checked there too.
# The second session of the two-session cases (account acc2).
OMS2 = """
  - name: oms2
    fix_version: FIX.4.4
    sender_comp_id: FIXBRIDGE
    target_comp_id: OMS2
    port: 0
    reset: on_logon
    store: memory
    account: acc2"""
TWO_SESSIONS = """    account: acc1""" + OMS2


def bridge_http(run, method, path, params=None):
    """The bridge's own admin endpoint; the answer's JSON (or its text)."""
    body = vsimtest.request(method, run.bridge.ports["admin"], path, params)
    run.out += "\nbridge admin %s %s %s -> %s" % (method, path, params or "", body)
    try:
        return json.loads(body)
    except ValueError:
        return body


def bridge_cli(run, *words):
    """`fixbridge admin -c CONFIG --port P WORDS...`, as an operator types
    it; the answer's JSON, or None (and the output in run.out) if the
    command failed."""
    cmd = [run.binary, "admin", "-c", run.bridge.config, "--port",
           str(run.bridge.ports["admin"])] + list(words)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    run.out += "\n$ fixbridge admin %s -> %d %s%s" % (" ".join(words), p.returncode,
                                                     p.stdout, p.stderr)
    if p.returncode != 0:
        return None
    try:
        return json.loads(p.stdout)
    except ValueError:
        return p.stdout


def venue_status(run):
    """FIX ClOrdID -> the status of its order on the venue-sim (None: the
    venue never saw it). The bridge's /orders maps ClOrdID to the venue's
    client order id."""
    sim = {o["clientOrderId"]: o["status"]
           for o in http("GET", run.sim_port, "/__sim/orders")["orders"]}
    return {o["cl_ord_id"]: sim.get(o["client_order_id"])
            for o in bridge_http(run, "GET", "/orders", {"state": "all"})}


def wait_venue(run, want, timeout=10):
    """Polls until every ClOrdID in want has that venue status."""
    deadline = time.time() + timeout
    while True:
        have = venue_status(run)
        if all(have.get(c) == st for c, st in want.items()):
            run.out += "\nvenue-sim: %s" % {c: have.get(c) for c in want}
            return True
        if time.time() > deadline:
            run.out += "\nvenue-sim: wanted %s within %g s, have %s" % (want, timeout, have)
            return False
        time.sleep(0.05)


NEW_O = """buy BTC/USDT 0.01 limit %s tif gtc id=%s
wait-for ExecutionReport ExecType=New OrdStatus=New ClOrdID=%s
"""


def kill_switch(scope, name, oms44_in, oms2_in, cli=False):
    """A phased case: p1 rests from oms2, o1 from oms44; the kill switch
    for (scope, name) is engaged from oms44's script (its `admin` line to
    the bridge). In scope: canceled on the venue-sim, the OMS told with the
    switch's Text, new orders refused with a Text naming it (and the venue
    never sees them). Out of scope: untouched. After release, oms44 trades.
    cli: the listing and the release go through `fixbridge admin kills` /
    `fixbridge admin release SCOPE NAME` instead of plain HTTP."""
    label = "%s %s" % (scope, name)

    def case(run):
        if not run.script(NEW_O % ("59000", "p1", "p1"), session="oms2"):
            return False
        text = NEW_O % ("59100", "o1", "o1")
        text += "admin POST /kill scope=%s name=%s\n" % (scope, name)
        if oms44_in:
            text += ('wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled ClOrdID=o1 '
                     'LeavesQty=0 Text="Canceled by kill switch (%s)" timeout=15\n' % label)
            text += ('buy BTC/USDT 0.01 limit 59100 tif gtc id=o2\n'
                     'wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o2 '
                     'OrdRejReason=BrokerOption '
                     'Text="Kill switch engaged for %s: new orders are refused"\n' % label)
        else:
            text += NEW_O % ("59100", "o2", "o2")
        if not run.script(text, bridge_admin=True):
            return False
        want = {"o1": "CANCELED" if oms44_in else "NEW", "o2": None if oms44_in else "NEW",
                "p1": "CANCELED" if oms2_in else "NEW"}
        if not wait_venue(run, want):
            return False
        if oms2_in:
            text = ("status p1 symbol=BTC/USDT side=buy\n"
                    "expect ExecutionReport ExecType=OrderStatus OrdStatus=Canceled ClOrdID=p1 "
                    "LeavesQty=0\n"
                    "buy BTC/USDT 0.01 limit 59000 tif gtc id=p2\n"
                    "wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=p2 "
                    'Text="Kill switch engaged for %s: new orders are refused"\n' % label)
        else:
            text = ("status p1 symbol=BTC/USDT side=buy\n"
                    "expect ExecutionReport ExecType=OrderStatus OrdStatus=New ClOrdID=p1\n")
            text += NEW_O % ("59000", "p2", "p2")
        if not run.script(text, session="oms2"):
            return False
        kills = bridge_cli(run, "kills") if cli else bridge_http(run, "GET", "/kill")
        if kills != [{"scope": scope, "name": name}]:
            run.out += "\nGET /kill: %s" % kills
            return False
        if cli:
            if bridge_cli(run, "release", scope, name) is None:
                return False
            if bridge_cli(run, "kills") != []:
                return False
        else:
            bridge_http(run, "POST", "/release", {"scope": scope, "name": name})
        if not run.script(NEW_O % ("59200", "o3", "o3")):
            return False
        # A second look: nothing in scope came back, nothing else moved.
        want.update({"o3": "NEW", "p2": None if oms2_in else "NEW"})
        return wait_venue(run, want, timeout=1)
    return case


def mass_cancel_on_venue(run):
    """OrderMassCancelRequest (q) from oms44 for BTC/USDT: its two resting
    orders are canceled on the venue-sim, oms2's is not (a session acts on
    its own orders). A q is a one-off: oms44 may trade right after it."""
    if not run.script(NEW_O % ("59000", "p1", "p1"), session="oms2"):
        return False
    if not run.script((NEW_O % ("59100", "o1", "o1")) + (NEW_O % ("59200", "o2", "o2")) + """
mass-cancel BTC/USDT id=m1
expect OrderMassCancelReport ClOrdID=m1 MassCancelRequestType=1 MassCancelResponse=1 TotalAffectedOrders=2
wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled LeavesQty=0 Text="Canceled by OrderMassCancelRequest m1" timeout=15
wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled LeavesQty=0 Text="Canceled by OrderMassCancelRequest m1" timeout=15
status o1 symbol=BTC/USDT side=buy
wait-for ExecutionReport ExecType=OrderStatus OrdStatus=Canceled ClOrdID=o1
status o2 symbol=BTC/USDT side=buy
wait-for ExecutionReport ExecType=OrderStatus OrdStatus=Canceled ClOrdID=o2
""" + (NEW_O % ("59300", "o3", "o3"))):
        return False
    return wait_venue(run, {"o1": "CANCELED", "o2": "CANCELED", "p1": "NEW", "o3": "NEW"})


COD_SESSIONS = """    account: acc1
    cancel_on_disconnect: true
    cancel_on_disconnect_grace_ms: 3000""" + OMS2


def cancel_on_disconnect_on_venue(run):
    """oms44 has cancel_on_disconnect with a 3 s grace, oms2 has not.
    o1 rests; oms44 logs out and back on within the grace: o1 still rests
    on the venue. It logs out again and stays away: after the grace the
    bridge cancels o1 on the venue-sim; oms2's p1 stays. On its next logon
    oms44 finds o1 Canceled."""
    if not run.script(NEW_O % ("59000", "p1", "p1"), session="oms2"):
        return False
    if not run.script(NEW_O % ("59100", "o1", "o1")):
        return False
    # Back within the grace: nothing is canceled.
    if not run.script("status o1 symbol=BTC/USDT side=buy\n"
                      "expect ExecutionReport ExecType=OrderStatus OrdStatus=New ClOrdID=o1\n"):
        return False
    # The client exits about a second after its Logout; the grace (3 s)
    # is still running, so o1 must still rest on the venue now.
    if not wait_venue(run, {"o1": "NEW", "p1": "NEW"}, timeout=0):
        return False
    if not wait_venue(run, {"o1": "CANCELED", "p1": "NEW"}, timeout=15):
        return False
    if not run.script("status o1 symbol=BTC/USDT side=buy\n"
                      "wait-for ExecutionReport ExecType=OrderStatus OrdStatus=Canceled "
                      "ClOrdID=o1 LeavesQty=0\n"):
        return False
    return wait_venue(run, {"o1": "CANCELED", "p1": "NEW"}, timeout=1)


# (name, ..., venue orders at the end, opts): kill switch per scope, q, COD.
CASES += [
    ("kill_switch_session_on_venue", [], [], None, 4,
     {"sessions": TWO_SESSIONS, "run": kill_switch("session", "oms44", True, False)}),
    ("kill_switch_account_on_venue", [], [], None, 4,
     {"sessions": TWO_SESSIONS, "run": kill_switch("account", "acc2", False, True)}),
    ("kill_switch_venue_on_venue", [], [], None, 3,
     {"sessions": TWO_SESSIONS, "run": kill_switch("venue", "bn", True, True, cli=True)}),
    ("mass_cancel_on_venue", [], [], None, 4,
     {"sessions": TWO_SESSIONS, "run": mass_cancel_on_venue}),
    ("cancel_on_disconnect_on_venue", [], [], None, 2,
     {"sessions": COD_SESSIONS, "run": cancel_on_disconnect_on_venue}),
]

# ---- fills a venue's status counts before its trades list them ---------
OWED = "fixbridge_owed_fills_orders"
OVERDUE = "fixbridge_owed_fills_overdue_total"
OWED_CHECK_MS = 1000
HIDE_MS = 8000  # from o1's trade; the checks below need about 4 s of it


def metric_value(run, name):
    """The value of the sample line `name VALUE` in /metrics, as text."""
    line = run.metric(name + " ")
    return line.rsplit(" ", 1)[1] if line else None


def hide_trades_refuses(run, params, want):
    """POST /__sim/fault with bad hide_trades parameters: 400, reason."""
    try:
        body = http("POST", run.sim_port, "/__sim/fault", params)
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        if e.code == 400 and want in body:
            return True
        run.out += "\nfault %s: HTTP %d %s, want 400 with %r" % (params, e.code, body, want)
        return False
    run.out += "\nfault %s was accepted (%s): want 400 with %r" % (params, body, want)
    return False


def fill_o1_while_down(run):
    """With the bridge down: the price moves to o1's limit and half of o1
    fills at the venue-sim (its trade hidden by hide_trades); then the
    bridge starts again. When the venue-sim will let the trade out (a
    time.time()), or None (notes in run.out)."""
    http("POST", run.sim_port, "/__sim/price", {"symbol": "BTCUSDT", "price": "59000"})
    released = time.time() + HIDE_MS / 1000.0
    o1 = http("GET", run.sim_port, "/__sim/orders")["orders"][0]
    if (o1["status"], o1["executedQty"]) != ("PARTIALLY_FILLED", "0.01"):
        run.out += "\no1 at the venue-sim: %s, want PARTIALLY_FILLED 0.01" % o1
        return None
    run.bridge.restart(append_log=True)
    return released


def owed_fill_arrives(run, released, oms_first):
    """After a restart that found o1's venue CumQty (0.01) ahead of the
    journal's (0), its trade still hidden: the gauge is 1; the OMS (a
    thread, whose script starts with oms_first: logon, then a status
    request answered with the journal's New, CumQty 0) hears of no fill;
    the overdue counter rises while the fill is still owed and the log
    says the bridge asks again; once the trade is out, one Trade report
    with CumQty, LeavesQty and AvgPx in agreement, and the gauge is 0."""
    if not run.wait_metric(OWED + " ", "1", 5):
        return False
    results = {}

    def oms():
        results["ok"] = run.script(oms_first + """
expect-none 1
expect ExecutionReport ExecType=Trade OrdStatus=PartiallyFilled ClOrdID=o1 LastQty=0.01 LastPx=59000 CumQty=0.01 LeavesQty=0.01 AvgPx=59000 timeout=20
expect-none 1
status o1 symbol=BTC/USDT side=buy
expect ExecutionReport ExecType=OrderStatus OrdStatus=PartiallyFilled ClOrdID=o1 CumQty=0.01 LeavesQty=0.01 AvgPx=59000
""")

    thread = threading.Thread(target=oms)
    thread.start()
    notes = []  # run.out is the thread's until it is done
    try:
        # overdue before the trade is out: one scrape has both
        deadline, seen = time.time() + 5, None
        while time.time() < deadline and seen is None:
            owed, overdue = metric_value(run, OWED), metric_value(run, OVERDUE)
            if overdue not in (None, "0"):
                seen = (owed, overdue)
            time.sleep(0.05)
        notes.append("owed, overdue: %s (%.1f s before the trade is out)" % (
            seen, released - time.time()))
        ok = seen is not None and seen[0] == "1" and time.time() < released
        if not ok:
            notes.append("wanted the overdue counter up while o1 is still owed its fill")
        asked = "reported CumQty 0.01, the bridge still has 0; asking again"
        if ok and asked not in run.bridge.read_log():
            notes.append("the bridge log does not say %r" % asked)
            ok = False
    finally:
        thread.join()
        run.out += "".join("\n" + n for n in notes)
    if not ok or not results.get("ok"):
        return False
    if not run.wait_metric(OWED + " ", "0", 5):
        return False
    trades = metric_value(run, 'fixbridge_execution_reports_total{exec_type="Trade"}')
    if trades != "1":
        run.out += "\nTrade ExecutionReports since the restart: %s, want 1" % trades
        return False
    o1 = http("GET", run.sim_port, "/__sim/orders")["orders"][0]
    run.out += "\no1 at the venue-sim: %s" % o1
    return o1["trades"] == 1


def owed_fills_watch(run):
    """The engine's owed-fills watch (bridge.owed_fills_check_ms, here 1 s).
    o1 (0.02) rests; the bridge stops; half of o1 fills at the venue-sim
    (partial fills, the other half due only a tick, 10 minutes, later),
    whose hide_trades fault keeps the trade out of myTrades for HIDE_MS
    while GET order says PARTIALLY_FILLED, executedQty 0.01. On restart
    the venue's CumQty (0.01) is ahead of the journal's (0): see
    owed_fill_arrives. The OMS gets nothing unsolicited at logon. o1
    stays open, so only the watch's own comparison of the journal's
    CumQty with the venue's can end the watch (a finished order leaves
    it through the order index). Bad hide_trades parameters are refused
    with their reason."""
    for params, want in (
            ({"kind": "hide_trades", "on": "cancel"},
             "hide_trades: on= must be new or replace"),
            ({"kind": "hide_trades", "ms": "0"}, "ms= must be a whole number 1..600000, not '0'"),
            ({"kind": "hide_trades", "ms": "5s"},
             "ms= must be a whole number 1..600000, not '5s'"),
            ({"kind": "hide_trades", "count": "0"},
             "count= must be a whole number 1..1000000, not '0'")):
        if not hide_trades_refuses(run, params, want):
            return False
    http("POST", run.sim_port, "/__sim/fault", {"kind": "hide_trades", "ms": str(HIDE_MS)})
    if not run.script("buy BTC/USDT 0.02 limit 59000 tif gtc id=o1\n" + NEW % "o1"):
        return False
    code = run.bridge.stop()
    if code != 0:
        run.out += "\nfixbridge exited %s on SIGTERM" % code
        return False
    released = fill_o1_while_down(run)
    return released is not None and owed_fill_arrives(run, released, """
expect-none 0.5
status o1 symbol=BTC/USDT side=buy
expect ExecutionReport ExecType=OrderStatus OrdStatus=New ClOrdID=o1 CumQty=0 LeavesQty=0.02
""")


def owed_fills_unacked(run):
    """The same watch for an order the bridge never saw acknowledged: o1's
    POST is placed at the venue-sim but its answer held back
    (delay_after_place, 5 s), and the bridge is killed (SIGKILL) as soon
    as the venue-sim has the order, well inside the 1 s request timeout.
    Half of o1 fills while the bridge is down, its trade hidden. On
    restart the venue says PARTIALLY_FILLED with CumQty 0.01 for an order
    the journal has PendingNew: the bridge acknowledges it (New) and must
    watch the fill it is owed like any other (owed_fill_arrives)."""
    http("POST", run.sim_port, "/__sim/fault", {"kind": "hide_trades", "ms": str(HIDE_MS)})
    http("POST", run.sim_port, "/__sim/fault", {"kind": "delay_after_place", "ms": "5000"})
    placing = threading.Thread(target=run.script, args=(
        "buy BTC/USDT 0.02 limit 59000 tif gtc id=o1\n"
        "wait-for ExecutionReport ExecType=New ClOrdID=o1 timeout=2\n",))
    placing.start()
    deadline, placed = time.time() + 10, False
    while time.time() < deadline and not placed:
        placed = bool(http("GET", run.sim_port, "/__sim/orders")["orders"])
        time.sleep(0.01)
    run.bridge.kill()
    placing.join()  # its client fails: the bridge is gone before New
    run.out += "\nthe venue-sim had o1 when the bridge was killed: %s" % placed
    if not placed:
        return False
    released = fill_o1_while_down(run)
    # the New of the restart may reach the OMS before the status answer
    return released is not None and owed_fill_arrives(run, released, """
status o1 symbol=BTC/USDT side=buy
wait-for ExecutionReport ExecType=OrderStatus OrdStatus=New ClOrdID=o1 CumQty=0 LeavesQty=0.02
""")


CASES += [
    ("owed_fills_watch", ["--fill", "partial", "--parts", "2", "--tick-ms", "600000"], [],
     None, 1, {"bridge": "  owed_fills_check_ms: %d" % OWED_CHECK_MS, "run": owed_fills_watch}),
    ("owed_fills_unacked", ["--fill", "partial", "--parts", "2", "--tick-ms", "600000"], [],
     None, 1, {"bridge": "  owed_fills_check_ms: %d" % OWED_CHECK_MS,
               "run": owed_fills_unacked}),
]

def signed_get(run, path, params):
    """A signed GET to the venue-sim, as the adapter signs (HMAC-SHA256 of
    the query string): (HTTP status, JSON answer)."""
    q = urllib.parse.urlencode(dict(params, timestamp=int(time.time() * 1000)))
    sig = hmac.new(SECRET.encode(), q.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request("http://127.0.0.1:%d%s?%s&signature=%s"
                                 % (run.sim_port, path, q, sig),
                                 headers={"X-MBX-APIKEY": KEY})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())


def number_params(run):
    """The venue-sim checks whole-number parameters as Binance does
    (REFERENCE A.8.14 and the orderId format): digits only, else -1100
    naming the parameter; myTrades' limit 1..1000, else -1130. It used to
    read "12x" as 12 and "x" as 0."""
    if not run.script("buy BTC/USDT 0.01 limit 61000 tif gtc id=o1\n" + FILLED % ("o1", "0.01")):
        return False
    ok = True
    trades = "/api/v3/myTrades"
    for path, params, status, code, text in (
            (trades, {"symbol": "BTCUSDT", "limit": "1"}, 200, None, None),
            (trades, {"symbol": "BTCUSDT", "fromId": "99999999"}, 200, None, None),
            (trades, {"symbol": "BTCUSDT", "limit": "x"}, 400, -1100, "parameter 'limit'"),
            (trades, {"symbol": "BTCUSDT", "limit": "0"}, 400, -1130, "parameter 'limit'"),
            (trades, {"symbol": "BTCUSDT", "limit": "1001"}, 400, -1130, "parameter 'limit'"),
            (trades, {"symbol": "BTCUSDT", "fromId": "12x"}, 400, -1100, "parameter 'fromId'"),
            (trades, {"symbol": "BTCUSDT", "orderId": "-1"}, 400, -1100, "parameter 'orderId'"),
            ("/api/v3/order", {"symbol": "BTCUSDT", "orderId": "1e3"}, 400, -1100,
             "parameter 'orderId'")):
        got, body = signed_get(run, path, params)
        want_ok = got == status and (code is None or (body.get("code") == code and
                                                      text in body.get("msg", "")))
        if status == 200 and got == 200:
            want_ok = isinstance(body, list) and (
                len(body) == 1 if params.get("limit") else body == [])
        if not want_ok:
            run.out += "\n%s %s: HTTP %d %s, want %d %s %s" % (path, params, got, body, status,
                                                               code, text)
            ok = False
    return ok


CASES += [
    ("vsim_number_params", [], [], None, 1, {"run": number_params}),
]

VENUE = vsimtest.Venue("binance", "BTCUSDT:60000:0.01:0.00001:5", KEY, SECRET, CONFIG,
                       "fb-vsim-")


def main():
    vsimtest.main(VENUE, CASES, "test_binance")


if __name__ == "__main__":
    sys.exit(main())
