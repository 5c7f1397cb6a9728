#!/usr/bin/env python3
"""End to end through the Kraken adapter: `fixbridge client` (FIX) ->
`fixbridge run` (a `type: kraken` venue) -> `fixbridge venue-sim --venue
kraken` on 127.0.0.1, all real processes on free ports.

The shape is test_binance.py's (both run on vsimtest.py): each case
starts its own venue-sim and bridge, may
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
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vsimtest  # noqa: E402
from vsimtest import FILLED, NEW, POLICY_ALLOW_MARKET  # noqa: E402

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


def gtd_in(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y%m%d-%H:%M:%S")


# (name, extra venue-sim args, faults, script, venue orders expected[, opts]):
# see vsimtest.py for opts ("venue_types" are Kraken's ordertypes).
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
    # Kraken wants an expiry at least 5 s ahead: computed at the last
    # moment (a phased case), as the cases start in parallel.
    ("gtd_expires", [], [], None, 1, {"run": lambda run: run.script("""
buy BTC/USD 0.01 limit 59000 tif gtd=%s id=o1
%s
wait-for ExecutionReport ExecType=Expired OrdStatus=Expired ClOrdID=o1 CumQty=0 LeavesQty=0 timeout=15
""" % (gtd_in(8), NEW % "o1"))}),
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
    # The AmendOrder took effect but its answer is a 5xx: the outcome is
    # unknown; the adapter queries the order and reports the replace the
    # venue made (one venue order, amended, the new terms on FIX).
    ("fault_5xx_after_amend", [], ["kind=5xx_after_place&on=replace"], """
buy BTC/USD 0.01 limit 59000 tif gtc id=o1
%s
replace o1 qty=0.02 price=59500 tif gtc id=o2
wait-for ExecutionReport ExecType=Replaced ClOrdID=o2 OrigClOrdID=o1 OrderQty=0.02 Price=59500 LeavesQty=0.02 timeout=15
admin POST /__sim/price symbol=XBTUSD price=59500
%s LastPx=59500 timeout=15
expect-none 0.5
""" % (NEW % "o1", FILLED % ("o2", "0.02")), 1, {"amended": [True]}),
    # The same fault before the venue acted (a non-JSON 503 at its edge:
    # the adapter cannot tell): the order's view shows the old terms, so
    # the replace is refused and the order keeps them, on FIX as at the
    # venue.
    ("fault_503_before_amend", [], ["kind=5xx_before_place&on=replace"], """
buy BTC/USD 0.01 limit 59000 tif gtc id=o1
%s
replace o1 qty=0.02 price=59500 tif gtc id=o2
wait-for OrderCancelReject ClOrdID=o2 OrigClOrdID=o1 OrdStatus=New CxlRejResponseTo=OrderCancelReplaceRequest timeout=15
status o1 symbol=BTC/USD side=buy
expect ExecutionReport ExecType=OrderStatus OrdStatus=New ClOrdID=o1 OrderQty=0.01 Price=59000 LeavesQty=0.01
""" % (NEW % "o1"), 1, {"amended": [False]}),
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


VENUE = vsimtest.Venue("kraken", MARKET, KEY, SECRET, CONFIG, "fb-vsim-kr-")


def main():
    vsimtest.main(VENUE, CASES, "test_kraken")


if __name__ == "__main__":
    sys.exit(main())
