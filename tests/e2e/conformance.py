#!/usr/bin/env python3
"""Runs QuickFIX's session-layer acceptance scripts (../shared/conformance)
against the real `fixbridge run`, configured as the scripts require:
ISLD <- TW42 (FIX.4.2) and ISLD <- TW44 (FIX.4.4), no credentials, reset on
every logon, on one free loopback port. The FIX.4.2 and FIX.4.4 halves run
in parallel (they use different sessions) to halve the heartbeat waits.

usage: conformance.py FIXBRIDGE_BINARY [SHARED_DIR]
Exit 77 (skipped) when the shared conformance folder is absent."""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fbtest  # noqa: E402


def main():
    binary = os.path.abspath(sys.argv[1])
    shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(fbtest.SOURCE_DIR, "..", "shared")
    at = os.path.join(shared, "conformance", "quickfix-at")
    listing = os.path.join(at, "session-layer-fix42-fix44.txt")
    if not os.path.exists(listing):
        print("conformance: %s not found; skipped" % listing)
        return 77
    scripts = [l.strip() for l in open(listing) if l.strip() and not l.startswith("#")]
    config = """bridge:
  data_dir: data
  log_level: warn
  dictionary_dir: %s/spec
sessions:
  - name: tw42
    fix_version: FIX.4.2
    sender_comp_id: ISLD
    target_comp_id: TW42
    port: 0
    reset: on_logon
    store: memory
  - name: tw44
    fix_version: FIX.4.4
    sender_comp_id: ISLD
    target_comp_id: TW44
    port: 0
    reset: on_logon
    store: memory
""" % fbtest.SOURCE_DIR + fbtest.sandbox_venue_yaml()
    with fbtest.Bridge(binary, config, name="conformance") as bridge:
        port = bridge.ports["tw44"]
        assert bridge.ports["tw42"] == port
        procs = []
        for ver in ("fix42", "fix44"):
            part = [os.path.join(at, s) for s in scripts if "/%s/" % ver in s]
            lf = os.path.join(bridge.dir, ver + ".txt")
            with open(lf, "w") as f:
                f.write("\n".join(part) + "\n")
            out = open(os.path.join(bridge.dir, ver + ".out"), "w+")
            p = subprocess.Popen([sys.executable, os.path.join(at, "atrun.py"), "127.0.0.1",
                                  str(port), "--list", lf], stdout=out, stderr=subprocess.STDOUT,
                                 cwd=at)
            procs.append((p, out, len(part)))
        passed = failed = 0
        for p, out, n in procs:
            p.wait(timeout=1200)
            out.seek(0)
            text = out.read()
            sys.stdout.write(text)
            f = len(re.findall(r"^FAIL ", text, re.M))
            failed += f
            passed += len(re.findall(r"^PASS ", text, re.M))
            if f == 0 and len(re.findall(r"^PASS ", text, re.M)) != n:
                failed += n  # the runner died before reporting every script
        code = bridge.stop()
        if code != 0:
            print("conformance: fixbridge exited %s on SIGTERM\n%s" % (code, bridge.read_log()))
            failed += 1
        elif failed:
            sys.stdout.write(bridge.read_log()[-20000:])
    print("conformance: %d of %d scripts passed" % (passed, len(scripts)))
    fbtest.finish(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
