#!/usr/bin/env python3
"""Reports the journal holds but the OMS may never have had are sent again
after a crash, as the same reports.

The bridge journals an event, fsyncs, hands the event's ExecutionReport to
the FIX engine and then notes in the journal (a SENT hint record) that it
did. A SIGKILL between the fsync and the note leaves a journal whose last
events have no note after them. This test makes that state exactly: it runs
an order, kills the bridge, and cuts the trailing SENT records off the
journal (what a crash before they were written leaves). On restart the
bridge must send those reports again with PossResend (97=Y) and their
original ExecIDs, and the OMS, reconnecting with its sequence numbers
(`reset: never`), must get them through its ResendRequest: every report it
holds in the end describes each event exactly once when deduplicated by
ExecID, and nothing new was invented.

A second case keeps the journal whole: nothing is resent. A third cuts
the journal after an order's NEW record (a SIGKILL between the two writes
of an accepted order): the order never reached the venue, so on restart the
bridge rejects it with a Text that says so, never sends it.

usage: test_resend.py FIXBRIDGE_BINARY"""
import glob
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fbtest  # noqa: E402
import fixwire  # noqa: E402
from fixwire import SOH  # noqa: E402

CONFIG = """bridge:
  data_dir: data
  log_level: info
  dictionary_dir: %s/spec
admin:
  port: 0
sessions:
  - name: oms44
    fix_version: FIX.4.4
    sender_comp_id: FIXBRIDGE
    target_comp_id: OMS
    port: 0
    reset: never
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
"""

JREC_NEW = 1
JREC_SENT = 3
HEADER = 36


def journal_records(path):
    """(offset, type, flags, seq) of each record in one segment file."""
    data = open(path, "rb").read()
    off, out = 16, []
    while off + HEADER <= len(data):
        magic, _ver, rtype, flags, _res, plen, seq = struct.unpack_from("<4sHHHHIQ", data, off)
        if magic != b"FBJR":
            raise RuntimeError("%s: no record at offset %d" % (path, off))
        out.append((off, rtype, flags, seq))
        off += HEADER + plen + 4
    return out


def cut_trailing_sent(data_dir):
    """Truncates the newest segment before its trailing SENT records;
    returns how many were cut."""
    segs = sorted(glob.glob(os.path.join(data_dir, "journal", "*.fbj")))
    if not segs:
        raise RuntimeError("no journal segment under %s" % data_dir)
    recs = journal_records(segs[-1])
    cut = None
    n = 0
    for off, rtype, _flags, _seq in reversed(recs):
        if rtype != JREC_SENT:
            break
        cut, n = off, n + 1
    if cut is not None:
        with open(segs[-1], "r+b") as f:
            f.truncate(cut)
    return n


def cut_after_last_new(data_dir):
    """Truncates the newest segment just after its last NEW record."""
    segs = sorted(glob.glob(os.path.join(data_dir, "journal", "*.fbj")))
    recs = journal_records(segs[-1])
    news = [i for i, r in enumerate(recs) if r[1] == JREC_NEW]
    if not news or news[-1] + 1 >= len(recs):
        return False
    with open(segs[-1], "r+b") as f:
        f.truncate(recs[news[-1] + 1][0])
    return True


def admin_orders(port):
    import urllib.request
    url = "http://127.0.0.1:%d/orders?state=all" % port
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read().decode())


class Oms:
    """A raw FIX 4.4 initiator that keeps its sequence numbers across
    connections, as an OMS on a `reset: never` session does."""

    def __init__(self):
        self.out_seq = 1
        self.in_expected = 1
        self.reports = []  # (ExecID, PossDupFlag, PossResend, fields) in arrival order
        self.conn = None

    def send(self, fields):
        msg = fixwire.frame("FIX.4.4", [("35", fields[0][1])] + [
            ("49", "OMS"), ("56", "FIXBRIDGE"), ("34", str(self.out_seq)),
            ("52", fixwire.utc_timestamp())] + fields[1:])
        self.out_seq += 1
        self.conn.send(msg.encode("latin-1"))

    def logon(self, port):
        self.conn = fixwire.Conn("127.0.0.1", port, timeout=10)
        self.send([("35", "A"), ("98", "0"), ("108", "30")])

    def read(self, timeout=5.0):
        raw = self.conn.read(timeout=timeout)
        msg = fixwire.parse(raw.decode("latin-1") if isinstance(raw, bytes) else raw)
        d = dict(msg)
        seq = int(d["34"])
        mtype = d["35"]
        if mtype == "4" and d.get("123") == "Y":  # gap fill
            self.in_expected = int(d["36"])
            return mtype, d
        if seq > self.in_expected and d.get("43") != "Y" and mtype != "5":
            # a gap: ask for it (the message itself is processed again later)
            self.send([("35", "2"), ("7", str(self.in_expected)), ("16", "0")])
            return "gap", d
        if seq >= self.in_expected:
            self.in_expected = seq + 1
        if mtype == "8":
            self.reports.append((d["17"], d.get("43") == "Y", d.get("97") == "Y", d))
        if mtype == "1":
            self.send([("35", "0"), ("112", d["112"])])
        return mtype, d

    def drain(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            try:
                self.read(timeout=max(0.05, end - time.time()))
            except fixwire.WireError:
                break

    def close(self):
        try:
            self.send([("35", "5")])
            time.sleep(0.1)
        except Exception:
            pass
        self.conn.close()


def new_order(oms, cl_ord_id):
    oms.send([("35", "D"), ("11", cl_ord_id), ("55", "BTC/USDT"), ("54", "1"),
              ("60", fixwire.utc_timestamp()), ("38", "0.5"), ("40", "2"), ("44", "59000"),
              ("59", "1")])


def with_bridge(binary, name, case):
    """Runs case(bridge, oms, problems) on a fresh bridge (CONFIG on the
    paper venue) and a fresh Oms; an exception is a problem. Stops the
    bridge, prints the end of its log if anything went wrong and returns
    the problems."""
    b = fbtest.Bridge(binary, CONFIG % (fbtest.SOURCE_DIR, fbtest.PAPER_STILL), name=name)
    oms = Oms()
    problems = []
    try:
        b.start()
        case(b, oms, problems)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        problems.append("%s: %s" % (type(e).__name__, e))
    finally:
        b.stop()
        try:
            b.log.close()
        except Exception:
            pass
    if problems:
        sys.stdout.write(b.read_log()[-6000:])
    return problems


def order_then_crash(b, oms, cl_ord_id):
    """The OMS sends one order and reads its reports; then the bridge is
    SIGKILLed and the OMS's connection drops."""
    oms.logon(b.ports["oms44"])
    new_order(oms, cl_ord_id)
    oms.drain(1.0)
    b.kill()
    oms.conn.close()


def restart(b):
    """The bridge again on its data directory; its first engine step (which
    sends what was unsent, and reconciles) has run on return."""
    b.restart()
    time.sleep(0.5)


def run_case(binary, cut):
    if cut == "new":
        return with_bridge(binary, "unaccepted", unaccepted)
    return with_bridge(binary, "resend", lambda b, oms, problems: resend(b, oms, problems, cut))


def resend(b, oms, problems, cut):
    order_then_crash(b, oms, "s1")
    before = [r[0] for r in oms.reports]
    kinds = sorted(r[3].get("150") for r in oms.reports)
    if kinds != ["0", "A"]:
        problems.append("before the crash: want PendingNew and New, got 150=%s" % kinds)
    if cut and cut_trailing_sent(os.path.join(b.dir, "data")) == 0:
        problems.append("the journal had no trailing SENT record to cut")
    restart(b)
    oms.logon(b.ports["oms44"])
    oms.drain(2.0)
    oms.close()
    after = oms.reports[len(before):]
    log = b.read_log()
    if cut:
        resent = [r for r in after if r[2]]
        ids = sorted(r[0] for r in resent)
        if ids != sorted(before):
            problems.append("resent ExecIDs %s, want the originals %s" % (ids, sorted(before)))
        if "sending them (PossResend, same ExecID)" not in log:
            problems.append("the bridge did not log the resend")
    else:
        if any(r[2] for r in after):
            problems.append("reports resent after a clean journal: %s"
                            % [r[0] for r in after if r[2]])
    # the one new report: the restarted paper venue no longer knows the
    # order, so reconciliation cancels it
    fresh = [r for r in after if not r[2]]
    if len(fresh) != 1 or fresh[0][3].get("150") != "4" or fresh[0][0] in before:
        problems.append("after the restart, want one new report (Canceled), got %s"
                        % [fixwire.show(SOH.join("%s=%s" % kv for kv in r[3].items()))
                           for r in fresh])
    # every report, deduplicated by ExecID, describes one event
    by_id = {}
    for exec_id, _pd, _pr, d in oms.reports:
        key = (d.get("150"), d.get("39"), d.get("11"), d.get("14"))
        if by_id.setdefault(exec_id, key) != key:
            problems.append("ExecID %s names two different reports" % exec_id)
    if len(by_id) != 3:
        problems.append("%d distinct ExecIDs, want 3 (PendingNew, New, Canceled)"
                        % len(by_id))


def unaccepted(b, oms, problems):
    order_then_crash(b, oms, "u1")
    if not cut_after_last_new(os.path.join(b.dir, "data")):
        problems.append("no record after the NEW record to cut")
    restart(b)
    orders = admin_orders(b.ports["admin"])
    u1 = [o for o in orders if o.get("cl_ord_id") == "u1"]
    if len(u1) != 1 or u1[0].get("state") != "Rejected":
        problems.append("want u1 Rejected after the restart, got %s" % u1)
    if "not accepted before the stop; rejecting it" not in b.read_log():
        problems.append("the bridge did not log why")
    if "sending it again" in b.read_log():
        problems.append("the bridge sent an order it never accepted")



def main():
    binary = os.path.abspath(sys.argv[1])
    passed = failed = 0
    for name, cut in (("resend_unsent_reports_after_crash", True),
                      ("nothing_resent_when_all_were_sent", False),
                      ("order_never_accepted_is_rejected_not_sent", "new")):
        problems = run_case(binary, cut)
        if problems:
            print("FAIL %s\n  %s" % (name, "\n  ".join(problems)))
            failed += 1
        else:
            print("PASS %s" % name)
            passed += 1
    fbtest.finish(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
