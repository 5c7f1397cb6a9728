"""The case runner shared by the venue-sim end-to-end tests (test_binance.py,
test_kraken.py): each case starts its own `fixbridge venue-sim` and bridge,
may queue venue-sim faults (POST /__sim/fault) before its script runs, and
runs a client script (or a phased case's function, opts "run") whose
`admin` lines go to the venue-sim's control endpoint. Afterwards GET
/__sim/orders must show the expected number of venue orders and no client
order id with more than one order (no duplicate venue order).

A case is (name, extra venue-sim args, faults, script, venue orders
expected[, opts]). opts: "policy" (YAML replacing the default policy),
"venue" (YAML lines added to the venue), "bridge" (YAML lines added to
the bridge: section, where the suite's config has a place for them),
"sessions" (YAML added to the first session), "limits" (POST
/__sim/limits parameters, before the bridge starts), "run" (a phased case:
a function of a Run, instead of the script), "venue_types" (the venue
orders' types, in order), "amended" (the venue orders' amended flags).
Python 3 standard library only."""
import concurrent.futures
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fbtest  # noqa: E402

PARALLEL = 6
CLIENT_TIMEOUT_S = 40

# Script lines and a policy the cases of both suites are written with.
POLICY_ALLOW_MARKET = """policy:
  default:
    market_orders: allow
"""
FILLED = "wait-for ExecutionReport ExecType=Trade OrdStatus=Filled ClOrdID=%s CumQty=%s LeavesQty=0"
NEW = "wait-for ExecutionReport ExecType=New OrdStatus=New ClOrdID=%s"


class Venue:
    """What differs between the venue-sim suites: the venue-sim's --venue
    and --market, the credentials both sides read from FB_VSIM_KEY /
    FB_VSIM_SECRET, the bridge config (a %-template with port, venue_extra,
    policy and session_extra) and the temporary directories' prefix."""

    def __init__(self, name, market, key, secret, config, tmp_prefix):
        self.name, self.market = name, market
        self.key, self.secret = key, secret
        self.config, self.tmp_prefix = config, tmp_prefix


def request(method, port, path, params=None):
    """An HTTP call to 127.0.0.1:port with params in the query string (a
    POST has an empty body); the answer's text."""
    url = "http://127.0.0.1:%d%s" % (port, path)
    if params:
        url += "?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.read().decode()


def http(method, port, path, params=None):
    """The venue-sim's control endpoint; the answer's JSON."""
    return json.loads(request(method, port, path, params))


def start_sim(binary, venue, workdir, extra):
    """Starts the venue-sim; (process, log file, port)."""
    ports_file = os.path.join(workdir, "vsim.ports")
    log = open(os.path.join(workdir, "venue-sim.log"), "w")
    env = dict(os.environ, FB_VSIM_KEY=venue.key, FB_VSIM_SECRET=venue.secret)
    proc = subprocess.Popen(
        [binary, "venue-sim", "--venue", venue.name, "--port", "0", "--ports-file", ports_file,
         "--market", venue.market, "--api-key-env", "FB_VSIM_KEY",
         "--api-secret-env", "FB_VSIM_SECRET", "--seed", "7", "--duration-s", "120"] + extra,
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


def stop_sim(sim, sim_log):
    sim.terminate()
    try:
        sim.wait(timeout=10)
    except subprocess.TimeoutExpired:
        sim.kill()
    sim_log.close()


class Run:
    """What a phased case's function gets: run scripts, reach both ports."""

    def __init__(self, binary, bridge, sim_port, workdir, name):
        self.binary, self.bridge, self.sim_port = binary, bridge, sim_port
        self.workdir, self.name, self.n = workdir, name, 0
        self.out = ""

    def script(self, text, session="oms44", bridge_admin=False):
        """Runs one client script as `session`; True if it passed. Output
        kept in .out. Its `admin` lines go to the venue-sim, or with
        bridge_admin to the bridge's own admin endpoint."""
        self.n += 1
        path = os.path.join(self.workdir, "%s-%d.fbs" % (self.name, self.n))
        with open(path, "w") as f:
            f.write(text.lstrip())
        admin = self.bridge.ports["admin"] if bridge_admin else self.sim_port
        cmd = [self.binary, "client", "-c", self.bridge.config, "-s", session, "--port",
               str(self.bridge.ports[session]), "--admin-port", str(admin),
               "--script", path]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S,
                               cwd=self.bridge.dir)
        except subprocess.TimeoutExpired:
            self.out += "\nclient did not finish within %d s" % CLIENT_TIMEOUT_S
            return False
        self.out += r.stdout + r.stderr
        if r.returncode != 0:
            self.out += "\nclient exit code %d" % r.returncode
            return False
        return True

    def metrics(self):
        url = "http://127.0.0.1:%d/metrics" % self.bridge.ports["admin"]
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode()

    def metric(self, prefix):
        """The value of the first /metrics line starting with prefix, or None."""
        for line in self.metrics().splitlines():
            if line.startswith(prefix):
                return line
        return None

    def wait_metric(self, prefix, value, timeout):
        """Polls /metrics until the line starting with prefix ends in value."""
        deadline = time.time() + timeout
        line = None
        while time.time() < deadline:
            line = self.metric(prefix)
            if line and line.rsplit(" ", 1)[1] == value:
                return line
            time.sleep(0.02)
        self.out += "\n/metrics: wanted %s... %s within %g s, last: %s" % (prefix, value,
                                                                            timeout, line)
        return None


def check_venue_orders(rep, want_orders, opts):
    """The venue-sim's GET /__sim/orders against the case: (ok, notes)."""
    ok, out = True, ""
    dups = [c for c in rep["counts"] if c["orders"] > 1]
    if dups:
        ok = False
        out += "\nduplicate venue orders: %s" % dups
    if len(rep["orders"]) != want_orders:
        ok = False
        out += "\nvenue has %d orders, want %d" % (len(rep["orders"]), want_orders)
    for key, field, label in (("venue_types", "type", "types"),
                              ("amended", "amended", "amended")):
        if key not in opts:
            continue
        got = [o[field] for o in rep["orders"]]
        if got != opts[key]:
            ok = False
            out += "\nvenue order %s %s, want %s" % (label, got, opts[key])
    return ok, out


def run_case(binary, venue, case):
    """One case, start to finish; (ok, output)."""
    name, extra, faults, script, want_orders = case[:5]
    opts = case[5] if len(case) > 5 else {}
    workdir = fbtest.scratch_dir(venue.tmp_prefix)
    out = ""
    try:
        sim, sim_log, sim_port = start_sim(binary, venue, workdir, extra)
    except RuntimeError as e:
        return False, str(e)
    config = venue.config % {"port": sim_port, "venue_extra": opts.get("venue", ""),
                             "policy": opts.get("policy", ""),
                             "bridge_extra": opts.get("bridge", ""),
                             "session_extra": opts.get("sessions", "")}
    bridge = fbtest.Bridge(binary, config, name=name,
                           env={"FB_VSIM_KEY": venue.key, "FB_VSIM_SECRET": venue.secret})
    ok = True
    code = None
    try:
        if "limits" in opts:
            http("POST", sim_port, "/__sim/limits", opts["limits"])
        bridge.start()
        for f in faults:
            http("POST", sim_port, "/__sim/fault", dict(urllib.parse.parse_qsl(f)))
        run = Run(binary, bridge, sim_port, workdir, name)
        ok = opts["run"](run) if "run" in opts else run.script(script)
        out += run.out
        rep = http("GET", sim_port, "/__sim/orders")
        orders_ok, notes = check_venue_orders(rep, want_orders, opts)
        ok = ok and orders_ok
        out += notes
        out += "\nvenue: " + json.dumps(rep)
    except (RuntimeError, OSError, ValueError, KeyError) as e:
        ok = False
        out += "\n%s" % e
    finally:
        code = bridge.stop()
        if getattr(bridge, "log", None):
            bridge.log.close()
        stop_sim(sim, sim_log)
    if code != 0:
        ok = False
        out += "\nfixbridge exited %s on SIGTERM" % code
    if not ok:
        out += "\n--- bridge log (end) ---\n" + bridge.read_log()[-4000:]
        with open(os.path.join(workdir, "venue-sim.log")) as f:
            out += "\n--- venue-sim log (end) ---\n" + f.read()[-2000:]
    return ok, out


def main(venue, cases, label):
    """usage: SCRIPT FIXBRIDGE_BINARY [NAME_SUBSTRING ...]: runs the cases
    whose names contain one of the substrings (all without any), PARALLEL
    at a time; prints PASS/FAIL per case and `N passed, M failed`."""
    binary = os.path.abspath(sys.argv[1])
    wanted = sys.argv[2:]
    cases = [c for c in cases if not wanted or any(w in c[0] for w in wanted)]
    started = time.time()
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(lambda c: run_case(binary, venue, c), cases))
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
    print("%s: %d cases in %.1f s" % (label, len(cases), time.time() - started))
    fbtest.finish(passed, failed)
