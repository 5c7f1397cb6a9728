"""Helpers for fixbridge's end-to-end tests: start the real binary on a
config written to a temporary directory, on free loopback ports, and stop
it. Python 3 standard library only."""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# Scratch directories made by this run: removed when the test program
# exits (what a failure needs is printed before then), unless FB_KEEP_TMP
# is set, so CI machines and long soaks do not fill /tmp.
_scratch = []


def scratch_dir(prefix):
    """A new directory under $TMPDIR that goes away at exit."""
    d = tempfile.mkdtemp(prefix=prefix)
    _scratch.append(d)
    return d


@atexit.register
def _remove_scratch():
    if os.environ.get("FB_KEEP_TMP"):
        if _scratch:
            print("FB_KEEP_TMP: kept %d directories, e.g. %s" % (len(_scratch), _scratch[0]))
        return
    for d in _scratch:
        shutil.rmtree(d, ignore_errors=True)

SOURCE_DIR = os.environ.get("FB_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))


def sandbox_venue_yaml():
    """A minimal sim venue and routes, for configs that only test sessions."""
    return """venues:
  - name: paper
    type: sim
    seed: 7
    markets:
      - symbol: BTCUSDT
        base: BTC
        quote: USDT
        reference_price: "65000"
        tick_size: "0.01"
        step_size: "0.00001"
routes:
  - symbol: BTC/USDT
    venue: paper
    venue_symbol: BTCUSDT
"""


# A paper venue whose price stays at 60000 (no walk, no spread), for the
# restart tests; a `venues:` entry.
PAPER_STILL = """  - name: paper
    type: sim
    seed: 5
    tick_ms: 50
    markets:
      - symbol: BTCUSDT
        base: BTC
        quote: USDT
        reference_price: "60000"
        tick_size: "0.01"
        step_size: "0.00001"
        volatility_bps: 0
        spread_bps: 0"""


class Bridge:
    """A running `fixbridge run` on a config; use as a context manager."""

    def __init__(self, binary, config_text, env=None, name="bridge"):
        self.binary = binary
        self.dir = scratch_dir("fb-e2e-")
        self.config = os.path.join(self.dir, "fixbridge.yaml")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.ports_file = os.path.join(self.dir, "ports")
        self.log_path = os.path.join(self.dir, name + ".log")
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self.ports = {}

    def start(self, timeout=20, append_log=False):
        self.log = open(self.log_path, "a" if append_log else "w")
        self.proc = subprocess.Popen(
            [self.binary, "run", "-c", self.config, "--ports-file", self.ports_file],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env, cwd=self.dir)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("fixbridge exited with %d:\n%s" % (self.proc.returncode,
                                                                      self.read_log()))
            if os.path.exists(self.ports_file):
                with open(self.ports_file) as f:
                    for line in f:
                        name, port = line.split()
                        self.ports[name] = int(port)
                return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("fixbridge did not start within %ds:\n%s" % (timeout, self.read_log()))

    def restart(self, timeout=20, append_log=False):
        """Starts again on the same directory (data, journal, stores) after
        stop() or kill(); the log starts afresh unless append_log."""
        self.log.close()
        if os.path.exists(self.ports_file):
            os.unlink(self.ports_file)
        self.ports = {}
        return self.start(timeout, append_log)

    def read_log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=15):
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self.log.close()


def finish(passed, failed):
    """The closing line CI reads, and the exit status."""
    print("%d passed, %d failed" % (passed, failed))
    sys.stdout.flush()
    sys.exit(1 if failed else 0)
