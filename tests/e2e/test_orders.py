#!/usr/bin/env python3
"""End-to-end order scenarios: the real `fixbridge run` and the real
`fixbridge client` over 127.0.0.1.

Each tests/orders/*.fbs is a client script (see `fixbridge client --help`)
named after a FIX order state change matrix scenario. Every scenario gets its
own bridge on tests/orders/orders.yaml (free ports through --ports-file), so
prices moved with `admin POST /sim/price`, mass cancels and left-over orders
never leak from one scenario into another; a few run at a time. A script
line `# session: NAME` picks the FIX session (default: the first, FIX.4.4).

Prints `PASS name` or `FAIL name` with the client's output and the end of
the bridge's log (FB_VERBOSE=1: the client's output for passes too), and
the closing line `N passed, M failed`.

usage: test_orders.py FIXBRIDGE_BINARY [NAME_SUBSTRING ...]
"""
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fbtest  # noqa: E402

ORDERS_DIR = os.path.join(fbtest.SOURCE_DIR, "tests", "orders")
PARALLEL = 4
CLIENT_TIMEOUT_S = 60


def script_session(path):
    with open(path) as f:
        for line in f:
            m = re.match(r"#\s*session:\s*(\S+)", line)
            if m:
                return m.group(1)
    return None


def run_one(binary, config_text, path):
    """Runs one scenario on its own bridge; returns (ok, report text)."""
    name = os.path.splitext(os.path.basename(path))[0]
    session = script_session(path)
    bridge = fbtest.Bridge(binary, config_text, name=name)
    try:
        bridge.start()
    except RuntimeError as e:
        bridge.log.close()
        return False, str(e)
    out = ""
    try:
        port = bridge.ports[session or "oms44"]
        cmd = [binary, "client", "-c", bridge.config, "--port", str(port), "--admin-port",
               str(bridge.ports["admin"]), "--script", path]
        if session:
            cmd[2:2] = ["-s", session]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S,
                               cwd=bridge.dir)
            out = r.stdout + r.stderr
            ok = r.returncode == 0
            if not ok:
                out += "\nclient exit code %d" % r.returncode
        except subprocess.TimeoutExpired as e:
            ok = False
            out = "client did not finish within %d s\n%s" % (
                CLIENT_TIMEOUT_S, (e.stdout or b"").decode(errors="replace"))
    finally:
        code = bridge.stop()
        bridge.log.close()
    if code != 0:
        ok = False
        out += "\nfixbridge exited %s on SIGTERM" % code
    if not ok:
        out += "\n--- bridge log (end) ---\n" + bridge.read_log()[-6000:]
    return ok, out


def main():
    binary = os.path.abspath(sys.argv[1])
    wanted = sys.argv[2:]
    with open(os.path.join(ORDERS_DIR, "orders.yaml")) as f:
        config_text = f.read()
    scripts = sorted(glob.glob(os.path.join(ORDERS_DIR, "*.fbs")))
    if wanted:
        scripts = [s for s in scripts if any(w in os.path.basename(s) for w in wanted)]
    if not scripts:
        print("test_orders: no scenario matches")
        return fbtest.finish(0, 1)
    started = time.time()
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {pool.submit(run_one, binary, config_text, s): s for s in scripts}
        results = {}
        for fut in concurrent.futures.as_completed(futures):
            results[futures[fut]] = fut.result()
    for s in scripts:
        name = os.path.splitext(os.path.basename(s))[0]
        ok, out = results[s]
        if ok:
            passed += 1
            print("PASS %s" % name)
            if os.environ.get("FB_VERBOSE"):
                print("    " + out.rstrip().replace("\n", "\n    "))
        else:
            failed += 1
            print("FAIL %s" % name)
            print("    " + out.rstrip().replace("\n", "\n    "))
    print("test_orders: %d scenarios in %.1f s" % (len(scripts), time.time() - started))
    fbtest.finish(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
