#!/usr/bin/env python3
"""End to end through the Kraken adapter: `fixbridge client` (FIX) ->
`fixbridge run` (a `type: kraken` venue) -> `fixbridge venue-sim --venue
kraken` on 127.0.0.1, all real processes on free ports.

The shape is test_binance.py's (and its Run helper and control-endpoint
client are reused): each case starts its own venue-sim and bridge, may
queue venue-sim faults (POST /__sim/fault) before its script runs, and
runs a client script whose `admin` lines go to the venue-sim's control
endpoint. Afterwards GET /__sim/orders must show the expected number of
venue orders and no cl_ord_id with more than one order (no duplicate venue
order); fills are checked by the scripts' CumQty (no lost fill).

The pair is XBTUSD (id XXBTZUSD): tick 0.1, lot 8 decimals, ordermin
0.0001, costmin 0.5, reference 60000. The adapter polls Ticker for the
policy's reference price (at most once a second: public calls are
throttled per IP), so the default policy applies.

Prints PASS/FAIL per case and the closing line `N passed, M failed`.
usage: test_kraken.py FIXBRIDGE_BINARY [NAME_SUBSTRING ...]
"""
import concurrent.futures
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fbtest  # noqa: E402
from test_binance import Run, http  # noqa: E402

PARALLEL = 6
KEY = "vsimKrakenKey0123456789"
# Kraken secrets are base64 (B.2): 64 bytes 0..63.
SECRET = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw=="
MARKET = "XBTUSD:60000:0.1:0.00000001:0.5::0.0001"

CONFIG = """bridge:
  data_dir: data
  log_level: info
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
  - name: kr
    type: kraken
    base_url: http://127.0.0.1:%(port)d
    api_key_env: FB_VSIM_KEY
    api_secret_env: FB_VSIM_SECRET
    connect_timeout_ms: 1000
    request_timeout_ms: 1000
    poll_interval_ms: 100
%(venue_extra)s
routes:
  - { symbol: BTC/USD, venue: kr, venue_symbol: XBTUSD }
%(policy)s
"""

POLICY_ALLOW_MARKET = """policy:
  default:
    market_orders: allow
"""

FILLED = "wait-for ExecutionReport ExecType=Trade OrdStatus=Filled ClOrdID=%s CumQty=%s LeavesQty=0"
NEW = "wait-for ExecutionReport ExecType=New OrdStatus=New ClOrdID=%s"


def gtd_in(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y%m%d-%H:%M:%S")


# (name, extra venue-sim args, faults, script, venue orders expected[, opts]).
# opts: "policy" (YAML replacing the default policy), "venue" (YAML lines
# added to the venue), "limits" (POST /__sim/limits parameters),
# "venue_types" (the venue orders' ordertypes, in order), "amended" (the
# venue orders' amended flags).
CASES = [
    ("limit_marketable_buy", [], [], """
buy BTC/USD 0.01 limit 61000 tif gtc id=o1
%s LastPx=60000
expect-none 0.3
""" % (FILLED % ("o1", "0.01")), 1, {"venue_types": ["limit"]}),
    ("limit_marketable_sell", [], [], """
sell BTC/USD 0.01 limit 59000 tif gtc id=o1
%s LastPx=60000
""" % (FILLED % ("o1", "0.01")), 1),
    ("market_fill", [], [], """
buy BTC/USD 0.01 market tif ioc id=o1
%s LastPx=60000
expect-none 0.3
""" % (FILLED % ("o1", "0.01")), 1, {"policy": POLICY_ALLOW_MARKET, "venue_types": ["market"]}),
    # CashOrderQty on a market buy: volume in quote + oflags=viqc.
    ("market_quote_qty_viqc", [], [], """
buy BTC/USD cash=600 market tif ioc id=o1
%s LastPx=60000
""" % (FILLED % ("o1", "0.01")), 1, {"policy": POLICY_ALLOW_MARKET}),
    # The default policy sends a market order as an IOC limit at the
    # venue's touch (from Ticker) + 50 bps, on the tick.
    ("market_converted_to_ioc_limit", [], [], """
buy BTC/USD 0.01 market tif ioc id=o1
wait-for ExecutionReport ExecType=PendingNew OrdStatus=PendingNew ClOrdID=o1 Text="Market order sent as IOC limit 60300: reference 60000 + slippage_bps 50, rounded down to tick 0.1"
%s LastPx=60000
""" % (FILLED % ("o1", "0.01")), 1, {"venue_types": ["limit"]}),
    # The collar is measured from the venue's Ticker.
    ("collar_against_venue_reference", [], [], """
buy BTC/USD 0.01 limit 64000 tif gtc id=o1
wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o1 Text="Limit price 64000 is 666.67 bps from reference 60000; collar is 500 bps (policy: default)"
admin POST /__sim/price symbol=XBTUSD price=66000
sleep 1.5
buy BTC/USD 0.01 limit 64000 tif gtc id=o2
%s
""" % (NEW % "o2"), 1),
    ("limit_rest_then_cancel", [], [], """
buy BTC/USD 0.01 limit 59000 tif gtc id=o1
%s
cancel o1 id=c1
wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled ClOrdID=c1 OrigClOrdID=o1 CumQty=0 LeavesQty=0
""" % (NEW % "o1"), 1),
    ("limit_ioc_canceled", [], [], """
buy BTC/USD 0.01 limit 59000 tif ioc id=o1
wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled ClOrdID=o1 CumQty=0 LeavesQty=0
""", 1),
    # Kraken REST has no FOK: refused before any venue call.
    ("limit_fok_refused", [], [], """
buy BTC/USD 0.01 limit 61000 tif fok id=o1
wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o1 Text=*
""", 0),
    ("gtd_expires", [], [], """
buy BTC/USD 0.01 limit 59000 tif gtd=%s id=o1
%s
wait-for ExecutionReport ExecType=Expired OrdStatus=Expired ClOrdID=o1 CumQty=0 LeavesQty=0 timeout=15
""", 1),
    ("post_only_rests_and_fills", [], [], """
buy BTC/USD 0.01 limit 59000 tif gtc post-only id=o1
%s
admin POST /__sim/price symbol=XBTUSD price=59000
%s LastPx=59000
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1),
    # A venue reject carries Kraken's error string to FIX Text(58).
    ("post_only_cross_rejected_with_venue_text", [], [], """
buy BTC/USD 0.01 limit 61000 tif gtc post-only id=o1
wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o1 Text="kr: EOrder:Post only order"
""", 0),
    ("stop_loss_triggers", [], [], """
sell BTC/USD 0.01 stop=59000 tif gtc id=o1
%s
admin POST /__sim/price symbol=XBTUSD price=58900
%s LastPx=58900
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1, {"venue_types": ["stop-loss"]}),
    # Kraken triggers a stop-loss already reached at once (Binance refuses).
    ("stop_loss_reached_triggers_at_once", [], [], """
buy BTC/USD 0.01 stop=59000 tif gtc id=o1
%s LastPx=60000
""" % (FILLED % ("o1", "0.01")), 1, {"venue_types": ["stop-loss"]}),
    ("stop_loss_limit_triggers", [], [], """
sell BTC/USD 0.01 limit 58000 stop=59000 tif gtc id=o1
%s
admin POST /__sim/price symbol=XBTUSD price=58900
%s LastPx=58900
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1, {"venue_types": ["stop-loss-limit"]}),
    # Take-profit (OrdType J, StopPx the trigger; with Price the -limit
    # kind): Kraken's take-profit triggers on a favourable move.
    ("take_profit_rests_then_triggers", [], [], """
sell BTC/USD 0.01 stop=61000 type=take-profit tif gtc id=o1
%s
admin POST /__sim/price symbol=XBTUSD price=59000
expect-none 0.5
admin POST /__sim/price symbol=XBTUSD price=61100
%s LastPx=61100
""" % (NEW % "o1 OrdType=J StopPx=61000", FILLED % ("o1", "0.01")), 1,
     {"venue_types": ["take-profit"]}),
    ("take_profit_limit_rests_then_triggers", [], [], """
buy BTC/USD 0.01 limit 59000 stop=59100 type=take-profit-limit tif gtc id=o1
%s
admin POST /__sim/price symbol=XBTUSD price=59000
%s LastPx=59000
""" % (NEW % "o1 OrdType=J Price=59000 StopPx=59100", FILLED % ("o1", "0.01")), 1,
     {"venue_types": ["take-profit-limit"]}),
    ("iceberg_rests_and_fills", [], [], """
buy BTC/USD 0.02 limit 59000 tif gtc display=0.005 id=o1
%s
admin POST /__sim/price symbol=XBTUSD price=59000
%s LastPx=59000
""" % (NEW % "o1", FILLED % ("o1", "0.02")), 1, {"venue_types": ["iceberg"]}),
    # displayvol must be at least 1/15 of the volume (B.5.1).
    ("iceberg_display_too_small_refused", [], [], """
buy BTC/USD 0.02 limit 59000 tif gtc display=0.001 id=o1
wait-for ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o1 Text=*
""", 0),
    ("partial_fill_then_cancel", ["--fill", "partial", "--parts", "2", "--tick-ms", "600000"], [],
     """
buy BTC/USD 0.02 limit 59000 tif gtc id=o1
%s
admin POST /__sim/price symbol=XBTUSD price=59000
wait-for ExecutionReport ExecType=Trade OrdStatus=PartiallyFilled ClOrdID=o1 LastQty=0.01 LastPx=59000 CumQty=0.01 LeavesQty=0.01
admin POST /__sim/price symbol=XBTUSD price=60000
cancel o1 id=c1
wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled ClOrdID=c1 OrigClOrdID=o1 CumQty=0.01 LeavesQty=0
""" % (NEW % "o1"), 1),
    ("partial_fills_to_full", ["--fill", "partial", "--parts", "2", "--tick-ms", "300"], [], """
buy BTC/USD 0.02 limit 61000 tif gtc id=o1
wait-for ExecutionReport ExecType=Trade OrdStatus=PartiallyFilled ClOrdID=o1 LastQty=0.01 CumQty=0.01 LeavesQty=0.01
%s
""" % (FILLED % ("o1", "0.02")), 1),
    # Replace is AmendOrder: in place, one venue order, marked amended.
    ("replace_price_and_qty_amends_in_place", [], [], """
buy BTC/USD 0.01 limit 59000 tif gtc id=o1
%s
replace o1 qty=0.02 price=59500 tif gtc id=o2
wait-for ExecutionReport ExecType=Replaced ClOrdID=o2 OrigClOrdID=o1 OrderQty=0.02 Price=59500 LeavesQty=0.02
admin POST /__sim/price symbol=XBTUSD price=59500
%s LastPx=59500
""" % (NEW % "o1", FILLED % ("o2", "0.02")), 1, {"amended": [True]}),
    ("replace_stop_limit_trigger", [], [], """
sell BTC/USD 0.01 limit 58000 stop=59000 tif gtc id=o1
%s
replace o1 qty=0.01 type=stop-limit price=57000 stop=58000 tif gtc id=o2
wait-for ExecutionReport ExecType=Replaced ClOrdID=o2 OrigClOrdID=o1 Price=57000 StopPx=58000
admin POST /__sim/price symbol=XBTUSD price=58500
expect-none 0.5
admin POST /__sim/price symbol=XBTUSD price=57900
%s LastPx=57900
""" % (NEW % "o1", FILLED % ("o2", "0.01")), 1, {"amended": [True]}),
    ("cancel_after_fill_rejected", [], [], """
buy BTC/USD 0.01 limit 61000 tif gtc id=o1
%s
cancel o1 id=c1
wait-for OrderCancelReject ClOrdID=c1 OrigClOrdID=o1
""" % (FILLED % ("o1", "0.01")), 1),
    # Faults: the outcome of the AddOrder is unknown or refused; the adapter
    # must reconcile (OpenOrders/ClosedOrders by cl_ord_id) without a second
    # venue order or a lost fill.
    ("fault_5xx_after_place", [], ["kind=5xx_after_place"], """
buy BTC/USD 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 0.5
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_503_before_place", [], ["kind=5xx_before_place"], """
buy BTC/USD 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 0.5
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_unavailable_after_place", [], ["kind=unavailable_after_place"], """
buy BTC/USD 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 0.5
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_delay_beyond_timeout", [], ["kind=delay_after_place&ms=2500"], """
buy BTC/USD 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 3
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_drop_after_place", [], ["kind=drop_after_place"], """
buy BTC/USD 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 0.5
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_malformed_json", [], ["kind=malformed_after_place"], """
buy BTC/USD 0.01 limit 61000 tif gtc id=o1
%s timeout=15
expect-none 0.5
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_429_retry_after", [], ["kind=429&retry_after=1"], """
buy BTC/USD 0.01 limit 59000 tif gtc id=o1
%s timeout=15
admin POST /__sim/price symbol=XBTUSD price=59000
%s LastPx=59000
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1),
    ("fault_eapi_rate_limit", [], ["kind=rate_limit&count=2"], """
buy BTC/USD 0.01 limit 61000 tif gtc id=o1
%s timeout=15
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_eorder_rate_limit", [], ["kind=order_rate_limit"], """
buy BTC/USD 0.01 limit 61000 tif gtc id=o1
%s timeout=15
""" % (FILLED % ("o1", "0.01")), 1),
    ("fault_5xx_after_resting_place_then_fill", [], ["kind=5xx_after_place"], """
buy BTC/USD 0.01 limit 59000 tif gtc id=o1
%s timeout=15
admin POST /__sim/price symbol=XBTUSD price=59000
%s LastPx=59000
expect-none 0.5
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1),
    ("fault_5xx_after_cancel", [], ["kind=5xx_after_place&on=cancel"], """
buy BTC/USD 0.01 limit 59000 tif gtc id=o1
%s
cancel o1 id=c1
wait-for ExecutionReport ExecType=Canceled OrdStatus=Canceled ClOrdID=c1 OrigClOrdID=o1 CumQty=0 LeavesQty=0 timeout=15
""" % (NEW % "o1"), 1),
    ("fault_drop_on_poll", [], ["kind=drop_after_place&on=query&count=3"], """
buy BTC/USD 0.01 limit 59000 tif gtc id=o1
%s timeout=15
admin POST /__sim/price symbol=XBTUSD price=59000
%s LastPx=59000 timeout=15
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1),
    # The REST call counter (B.7, H.4) at the Starter tier: polling must
    # live with EAPI:Rate limit exceeded and still report the fill.
    ("rest_counter_starter_tier", [], [], """
buy BTC/USD 0.01 limit 59000 tif gtc id=o1
%s timeout=15
expect-none 3
admin POST /__sim/price symbol=XBTUSD price=59000
%s LastPx=59000 timeout=20
""" % (NEW % "o1", FILLED % ("o1", "0.01")), 1, {"limits": {"rest_max": "15",
                                                              "rest_decay_milli": "330"}}),
]


def start_sim(binary, workdir, extra):
    ports_file = os.path.join(workdir, "vsim.ports")
    log = open(os.path.join(workdir, "venue-sim.log"), "w")
    env = dict(os.environ, FB_VSIM_KEY=KEY, FB_VSIM_SECRET=SECRET)
    proc = subprocess.Popen(
        [binary, "venue-sim", "--venue", "kraken", "--port", "0", "--ports-file", ports_file,
         "--market", MARKET, "--api-key-env", "FB_VSIM_KEY", "--api-secret-env",
         "FB_VSIM_SECRET", "--seed", "7", "--duration-s", "120"] + extra,
        stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 10
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("venue-sim exited with %d" % proc.returncode)
        if os.path.exists(ports_file):
            with open(ports_file) as f:
                return proc, log, int(f.read().split()[1])
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("venue-sim did not start")


def run_case(binary, case):
    name, extra, faults, script, want_orders = case[:5]
    opts = case[5] if len(case) > 5 else {}
    workdir = tempfile.mkdtemp(prefix="fb-vsim-kr-")
    out = ""
    try:
        sim, sim_log, sim_port = start_sim(binary, workdir, extra)
    except RuntimeError as e:
        return False, str(e)
    config = CONFIG % {"port": sim_port, "venue_extra": opts.get("venue", ""),
                       "policy": opts.get("policy", "")}
    bridge = fbtest.Bridge(binary, config, name=name,
                           env={"FB_VSIM_KEY": KEY, "FB_VSIM_SECRET": SECRET})
    ok = True
    code = None
    try:
        if "limits" in opts:
            http("POST", sim_port, "/__sim/limits", opts["limits"])
        bridge.start()
        for f in faults:
            http("POST", sim_port, "/__sim/fault", dict(urllib.parse.parse_qsl(f)))
        run = Run(binary, bridge, sim_port, workdir, name)
        if name == "gtd_expires":
            # Kraken wants an expiry at least 5 s ahead: computed at the
            # last moment, as the cases start in parallel.
            script = script % (gtd_in(8), NEW % "o1")
        ok = run.script(script)
        out += run.out
        rep = http("GET", sim_port, "/__sim/orders")
        dups = [c for c in rep["counts"] if c["orders"] > 1]
        if dups:
            ok = False
            out += "\nduplicate venue orders: %s" % dups
        if len(rep["orders"]) != want_orders:
            ok = False
            out += "\nvenue has %d orders, want %d" % (len(rep["orders"]), want_orders)
        for key, field in (("venue_types", "type"), ("amended", "amended")):
            got = [o[field] for o in rep["orders"]]
            if key in opts and got != opts[key]:
                ok = False
                out += "\nvenue order %s %s, want %s" % (field, got, opts[key])
        out += "\nvenue: " + json.dumps(rep)
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        ok = False
        out += "\n%s" % e
    finally:
        code = bridge.stop()
        if getattr(bridge, "log", None):
            bridge.log.close()
        sim.terminate()
        try:
            sim.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sim.kill()
        sim_log.close()
    if code != 0:
        ok = False
        out += "\nfixbridge exited %s on SIGTERM" % code
    if not ok:
        out += "\n--- bridge log (end) ---\n" + bridge.read_log()[-4000:]
        with open(os.path.join(workdir, "venue-sim.log")) as f:
            out += "\n--- venue-sim log (end) ---\n" + f.read()[-2000:]
    return ok, out


def main():
    binary = os.path.abspath(sys.argv[1])
    wanted = sys.argv[2:]
    cases = [c for c in CASES if not wanted or any(w in c[0] for w in wanted)]
    started = time.time()
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(lambda c: run_case(binary, c), cases))
    for case, (ok, out) in zip(cases, results):
        if ok:
            passed += 1
            print("PASS %s" % case[0])
            if os.environ.get("FB_VERBOSE"):
                print("    " + out.rstrip().replace("\n", "\n    "))
        else:
            failed += 1
            print("FAIL %s" % case[0])
            print("    " + out.rstrip().replace("\n", "\n    "))
    print("test_kraken: %d cases in %.1f s" % (len(cases), time.time() - started))
    fbtest.finish(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
