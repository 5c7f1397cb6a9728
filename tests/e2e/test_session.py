#!/usr/bin/env python3
"""End-to-end tests of the FIX session behaviours fixbridge relies on.

Runs every script in tests/roe/*.def (see tests/roe/README.md) and the
cases below that do not fit a script (TLS, SIGTERM, the message log, the
listen address), each against its own `fixbridge run` on free loopback
ports, several at a time. Prints `PASS name` or `FAIL name: why` per case
and the closing line `N passed, M failed`.

usage: test_session.py FIXBRIDGE_BINARY [CASE_NAME_SUBSTRING ...]
"""
import concurrent.futures
import glob
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fbtest  # noqa: E402
import fixwire  # noqa: E402
import roe  # noqa: E402

ROE_DIR = os.path.join(fbtest.SOURCE_DIR, "tests", "roe")


class Fail(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Fail(why)


def session_config(extra=""):
    """The default script session (FIX.4.4, FIXBRIDGE <- OMS) plus YAML lines."""
    st = roe.parse_header([])
    return roe.config_yaml(st).replace("    store: memory\n", "    store: memory\n" + extra, 1)


def logon(begin="FIX.4.4", seq=1, extra=()):
    return fixwire.frame(begin, [("35", "A"), ("49", "OMS"), ("56", "FIXBRIDGE"),
                                 ("34", str(seq)), ("52", fixwire.utc_timestamp()),
                                 ("98", "0"), ("108", "30")] + list(extra))


def expect(conn, spec, what):
    """Reads one message and checks the fields in spec ('35=A|34=1|!141')."""
    try:
        got = conn.read()
    except fixwire.WireError as e:
        raise Fail("%s: expected %s, but %s" % (what, spec, e))
    why = fixwire.match_subset(roe.subset_spec(spec.replace("|", fixwire.SOH)), got)
    check(why is None, "%s: %s\n    expected: %s\n    received: %s" % (
        what, why, spec, fixwire.show(got)))
    return got


# ---- TLS ------------------------------------------------------------------

def openssl(*args, cwd):
    r = subprocess.run(("openssl",) + args, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise Fail("openssl %s: %s" % (" ".join(args), r.stderr.strip()))


def make_pki(d):
    """A throwaway CA, a server certificate for 127.0.0.1 and a client
    certificate, all signed by the CA."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
            "/CN=fbtest CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for who, ext in (("server", ["-extfile", "san.ext"]), ("client", [])):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=fbtest " + who,
                "-keyout", who + ".key", "-out", who + ".csr", cwd=d)
        openssl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "1", "-out", who + ".pem", *ext, cwd=d)
    return {k: os.path.join(d, k) for k in ("ca.pem", "server.pem", "server.key",
                                            "client.pem", "client.key")}


def tls_conn(port, pki, client_cert):
    ctx = ssl.create_default_context(cafile=pki["ca.pem"])
    if client_cert:
        ctx.load_cert_chain(pki["client.pem"], pki["client.key"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return fixwire.Conn(sock=ctx.wrap_socket(raw, server_hostname="127.0.0.1"))


def tls_bridge(binary, d, pki, require):
    tls = "    tls: {cert: %s, key: %s, ca: %s, require_client_cert: %s}\n" % (
        pki["server.pem"], pki["server.key"], pki["ca.pem"], "true" if require else "false")
    return fbtest.Bridge(binary, session_config(tls), name="tls")


def test_tls_LogonOverTLS(binary):
    d = tempfile.mkdtemp(prefix="fb-pki-")
    try:
        pki = make_pki(d)
        with tls_bridge(binary, d, pki, False) as b:
            c = tls_conn(b.ports["oms"], pki, client_cert=False)
            check(c.sock.version() in ("TLSv1.2", "TLSv1.3"), "TLS version %s" % c.sock.version())
            c.send(logon())
            expect(c, "35=A|34=1", "Logon over TLS")
            c.send(fixwire.frame("FIX.4.4", [("35", "1"), ("49", "OMS"), ("56", "FIXBRIDGE"),
                                             ("34", "2"), ("52", fixwire.utc_timestamp()),
                                             ("112", "TLS")]))
            expect(c, "35=0|34=2|112=TLS", "TestRequest over TLS")
            c.close()
            # plain TCP to a TLS listener gets no FIX answer
            p = fixwire.Conn("127.0.0.1", b.ports["oms"], timeout=3)
            p.send(logon(seq=3))
            try:
                got = p.read()
                raise Fail("plain-text Logon to the TLS port was answered: %s" % fixwire.show(got))
            except fixwire.WireError:
                pass
            p.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_tls_ClientCertRequired(binary):
    d = tempfile.mkdtemp(prefix="fb-pki-")
    try:
        pki = make_pki(d)
        with tls_bridge(binary, d, pki, True) as b:
            port = b.ports["oms"]
            # Without a client certificate the handshake fails (with TLS 1.3
            # the client learns it on its first read: an alert, or EOF).
            try:
                c = tls_conn(port, pki, client_cert=False)
                c.send(logon())
                got = c.read()
                raise Fail("Logon without a client certificate was answered: %s"
                           % fixwire.show(got))
            except (ssl.SSLError, fixwire.WireError, ConnectionError):
                pass
            # With one, the same Logon is accepted: the refusal was the certificate.
            c = tls_conn(port, pki, client_cert=True)
            c.send(logon())
            expect(c, "35=A|34=1", "Logon with a client certificate")
            c.close()
            check(b.proc.poll() is None, "fixbridge died")
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- the message log and stderr never hold a password ----------------------

def test_log_PasswordRedacted(binary):
    secret = "Zq7-secret-pw"
    cfg = session_config("    message_log: true\n"
                         "    credentials: {username: oms1, password_env: FB_TEST_PW}\n")
    b = fbtest.Bridge(binary, cfg, env={"FB_TEST_PW": secret}, name="redact")
    with b:
        c = fixwire.Conn("127.0.0.1", b.ports["oms"])
        # a refused Logon (wrong password, logged by the Logon guard) ...
        c.send(logon(extra=[("553", "oms1"), ("554", secret + "x")]))
        expect(c, "35=5", "refused Logon")
        c.wait_closed()
        c.close()
        # ... and an accepted one (logged by QuickFIX's message log)
        c = fixwire.Conn("127.0.0.1", b.ports["oms"])
        raw = "raw-" + secret  # RawData (96) may carry credentials too
        c.send(logon(extra=[("95", str(len(raw))), ("96", raw), ("553", "oms1"), ("554", secret)]))
        expect(c, "35=A", "Logon")
        c.send(fixwire.frame("FIX.4.4", [("35", "5"), ("49", "OMS"), ("56", "FIXBRIDGE"),
                                         ("34", "2"), ("52", fixwire.utc_timestamp())]))
        expect(c, "35=5", "Logout")
        c.wait_closed()
        c.close()
        check(b.stop() == 0, "fixbridge did not exit 0 on SIGTERM")
    logs = glob.glob(os.path.join(b.dir, "data", "log", "*.messages.log"))
    check(logs, "no message log under %s/data/log" % b.dir)
    text = "".join(open(p, encoding="latin-1").read() for p in logs)
    stderr = b.read_log()
    for name, t in (("message log", text), ("bridge stderr", stderr)):
        check(secret not in t, "the password appears in the %s" % name)
    check("554=***" in text, "the message log has no 554=*** (Logon not logged?):\n" + text[-2000:])
    check("96=***" in text, "the message log has no 96=***:\n" + text[-2000:])
    check("553=oms1" in text, "the message log lost the Username")


# ---- SIGTERM ----------------------------------------------------------------

def test_shutdown_LogoutOnSigterm(binary):
    b = fbtest.Bridge(binary, session_config(), name="sigterm")
    with b:
        c = fixwire.Conn("127.0.0.1", b.ports["oms"])
        c.send(logon())
        expect(c, "35=A|34=1", "Logon")
        t0 = time.time()
        b.proc.send_signal(15)
        got = expect(c, "35=5|34=2", "Logout after SIGTERM")
        check(time.time() - t0 < 3, "Logout took %.1fs" % (time.time() - t0))
        check(fixwire.get(got, 58), "the Logout has no Text")
        c.send(fixwire.frame("FIX.4.4", [("35", "5"), ("49", "OMS"), ("56", "FIXBRIDGE"),
                                         ("34", "2"), ("52", fixwire.utc_timestamp())]))
        c.wait_closed(5)
        try:
            code = b.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise Fail("fixbridge still running 10s after SIGTERM")
        check(code == 0, "fixbridge exited %s on SIGTERM, expected 0" % code)


# ---- the listener is on the configured address only ---------------------------

def listeners(port):
    """Local addresses (hex, as in /proc/net/tcp*) listening on port."""
    out = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(f).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            p = line.split()
            addr, hport = p[1].rsplit(":", 1)
            if p[3] == "0A" and int(hport, 16) == port:
                out.append(addr)
    return out


def test_bind_LoopbackOnly(binary):
    with fbtest.Bridge(binary, session_config(), name="bind") as b:
        port = b.ports["oms"]
        ls = listeners(port)
        check(ls == ["0100007F"], "listeners on port %d: %s (want only 127.0.0.1 = 0100007F)"
              % (port, ls))


# ---- the runner ----------------------------------------------------------------

def cases(binary):
    out = []
    for path in sorted(glob.glob(os.path.join(ROE_DIR, "*.def"))):
        name = os.path.splitext(os.path.basename(path))[0]
        out.append((name, lambda p=path: roe.run_script(binary, p)))
    for name, fn in sorted(globals().items()):
        if name.startswith("test_") and callable(fn):
            out.append((name[5:], lambda f=fn: f(binary)))
    return out


def run_case(fn):
    t0 = time.time()
    try:
        why = fn()
    except Fail as e:
        why = str(e)
    except Exception as e:  # a bug in the test or an unexpected socket error
        why = "%s: %s" % (type(e).__name__, e)
    return why, time.time() - t0


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    todo = [(n, f) for n, f in cases(binary)
            if len(sys.argv) == 2 or any(s in n for s in sys.argv[2:])]
    passed = failed = 0
    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        futs = [(n, ex.submit(run_case, f)) for n, f in todo]
        for name, fut in futs:
            why, secs = fut.result()
            if why is None:
                passed += 1
                print("PASS %s" % name)
            else:
                failed += 1
                print("FAIL %s: %s" % (name, why))
            sys.stdout.flush()
    print("session tests: %d cases in %.1fs" % (len(todo), time.time() - t0))
    fbtest.finish(passed, failed)


if __name__ == "__main__":
    sys.exit(main())
