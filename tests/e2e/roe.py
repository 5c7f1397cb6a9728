"""roe: runs one declarative session script (tests/roe/*.def) against a fresh
`fixbridge run`. The format follows QuickFIX's acceptance-test .def files,
with '|' allowed for SOH and a few extensions. See tests/roe/README.md.
"""
import os
import re
import time

import fbtest
import fixwire
from fixwire import SOH

DEFAULT_SESSION = [
    ("name", "oms"), ("fix_version", "FIX.4.4"), ("sender_comp_id", "FIXBRIDGE"),
    ("target_comp_id", "OMS"), ("listen", "127.0.0.1"), ("port", "0"), ("reset", "never"),
    ("store", "memory"),
]


class ScriptError(Exception):
    pass


def parse_header(lines):
    """%config/%bridge/%env/%timeout lines -> settings dict."""
    st = {"session": dict(DEFAULT_SESSION), "bridge": {}, "env": {}, "timeout": 5.0}
    for num, line in lines:
        if not line.startswith("%"):
            continue
        word, _, rest = line[1:].partition(" ")
        key, eq, val = rest.strip().partition("=")
        if word == "timeout":
            st["timeout"] = float(rest)
        elif word in ("config", "bridge", "env") and eq:
            st["session" if word == "config" else word][key.strip()] = val.strip()
        else:
            raise ScriptError("line %d: bad header %r" % (num, line))
    return st


def config_yaml(st):
    y = "bridge:\n  data_dir: data\n  log_level: info\n  dictionary_dir: %s/spec\n" % (
        fbtest.SOURCE_DIR)
    for k, v in st["bridge"].items():
        y += "  %s: %s\n" % (k, v)
    y += "sessions:\n"
    for i, (k, v) in enumerate(st["session"].items()):
        y += "%s%s: %s\n" % ("  - " if i == 0 else "    ", k, v)
    return y + fbtest.sandbox_venue_yaml()


def substitute(text, st):
    """<TIME>, <TIME+N>, <TIME-N>: UTC now (+/- N s); ${VAR}: from %env or the
    environment; <LAST:tag>: that field of the last message received."""
    env = st["env"]

    def timeify(m):
        off = int(m.group(2) or 0) * (-1 if m.group(1) == "-" else 1)
        return fixwire.utc_timestamp(off)
    text = re.sub(r"<TIME(?:([+-])(\d+))?>", timeify, text)
    text = re.sub(r"<LAST:(\d+)>", lambda m: fixwire.get(st.get("last", ""), m.group(1), ""), text)
    return re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), os.environ.get(m.group(1), "")),
                  text)


def short_form(body, st):
    """'35=0|34=2|112=X' -> a whole message: 8 and 9 first, then 35, 49, 56,
    52 (filled from the session unless given), the rest in order, 10 last."""
    fields = fixwire.parse(body)
    tags = [t for t, _ in fields]
    if "35" not in tags:
        raise ScriptError("short-form message without 35=")
    s = st["session"]
    head = [("35", dict(fields)["35"])]
    for tag, val in (("49", s["target_comp_id"]), ("56", s["sender_comp_id"]),
                     ("52", fixwire.utc_timestamp())):
        if tag not in tags:
            head.append((tag, val))
    rest = [(t, v) for t, v in fields if t != "35"]
    return fixwire.frame(s["fix_version"], head + rest)


def subset_spec(body):
    """'35=0|112=X|58~why|!141' -> [(tag, spec)] for fixwire.match_subset."""
    out = []
    for f in body.split(SOH):
        if not f:
            continue
        if f.startswith("!"):
            out.append((f[1:], None))
            continue
        m = re.match(r"(\d+)([=~])(.*)$", f, re.S)
        if not m:
            raise ScriptError("bad expected field %r" % f)
        out.append((m.group(1), m.group(3) if m.group(2) == "=" else "~" + m.group(3)))
    return out


def run_script(binary, path):
    """Runs one script; returns None on success, else a reason (str)."""
    raw = open(path, encoding="latin-1").read().split("\n")
    lines = [(n, l.rstrip("\r")) for n, l in enumerate(raw, 1)]
    lines = [(n, l) for n, l in lines if l.strip() and not l.lstrip().startswith("#")]
    st = parse_header(lines)
    name = os.path.splitext(os.path.basename(path))[0]
    bridge = fbtest.Bridge(os.path.abspath(binary), config_yaml(st), env=st["env"], name=name)
    conns = {}
    try:
        bridge.start()
        port = bridge.ports[st["session"]["name"]]
        for num, line in lines:
            if line.startswith("%"):
                continue
            try:
                step(line, st, conns, port)
            except (ScriptError, fixwire.WireError, OSError) as e:
                return "line %d: %s: %s" % (num, line[:60], e)
            if bridge.proc.poll() is not None:
                return "line %d: fixbridge died (exit %s)\n%s" % (
                    num, bridge.proc.returncode, bridge.read_log()[-3000:])
        for c in conns.values():
            c.close()
        conns.clear()
        code = bridge.stop()
        if code != 0:
            return "fixbridge exited %s on SIGTERM\n%s" % (code, bridge.read_log()[-3000:])
        return None
    except RuntimeError as e:
        return str(e)
    finally:
        for c in conns.values():
            c.close()
        bridge.kill()
        if getattr(bridge, "log", None):
            bridge.log.close()


def step(line, st, conns, port):
    m = re.match(r"([IEWie])(?:(\d),)?\s?(.*)$", line, re.S)
    if not m:
        raise ScriptError("syntax")
    kind, cid, body = m.group(1), int(m.group(2) or 1), m.group(3)
    timeout = st["timeout"]
    if kind == "i":
        word, _, arg = body.partition(" ")
        if word == "CONNECT":
            conns[cid] = fixwire.Conn("127.0.0.1", port, timeout=timeout)
        elif word == "DISCONNECT":
            conns.pop(cid).close()
        elif word == "SLEEP":
            time.sleep(float(arg))
        else:
            raise ScriptError("unknown action")
        return
    if kind == "e":
        word, _, arg = body.partition(" ")
        if word != "DISCONNECT":
            raise ScriptError("unknown expectation")
        conn(conns, cid).wait_closed(float(arg) if arg else 10.0)
        return
    body = substitute(body, st).replace("|", SOH)
    if kind == "I":
        c = conn(conns, cid)
        if body.startswith("RAW "):
            c.send(body[4:])
        elif body.startswith("JUNK "):
            c.send(b"X" * int(body[5:]))
        elif body.startswith("8="):
            c.send(fixwire.fixify(body))
        else:
            c.send(short_form(body, st))
        return
    c = conn(conns, cid)
    exact = body.startswith("8=")
    if exact:
        body = fixwire.fixify(body)
    deadline = time.time() + timeout
    while True:
        try:
            got = c.read(max(0.0, deadline - time.time()))
        except fixwire.WireError as e:
            raise ScriptError("expected %s, but %s" % (fixwire.show(body), e))
        if kind == "W" and fixwire.get(got, 35) == "0" and fixwire.get(body, 35) != "0":
            continue  # W skips heartbeats
        why = fixwire.match_exact(body, got) if exact else \
            fixwire.match_subset(subset_spec(body), got)
        if why:
            raise ScriptError("%s\n    expected: %s\n    received: %s" % (
                why, fixwire.show(body), fixwire.show(got)))
        st["last"] = got
        return


def conn(conns, cid):
    if cid not in conns:
        raise ScriptError("connection %d is not open" % cid)
    return conns[cid]
