"""fixwire: a tiny raw FIX client for end-to-end tests (Python 3 stdlib only).

Messages are handled as text (latin-1) with SOH separators; `show()` prints
them with '|'. Nothing here knows about sessions: it frames, sends, reads one
message with a timeout, and compares fields.
"""
import datetime
import re
import socket
import time

SOH = "\x01"


class WireError(Exception):
    """A read timed out, the peer closed, or the bytes were not FIX."""


def show(msg):
    """A message for humans: SOH as '|'."""
    if isinstance(msg, bytes):
        msg = msg.decode("latin-1")
    return msg.replace(SOH, "|")


def utc_timestamp(offset_s=0.0, millis=True):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
    s = t.strftime("%Y%m%d-%H:%M:%S")
    return s + (".%03d" % (t.microsecond // 1000) if millis else "")


def checksum(text):
    return sum(text.encode("latin-1")) % 256


def frame(begin_string, fields):
    """8=, 9=BodyLength, the fields (list of (tag, value)), 10=CheckSum."""
    body = "".join("%s=%s%s" % (t, v, SOH) for t, v in fields)
    head = "8=%s%s9=%d%s" % (begin_string, SOH, len(body.encode("latin-1")), SOH)
    return head + body + "10=%03d%s" % (checksum(head + body), SOH)


def fixify(text):
    """Completes hand-written text that starts with 8=: computes 9= and 10=
    when absent and keeps any given on purpose (to test a wrong BodyLength or
    CheckSum). Also '9=+N'/'9=-N' (the right length plus or minus N) and
    '10=!' (a checksum that is certainly wrong). Other text is returned as is."""
    if not text.startswith("8="):
        return text
    if not text.endswith(SOH):
        text += SOH
    head, _, rest = text.partition(SOH)
    head += SOH
    length = None
    m = re.match(r"9=([+-]?\d*)\x01", rest)
    if m:
        length, rest = m.group(1), rest[m.end():]
    trailer = None
    m = re.search(r"(^|\x01)10=([^\x01]*)\x01$", rest)
    if m:
        trailer, rest = m.group(2), rest[:m.start() + len(m.group(1))]
    n = len(rest.encode("latin-1"))
    if length is None:
        length = str(n)
    elif length[:1] in "+-" and length[1:]:
        length = str(n + int(length))
    rest = "9=%s%s%s" % (length, SOH, rest)
    right = "%03d" % checksum(head + rest)
    if trailer is None:
        trailer = right
    elif trailer == "!":
        trailer = "%03d" % ((int(right) + 1) % 256)
    return head + rest + "10=%s%s" % (trailer, SOH)


def parse(msg):
    """[(tag, value), ...] in wire order; tags stay strings (garbage allowed)."""
    out = []
    for f in msg.split(SOH):
        if f == "":
            continue
        t, _, v = f.partition("=")
        out.append((t, v))
    return out


def get(msg, tag, default=None):
    """First value of tag in msg (text or parsed list)."""
    fields = parse(msg) if isinstance(msg, str) else msg
    for t, v in fields:
        if t == str(tag):
            return v
    return default


def match_subset(expected, actual):
    """expected: [(tag, spec)] where spec is a value (exact), '~regex' (search),
    or None (tag must be absent). Returns None if every one holds, else why."""
    fields = parse(actual)
    for tag, spec in expected:
        have = [v for t, v in fields if t == tag]
        if spec is None:
            if have:
                return "field %s should be absent but is %r" % (tag, have[0])
            continue
        if not have:
            return "field %s missing" % tag
        if spec.startswith("~"):
            if not re.search(spec[1:], have[0]):
                return "field %s=%r does not match /%s/" % (tag, have[0], spec[1:])
        elif have[0] != spec:
            return "field %s is %r, expected %r" % (tag, have[0], spec)
    return None


# Fields whose values vary run to run: compared by pattern in exact mode.
TOLERANT = {
    "9": r"^\d+$",
    "10": r"^\d{3}$",
    "42": r"^\d{8}-\d{2}:\d{2}:\d{2}",
    "52": r"^\d{8}-\d{2}:\d{2}:\d{2}",
    "60": r"^\d{8}-\d{2}:\d{2}:\d{2}",
    "122": r"^\d{8}-\d{2}:\d{2}:\d{2}",
}


def match_exact(expected, actual):
    """QuickFIX .def comparison: same tags in the same order, same values,
    except TOLERANT tags, which match a timestamp/number pattern."""
    le, la = parse(expected), parse(actual)
    if [t for t, _ in le] != [t for t, _ in la]:
        return "tags differ: expected %s, got %s" % (
            ",".join(t for t, _ in le), ",".join(t for t, _ in la))
    for (t, ev), (_, av) in zip(le, la):
        rx = TOLERANT.get(t)
        if rx is None and ev != av:
            return "field %s is %r, expected %r" % (t, av, ev)
        if rx is not None and not re.search(rx, av):
            return "field %s=%r does not match /%s/" % (t, av, rx)
    return None


class Conn:
    """One TCP (or TLS: pass an ssl.SSLSocket as sock) connection."""

    def __init__(self, host=None, port=None, timeout=5.0, sock=None):
        self.sock = sock or socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.buf = b""
        self.closed = False  # the peer closed (or reset) the connection

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        try:
            self.sock.sendall(data)
        except OSError:
            # the peer closed first; reads will report it
            self.closed = True

    def _fill(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            raise WireError("timed out")
        self.sock.settimeout(left)
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            raise WireError("timed out")
        except OSError:
            d = b""
        if not d:
            self.closed = True
            raise WireError("connection closed by the bridge")
        self.buf += d

    def read(self, timeout=None):
        """One whole message as text, framed by its BodyLength."""
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        while True:
            m = re.match(rb"8=[^\x01]*\x019=(\d+)\x01", self.buf)
            if m:
                end = m.end() + int(m.group(1))
                while len(self.buf) < end + 7 or b"\x01" not in self.buf[end:]:
                    self._fill(deadline)
                stop = self.buf.index(b"\x01", end) + 1
                msg, self.buf = self.buf[:stop], self.buf[stop:]
                return msg.decode("latin-1")
            if len(self.buf) > 64 and not self.buf.startswith(b"8="):
                raise WireError("not FIX: %r" % self.buf[:64])
            self._fill(deadline)

    def wait_closed(self, timeout=10.0, skip=("0", "1")):
        """Waits for the bridge to close; messages of the types in skip are
        tolerated on the way (heartbeats), anything else is an error."""
        deadline = time.time() + timeout
        while True:
            try:
                msg = self.read(max(0.0, deadline - time.time()))
            except WireError as e:
                if self.closed:
                    return
                raise WireError("still connected after %.0fs (%s)" % (timeout, e))
            if get(msg, 35) not in skip:
                raise WireError("expected a disconnect, got %s" % show(msg))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
