#!/usr/bin/env python3
"""Kill the bridge with SIGKILL and start it again on the same data
directory: the journal rebuilds every order, duplicate ClOrdIDs are still
refused, and the orders that were open are reconciled with the venue (the
paper venue restarts empty, so it no longer knows them: they are reported
canceled, never filled by guess). Then a new trading day (POST /new-day):
finished orders are forgotten and the journal compacted to the open ones,
which a second SIGKILL and restart must bring back.

usage: test_restart.py FIXBRIDGE_BINARY"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fbtest  # noqa: E402

CONFIG = """bridge:
  data_dir: data
  log_level: info
  dictionary_dir: %s/spec
  journal_fsync: every
admin:
  port: 0
  sim_control: true
sessions:
  - name: oms44
    fix_version: FIX.4.4
    sender_comp_id: FIXBRIDGE
    target_comp_id: OMS
    port: 0
    reset: on_logon
    store: file
venues:
%s
routes:
  - symbol: BTC/USDT
    venue: paper
    venue_symbol: BTCUSDT
policy:
  default:
    market_orders: allow
""" % (fbtest.SOURCE_DIR, fbtest.PAPER_STILL)

BEFORE = """buy BTC/USDT 0.5 limit 59000 id=r1
wait-for ExecutionReport ExecType=New ClOrdID=r1
buy BTC/USDT 0.1 market id=r2
wait-for ExecutionReport ExecType=Trade OrdStatus=Filled ClOrdID=r2
replace r1 qty=0.6 id=r3
wait-for ExecutionReport ExecType=Replaced ClOrdID=r3 OrderQty=0.6
"""

AFTER = """# the filled order's ClOrdID is still in use (FIX F.1.b)
buy BTC/USDT 0.1 limit 59000 id=r2
expect ExecutionReport ExecType=Rejected OrdRejReason=6 OrdStatus=Filled ClOrdID=r2 CumQty=0.1 LeavesQty=0
# so are the replaced order's old and new ClOrdIDs
buy BTC/USDT 0.1 limit 59000 id=r1
expect ExecutionReport ExecType=Rejected OrdRejReason=6 ClOrdID=r1
# the open order was rebuilt with its replaced terms, and the restarted
# paper venue no longer knows it: canceled, with CumQty untouched
status r3 symbol=BTC/USDT side=buy
expect ExecutionReport ExecType=OrderStatus OrdStatus=Canceled ClOrdID=r3 OrderQty=0.6 CumQty=0 LeavesQty=0
status r2 symbol=BTC/USDT side=buy
expect ExecutionReport ExecType=OrderStatus OrdStatus=Filled ClOrdID=r2 CumQty=0.1 AvgPx=60000
"""


NEW_DAY = """# a new trading day: finished orders are forgotten, open ones kept
buy BTC/USDT 0.1 limit 59000 id=n1
wait-for ExecutionReport ExecType=New ClOrdID=n1
admin POST /new-day
# r2 (filled yesterday) may be used again
buy BTC/USDT 0.1 limit 59000 id=r2
expect ExecutionReport ExecType=PendingNew OrdStatus=PendingNew ClOrdID=r2
status n1 symbol=BTC/USDT side=buy
wait-for ExecutionReport ExecType=OrderStatus OrdStatus=New ClOrdID=n1 OrderQty=0.1
"""

AFTER_COMPACTION = """# the compacted journal brought back only what was open: n1 (canceled
# now: the paper venue restarted empty), and yesterday's r1 is free again
status n1 symbol=BTC/USDT side=buy
expect ExecutionReport ExecType=OrderStatus OrdStatus=Canceled ClOrdID=n1 OrderQty=0.1
buy BTC/USDT 0.1 limit 59000 id=r1
expect ExecutionReport ExecType=PendingNew OrdStatus=PendingNew ClOrdID=r1
"""


def client(binary, b, script_text, name):
    path = os.path.join(b.dir, name + ".fbs")
    with open(path, "w") as f:
        f.write(script_text)
    r = subprocess.run([binary, "client", "-c", b.config, "--port", str(b.ports["oms44"]),
                        "--admin-port", str(b.ports["admin"]), "--script", path],
                       capture_output=True, text=True, timeout=60, cwd=b.dir)
    return r.returncode, r.stdout + r.stderr


def main():
    binary = os.path.abspath(sys.argv[1])
    b = fbtest.Bridge(binary, CONFIG)
    passed = failed = 0

    def check(name, script_text, tag):
        nonlocal passed, failed
        code, out = client(binary, b, script_text, tag)
        if code != 0:
            print("FAIL %s\n%s" % (name, out))
            failed += 1
        else:
            print("PASS %s" % name)
            passed += 1

    b.start()
    check("restart_before_kill", BEFORE, "before")
    b.kill()
    b.restart(append_log=True)
    time.sleep(0.3)  # reconciliation answers arrive on the venue's next run
    check("restart_after_sigkill", AFTER, "after")
    check("restart_new_trading_day", NEW_DAY, "newday")
    b.kill()
    b.restart(append_log=True)
    time.sleep(0.3)
    check("restart_after_compaction", AFTER_COMPACTION, "compacted")
    if b.stop() != 0:
        print("FAIL clean exit after restart")
        failed += 1
    b.log.close()
    if failed:
        sys.stdout.write(b.read_log()[-8000:])
    fbtest.finish(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
