#!/usr/bin/env python3
"""End-to-end order scenarios: the real `fixbridge run` and the real
`fixbridge client` over 127.0.0.1.

Each tests/orders/*.fbs is a client script (see `fixbridge client --help`)
named after a FIX order state change matrix scenario. Every scenario gets its
own bridge on tests/orders/orders.yaml (free ports through --ports-file), so
prices moved with `admin POST /sim/price`, mass cancels and left-over orders
never leak from one scenario into another; a few run at a time. A script
line `# session: NAME` picks the FIX session (default: the first, FIX.4.4);
`# after-log: REGEX` (in a later part) holds that part's logon until the
bridge's log has a line matching REGEX, so a part that must start after
something timed happened (a grace period ran out) never races it.

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

# FB_SCENARIO_DIR picks another folder of scenarios (tests/policy); its
# config is the one .yaml file in it.
ORDERS_DIR = os.path.abspath(os.environ.get("FB_SCENARIO_DIR") or os.path.join(fbtest.SOURCE_DIR, "tests",
                                                              "orders"))
PARALLEL = 4
CLIENT_TIMEOUT_S = 60


def script_directive(path, key):
    """The value of the first `# KEY: value` line in a script, or None."""
    with open(path) as f:
        for line in f:
            m = re.match(r"#\s*%s:\s*(.+?)\s*$" % re.escape(key), line)
            if m:
                return m.group(1)
    return None


def script_session(path):
    return script_directive(path, "session")


AFTER_LOG_TIMEOUT_S = 15


def wait_for_log(bridge, pattern):
    """True once the bridge's log has a line matching pattern."""
    rx = re.compile(pattern)
    deadline = time.time() + AFTER_LOG_TIMEOUT_S
    while time.time() < deadline:
        if any(rx.search(line) for line in bridge.read_log().splitlines()):
            return True
        time.sleep(0.05)
    return False


def run_one(binary, config_text, paths):
    """Runs one scenario on its own bridge; returns (ok, report text). A
    scenario is one script, or parts NAME.1.fbs, NAME.2.fbs, ... run one
    after the other (each its own FIX logon) against the same bridge."""
    name = scenario_name(paths[0])
    bridge = fbtest.Bridge(binary, config_text, name=name)
    try:
        bridge.start()
    except RuntimeError as e:
        bridge.log.close()
        return False, str(e)
    out = ""
    ok = True
    try:
        for path in paths:
            session = script_session(path)
            after = script_directive(path, "after-log")
            if after and not wait_for_log(bridge, after):
                ok = False
                out += "\nno bridge log line matching %r within %d s (%s)" % (
                    after, AFTER_LOG_TIMEOUT_S, os.path.basename(path))
                break
            port = bridge.ports[session or "oms44"]
            cmd = [binary, "client", "-c", bridge.config, "--port", str(port), "--admin-port",
                   str(bridge.ports["admin"]), "--script", path]
            if session:
                cmd[2:2] = ["-s", session]
            try:
                r = subprocess.run(cmd, capture_output=True, text=True,
                                   timeout=CLIENT_TIMEOUT_S, cwd=bridge.dir)
                out += r.stdout + r.stderr
                if r.returncode != 0:
                    ok = False
                    out += "\nclient exit code %d (%s)" % (r.returncode, os.path.basename(path))
                    break
            except subprocess.TimeoutExpired as e:
                ok = False
                out += "client did not finish within %d s\n%s" % (
                    CLIENT_TIMEOUT_S, (e.stdout or b"").decode(errors="replace"))
                break
    finally:
        code = bridge.stop()
        bridge.log.close()
    if code != 0:
        ok = False
        out += "\nfixbridge exited %s on SIGTERM" % code
    if not ok:
        out += "\n--- bridge log (end) ---\n" + bridge.read_log()[-6000:]
    return ok, out


def scenario_name(path):
    """"cod.2.fbs" and "cod.1.fbs" are parts of scenario "cod"."""
    base = os.path.basename(path)[:-len(".fbs")]
    m = re.match(r"^(.*)\.(\d+)$", base)
    return m.group(1) if m else base


def main():
    binary = os.path.abspath(sys.argv[1])
    wanted = sys.argv[2:]
    configs = sorted(glob.glob(os.path.join(ORDERS_DIR, "*.yaml")))
    if len(configs) != 1:
        print("test_orders: %s must hold exactly one .yaml config" % ORDERS_DIR)
        return fbtest.finish(0, 1)
    with open(configs[0]) as f:
        config_text = f.read()
    groups = {}
    for path in sorted(glob.glob(os.path.join(ORDERS_DIR, "*.fbs"))):
        groups.setdefault(scenario_name(path), []).append(path)
    scripts = [groups[k] for k in sorted(groups)]
    if wanted:
        scripts = [g for g in scripts if any(w in scenario_name(g[0]) for w in wanted)]
    if not scripts:
        print("test_orders: no scenario matches")
        return fbtest.finish(0, 1)
    started = time.time()
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {pool.submit(run_one, binary, config_text, g): tuple(g) for g in scripts}
        results = {}
        for fut in concurrent.futures.as_completed(futures):
            results[futures[fut]] = fut.result()
    for g in scripts:
        name = scenario_name(g[0])
        ok, out = results[tuple(g)]
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
