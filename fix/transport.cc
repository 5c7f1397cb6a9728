// transport.cc -- the acceptor's own sockets: listeners bound to the
// configured address only, optional TLS, the source-address allow-list, the
// Logon guard, and the one I/O thread that drives every FIX::Session.
//
// QuickFIX's SocketAcceptor binds INADDR_ANY and lets ResetSeqNumFlag act
// before the application sees a Logon; owning the transport fixes both.
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <openssl/err.h>

#include "bridge/log.h"
#include "fix/fix_raw.h"
#include "fix/flat_store.h"
#include "fix/shim_internal.h"

namespace fbfix
{

int64_t now_ms()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool cidr_parse(const std::string &s, Cidr *out)
{
    std::string addr = s;
    int prefix = -1;
    size_t slash = s.find('/');
    if (slash != std::string::npos) {
        addr = s.substr(0, slash);
        std::string p = s.substr(slash + 1);
        if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos)
            return false;
        prefix = std::atoi(p.c_str());
    }
    std::memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, addr.c_str(), out->addr) == 1) {
        out->family = AF_INET;
        out->prefix = prefix < 0 ? 32 : prefix;
        return out->prefix <= 32;
    }
    if (inet_pton(AF_INET6, addr.c_str(), out->addr) == 1) {
        out->family = AF_INET6;
        out->prefix = prefix < 0 ? 128 : prefix;
        return out->prefix <= 128;
    }
    return false;
}

bool cidr_match(const Cidr &c, const struct sockaddr_storage &peer)
{
    const unsigned char *a;
    unsigned char mapped[16];
    int family = peer.ss_family;
    if (family == AF_INET) {
        a = (const unsigned char *)&((const struct sockaddr_in *)&peer)->sin_addr;
    } else {
        a = (const unsigned char *)&((const struct sockaddr_in6 *)&peer)->sin6_addr;
        static const unsigned char v4prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (c.family == AF_INET && std::memcmp(a, v4prefix, 12) == 0) {
            std::memcpy(mapped, a + 12, 4); // IPv4-mapped IPv6 peer
            a = mapped;
            family = AF_INET;
        }
    }
    if (family != c.family)
        return false;
    int bits = c.prefix;
    for (int i = 0; bits > 0; i++, bits -= 8) {
        unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
        if ((a[i] & mask) != (c.addr[i] & mask))
            return false;
    }
    return true;
}

std::string peer_text(const struct sockaddr_storage &peer)
{
    char buf[INET6_ADDRSTRLEN + 8] = "?";
    if (peer.ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)&peer;
        inet_ntop(AF_INET, &s->sin_addr, buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(ntohs(s->sin_port));
    }
    if (peer.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&peer;
        inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
        return "[" + std::string(buf) + "]:" + std::to_string(ntohs(s->sin6_port));
    }
    return buf;
}

static std::string openssl_error()
{
    char buf[256];
    unsigned long e = ERR_get_error();
    if (!e)
        return "unknown TLS error";
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

// ---- Connection ----------------------------------------------------------

Connection::Connection(Acceptor *a, int fd_, size_t li, const struct sockaddr_storage &p)
    : acceptor(a), fd(fd_), listener(li), peer(p), peer_name(peer_text(p)), accepted_ms(now_ms())
{
}

Connection::~Connection()
{
    if (ssl)
        SSL_free(ssl);
    if (fd >= 0)
        ::close(fd);
}

// Writes as much of out_ as the socket takes. Caller holds mu_.
bool Connection::write_locked()
{
    // Stored before sent: what a corked thread noted in the session's store
    // is written before any of its bytes leave, whoever writes them.
    if (store && !out_.empty() && store->has_pending()) {
        std::string err;
        if (!store->flush_pending(&err)) {
            out_.clear(); // not sent; the session is dropped (logged)
            return false;
        }
    }
    while (!out_.empty()) {
        ssize_t n;
        if (ssl) {
            if (!tls_ready)
                return true; // handshake first; flushed once it completes
            ERR_clear_error();
            int r = SSL_write(ssl, out_.data(), (int)std::min(out_.size(), (size_t)1 << 20));
            if (r <= 0) {
                int e = SSL_get_error(ssl, r);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
                    return true;
                return false;
            }
            n = r;
        } else {
            n = ::send(fd, out_.data(), out_.size(), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                    return true;
                return false;
            }
        }
        out_.erase(0, (size_t)n);
    }
    return true;
}

// A thread between fb_fix_cork() and fb_fix_uncork(): what it sends is
// queued per connection and written once at uncork (one send(2) for a
// batch of reports instead of one each). Queued bytes go out in order with
// anything another thread sends meanwhile, since all share out_.
namespace {
thread_local int t_cork = 0;
constexpr int kCorkSlots = 64;
thread_local long t_slots[kCorkSlots];
thread_local int t_nslots = 0;

bool cork_slot(long slot)
{
    if (!t_cork || slot < 0)
        return false;
    for (int i = 0; i < t_nslots; i++)
        if (t_slots[i] == slot)
            return true;
    if (t_nslots == kCorkSlots)
        return false; // too many at once: write this one now
    t_slots[t_nslots++] = slot;
    return true;
}
} // namespace

void fb_transport_cork()
{
    t_cork++;
}

bool fb_transport_corked()
{
    return t_cork > 0;
}

void fb_transport_uncork(Acceptor *a)
{
    if (t_cork == 0 || --t_cork > 0)
        return;
    for (int i = 0; i < t_nslots; i++)
        a->flush_slot((size_t)t_slots[i]);
    t_nslots = 0;
}

void Acceptor::flush_slot(size_t slot)
{
    bool wake_io = false;
    {
        std::lock_guard<std::mutex> lock(bound_mu_);
        Connection *c = slot < bound_.size() ? bound_[slot] : nullptr;
        if (c) {
            bool ok = c->flush();
            if (!ok)
                c->closing = true;
            wake_io = !ok || c->wants_write();
        }
    }
    if (wake_io)
        wake(); // leftovers (or a close) are the I/O thread's to finish
}

bool Connection::send(const std::string &msg)
{
    bool ok, pending;
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (!closing.load() && out_.size() + msg.size() <= kMaxOutbound && cork_slot(slot)) {
            out_ += msg; // written at uncork
            return true;
        }
        if (closing.load() && !close_after_flush)
            return false;
        if (out_.size() + msg.size() > kMaxOutbound) {
            fb_error("fix", "%s: outbound backlog over %zu bytes; dropping the connection",
                     peer_name.c_str(), kMaxOutbound);
            closing = true;
            ok = false;
        } else {
            out_ += msg;
            ok = write_locked();
            if (!ok)
                closing = true;
        }
        pending = !out_.empty();
    }
    // Leftovers (or a close) are the I/O thread's to finish.
    if (pending || !ok)
        acceptor->wake();
    return ok;
}

void Connection::disconnect()
{
    // Called by QuickFIX with the session's lock held: only flag it; the
    // I/O thread flushes what is queued (e.g. a Logout) and closes.
    close_after_flush = true;
    closing = true;
    acceptor->wake();
}

bool Connection::flush()
{
    std::lock_guard<std::mutex> lock(mu_);
    return write_locked();
}

bool Connection::wants_write()
{
    std::lock_guard<std::mutex> lock(mu_);
    if (ssl && !tls_ready)
        return SSL_want_write(ssl);
    return !out_.empty();
}

bool Connection::read_some()
{
    char buf[16384];
    if (ssl) {
        std::lock_guard<std::mutex> lock(mu_);
        if (!tls_ready) {
            ERR_clear_error();
            int r = SSL_accept(ssl);
            if (r == 1) {
                tls_ready = true;
                return write_locked();
            }
            int e = SSL_get_error(ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return true;
            fb_warn("fix", "%s: TLS handshake failed: %s", peer_name.c_str(),
                    openssl_error().c_str());
            return false;
        }
        for (;;) {
            ERR_clear_error();
            int r = SSL_read(ssl, buf, sizeof buf);
            if (r > 0) {
                parser.addToStream(buf, (size_t)r);
                buffered += (size_t)r;
                if (buffered > kMaxInbound)
                    return false;
                continue;
            }
            int e = SSL_get_error(ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return true;
            return false;
        }
    }
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            parser.addToStream(buf, (size_t)n);
            buffered += (size_t)n;
            if (buffered > kMaxInbound)
                return false;
            if ((size_t)n < sizeof buf)
                return true;
            continue;
        }
        if (n == 0)
            return false;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return true;
        if (errno == EINTR)
            continue;
        return false;
    }
}

// ---- Acceptor: listeners -------------------------------------------------

static SSL_CTX *make_tls_ctx(const SessionConf &s)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        throw std::runtime_error("TLS: " + openssl_error());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, s.tls_cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, s.tls_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        std::string e = openssl_error();
        SSL_CTX_free(ctx);
        throw std::runtime_error("session " + s.name + ": TLS certificate/key " + s.tls_cert +
                                 ", " + s.tls_key + ": " + e);
    }
    if (!s.tls_ca.empty() && SSL_CTX_load_verify_locations(ctx, s.tls_ca.c_str(), nullptr) != 1) {
        std::string e = openssl_error();
        SSL_CTX_free(ctx);
        throw std::runtime_error("session " + s.name + ": TLS CA " + s.tls_ca + ": " + e);
    }
    if (s.tls_require_client_cert)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    return ctx;
}

static int open_listener(const std::string &addr, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    std::memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr.c_str(), &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        len = sizeof *s4;
    } else if (inet_pton(AF_INET6, addr.c_str(), &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        len = sizeof *s6;
    } else {
        throw std::runtime_error("listen address '" + addr + "' is not an IP address");
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        throw std::runtime_error(std::string("socket: ") + strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
        int e = errno;
        ::close(fd);
        throw std::runtime_error("cannot listen on " + addr + ":" + std::to_string(port) + ": " +
                                 strerror(e));
    }
    return fd;
}

void Acceptor::open_listeners()
{
    for (size_t i = 0; i < confs_.size(); i++) {
        const SessionConf &s = confs_[i];
        Listener *l = nullptr;
        for (Listener &x : listeners_) {
            if (x.addr == s.listen_addr && x.port == s.port)
                l = &x;
        }
        if (l) {
            const SessionConf &first = confs_[l->slots[0]];
            if (first.has_tls != s.has_tls || first.tls_cert != s.tls_cert ||
                first.tls_require_client_cert != s.tls_require_client_cert)
                throw std::runtime_error("sessions " + first.name + " and " + s.name +
                                         " share " + s.listen_addr + ":" +
                                         std::to_string(s.port) + " but differ in TLS settings");
            l->slots.push_back(i);
            continue;
        }
        Listener nl;
        nl.addr = s.listen_addr;
        nl.port = s.port;
        nl.slots.push_back(i);
        if (s.has_tls)
            nl.ctx = make_tls_ctx(s);
        listeners_.push_back(nl);
    }
    for (Listener &l : listeners_) {
        l.fd = open_listener(l.addr, l.port);
        if (l.port == 0) {
            struct sockaddr_storage ss;
            socklen_t len = sizeof ss;
            getsockname(l.fd, (struct sockaddr *)&ss, &len);
            l.port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                   : ((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        fb_info("fix", "listening on %s:%u%s", l.addr.c_str(), (unsigned)l.port,
                l.ctx ? " (TLS)" : "");
    }
}

uint16_t Acceptor::bound_port(size_t slot) const
{
    for (const Listener &l : listeners_) {
        for (size_t s : l.slots) {
            if (s == slot)
                return l.port;
        }
    }
    return 0;
}

void Acceptor::wake()
{
    uint64_t one = 1;
    if (wake_fd_ >= 0) {
        ssize_t r = ::write(wake_fd_, &one, sizeof one);
        (void)r;
    }
}

void Acceptor::start()
{
    if (running_)
        return;
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0)
        throw std::runtime_error(std::string("eventfd: ") + strerror(errno));
    open_listeners();
    stop_requested_ = false;
    logouts_sent_ = false;
    running_ = true;
    thread_ = std::thread([this] { run(); });
}

void Acceptor::stop(int timeout_ms)
{
    if (!running_)
        goto cleanup;
    stop_timeout_ms_ = timeout_ms;
    stop_requested_ = true;
    wake();
    if (thread_.joinable())
        thread_.join();
    running_ = false;
cleanup:
    for (Listener &l : listeners_) {
        if (l.fd >= 0)
            ::close(l.fd);
        l.fd = -1;
    }
    if (wake_fd_ >= 0)
        ::close(wake_fd_);
    wake_fd_ = -1;
    logs.flush_all();
}

// ---- Acceptor: the I/O thread --------------------------------------------

void Acceptor::accept_on(size_t li)
{
    Listener &l = listeners_[li];
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int fd = accept4(l.fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        // Refuse at once a peer that no session on this listener admits.
        bool admitted = false;
        for (size_t slot : l.slots) {
            const SessionConf &s = confs_[slot];
            if (s.allow.empty())
                admitted = true;
            for (const Cidr &c : s.allow)
                admitted = admitted || cidr_match(c, peer);
        }
        if (!admitted || stop_requested_) {
            if (!stop_requested_)
                fb_warn("fix", "refused connection from %s: not in any allow list",
                        peer_text(peer).c_str());
            ::close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Connection *c = new Connection(this, fd, li, peer);
        if (l.ctx) {
            c->ssl = SSL_new(l.ctx);
            if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
                fb_error("fix", "%s: TLS setup failed: %s", c->peer_name.c_str(),
                         openssl_error().c_str());
                delete c;
                continue;
            }
            SSL_set_accept_state(c->ssl);
        }
        fb_debug("fix", "connection from %s", c->peer_name.c_str());
        conns_.push_back(c);
    }
}

static std::string utc_timestamp_ms()
{
    struct timespec ts;
    struct tm tm;
    char buf[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, sizeof buf, "%Y%m%d-%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03ld", ts.tv_nsec / 1000000);
    return buf;
}

// Answers a refused Logon with a Logout carrying the reason, built by hand so
// that the session's store and sequence numbers stay exactly as they were:
// an unauthenticated peer must not be able to reset or advance them.
void Acceptor::refuse_logon(Connection *c, size_t slot, const std::string &msg,
                            const char *reason)
{
    const SessionConf &s = confs_[slot];
    int seq = 1;
    try {
        seq = sessions_[slot]->getExpectedSenderNum();
    } catch (...) {
    }
    std::string body = "35=5\x01" "34=" + std::to_string(seq) + "\x01" "49=" + s.sender +
                       "\x01" "52=" + utc_timestamp_ms() + "\x01" "56=" + s.target +
                       "\x01" "58=" + reason + "\x01";
    std::string out = "8=" + s.begin + "\x01" "9=" + std::to_string(body.size()) + "\x01" + body;
    unsigned sum = 0;
    for (unsigned char ch : out)
        sum += ch;
    char trailer[16];
    snprintf(trailer, sizeof trailer, "10=%03u\x01", sum % 256);
    out += trailer;
    char sample[512];
    fb_fix_redact(msg.data(), msg.size(), sample, sizeof sample);
    for (char *p = sample; *p; p++) {
        if (*p == '\x01')
            *p = '|';
    }
    fb_warn("fix", "session %s: refused Logon from %s: %s (%s)", s.name.c_str(),
            c->peer_name.c_str(), reason, sample);
    c->send(out);
    c->close_after_flush = true;
    c->closing = true;
}

bool Acceptor::bind_conn(Connection *c, size_t slot)
{
    FIX::Session *s = sessions_[slot];
    if (bound_[slot] || !FIX::Session::registerSession(ids_[slot]))
        return false;
    c->session = s;
    c->store = slot < flat_stores_.size() ? flat_stores_[slot] : nullptr;
    c->slot = (long)slot;
    {
        std::lock_guard<std::mutex> lock(bound_mu_);
        bound_[slot] = c;
    }
    s->setResponder(c);
    return true;
}

void Acceptor::handle_first(Connection *c, const std::string &msg)
{
    const char *v;
    size_t vlen;
    std::string begin, type, sender, target;
    if (fb_fix_raw_get(msg.data(), msg.size(), 8, &v, &vlen))
        begin.assign(v, vlen);
    if (fb_fix_raw_get(msg.data(), msg.size(), 35, &v, &vlen))
        type.assign(v, vlen);
    if (fb_fix_raw_get(msg.data(), msg.size(), 49, &v, &vlen))
        sender.assign(v, vlen);
    if (fb_fix_raw_get(msg.data(), msg.size(), 56, &v, &vlen))
        target.assign(v, vlen);

    char sample[256];
    fb_fix_redact(msg.data(), msg.size(), sample, sizeof sample);
    for (char *p = sample; *p; p++) {
        if (*p == '\x01')
            *p = '|';
    }
    long slot = -1;
    for (size_t s : listeners_[c->listener].slots) {
        const SessionConf &sc = confs_[s];
        if (sc.begin == begin && sc.sender == target && sc.target == sender)
            slot = (long)s;
    }
    if (type != "A" || slot < 0) {
        fb_warn("fix", "%s: %s; closing (%s)", c->peer_name.c_str(),
                type != "A" ? "first message is not a Logon" : "no session for these CompIDs",
                sample);
        c->closing = true;
        return;
    }
    const SessionConf &sc = confs_[(size_t)slot];
    if (!sc.allow.empty()) {
        bool ok = false;
        for (const Cidr &cidr : sc.allow)
            ok = ok || cidr_match(cidr, c->peer);
        if (!ok) {
            fb_warn("fix", "session %s: Logon from %s refused: address not allowed",
                    sc.name.c_str(), c->peer_name.c_str());
            c->closing = true;
            return;
        }
    }
    if (bound_[(size_t)slot]) {
        fb_warn("fix", "session %s: Logon from %s while already connected; closing the new one",
                sc.name.c_str(), c->peer_name.c_str());
        c->closing = true;
        return;
    }
    fb_fix_session_cfg view = sc.view();
    char reason[160];
    if (fb_logon_check(&view, sc.hb_min, sc.hb_max, msg.data(), msg.size(), reason,
                       sizeof reason) != FB_OK) {
        refuse_logon(c, (size_t)slot, msg, reason);
        return;
    }
    if (!bind_conn(c, (size_t)slot)) {
        c->closing = true;
        return;
    }
    try {
        c->session->next(msg, FIX::UtcTimeStamp());
    } catch (const FIX::InvalidMessage &) {
        if (!c->session->isLoggedOn())
            c->closing = true;
    }
    if (!c->closing && !c->session->isLoggedOn()) {
        // QuickFIX dropped the Logon without a word (e.g. a tag its dictionary
        // does not allow in a Logon: "Tried to send a reject while not logged
        // on"); no timeout would ever free the session from this connection.
        fb_warn("fix", "session %s: Logon from %s not accepted by the FIX engine; closing (%s)",
                sc.name.c_str(), c->peer_name.c_str(), sample);
        c->close_after_flush = true;
        c->closing = true;
    }
}

// When the bytes the I/O thread is parsing now were read (CLOCK_REALTIME ns):
// the start of the bridge's own latency for each message in them.
static thread_local int64_t t_read_ns = 0;

int64_t fb_transport_read_ns()
{
    return t_read_ns;
}

void Acceptor::on_readable(Connection *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    t_read_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    if (!c->read_some()) {
        c->closing = true;
        c->close_after_flush = false;
    }
    std::string msg;
    for (;;) {
        if (c->closing && !c->session)
            break;
        bool got;
        try {
            got = c->parser.readFixMessage(msg);
        } catch (const FIX::MessageParseError &) {
            // QuickFIX's parser skips garbage up to the next "8=": a garbled
            // message is dropped (as FIX requires), the session continues.
            char sample[256];
            fb_log_sample(msg.data(), msg.size(), sample, sizeof sample);
            fb_warn("fix", "%s: garbled input dropped", c->peer_name.c_str());
            c->buffered = 0; // the parser discarded what it held
            continue;
        }
        if (!got)
            break;
        c->buffered = c->buffered > msg.size() ? c->buffered - msg.size() : 0;
        if (!c->session) {
            handle_first(c, msg);
            continue;
        }
        try {
            c->session->next(msg, FIX::UtcTimeStamp());
        } catch (const FIX::InvalidMessage &) {
            if (!c->session->isLoggedOn())
                c->closing = true;
        }
    }
}

void Acceptor::close_conn(Connection *c)
{
    if (c->session) {
        try {
            c->session->disconnect(); // clears its responder; calls onLogout
        } catch (...) {
        }
        FIX::Session::unregisterSession(ids_[(size_t)c->slot]);
        std::lock_guard<std::mutex> lock(bound_mu_);
        bound_[(size_t)c->slot] = nullptr;
        c->session = nullptr;
    }
    fb_debug("fix", "closed connection from %s", c->peer_name.c_str());
    std::lock_guard<std::mutex> lock(bound_mu_); // no flush_slot() is in it
    delete c;
}

// The longest logon timeout among the sessions a connection's listener
// serves: before the Logon arrives we cannot know which one it is for.
int Acceptor::listener_logon_timeout_s(const Connection *c) const
{
    int t = 1;
    for (size_t slot : listeners_[c->listener].slots)
        t = std::max(t, confs_[slot].logon_timeout_s);
    return t;
}

void Acceptor::tick(int64_t now)
{
    for (Connection *c : conns_) {
        if (c->session) {
            try {
                c->session->next(FIX::UtcTimeStamp());
            } catch (...) {
            }
        } else if (!c->closing && now - c->accepted_ms > 1000LL * listener_logon_timeout_s(c)) {
            fb_warn("fix", "%s: no Logon within the logon timeout; closing",
                    c->peer_name.c_str());
            c->closing = true;
        }
    }
    logs.flush_all();
}

void Acceptor::run()
{
    std::vector<struct pollfd> pfds;
    int64_t next_tick = now_ms() + 1000;

    for (;;) {
        int64_t now = now_ms();
        if (stop_requested_ && !logouts_sent_) {
            // Ask every logged-on session to log out; QuickFIX sends the
            // Logout on its next tick and waits for the reply.
            for (size_t i = 0; i < sessions_.size(); i++) {
                if (bound_[i] && sessions_[i]->isLoggedOn())
                    sessions_[i]->logout("fixbridge is shutting down");
            }
            logouts_sent_ = true;
            stop_deadline_ms_ = now + stop_timeout_ms_;
            next_tick = now; // send the Logouts now
        }
        if (stop_requested_) {
            bool any = false;
            for (size_t i = 0; i < sessions_.size(); i++)
                any = any || (bound_[i] && sessions_[i]->isLoggedOn());
            if (!any || now >= stop_deadline_ms_)
                break;
        }
        if (now >= next_tick) {
            tick(now);
            next_tick = now + (stop_requested_ ? 100 : 1000);
        }

        // Close what is flagged (after flushing what it has queued).
        for (size_t i = 0; i < conns_.size();) {
            Connection *c = conns_[i];
            if (c->closing) {
                if (c->close_after_flush)
                    c->flush();
                conns_.erase(conns_.begin() + (long)i);
                close_conn(c);
                continue;
            }
            i++;
        }

        pfds.clear();
        pfds.push_back({wake_fd_, POLLIN, 0});
        for (Listener &l : listeners_)
            pfds.push_back({l.fd, POLLIN, 0});
        for (Connection *c : conns_) {
            short ev = POLLIN;
            if (c->wants_write())
                ev |= POLLOUT;
            pfds.push_back({c->fd, ev, 0});
        }
        int timeout = (int)std::max<int64_t>(0, next_tick - now);
        idle();
        int n = poll(pfds.data(), pfds.size(), timeout);
        if (n < 0 && errno != EINTR) {
            fb_error("fix", "poll: %s", strerror(errno));
            break;
        }
        if (n <= 0)
            continue;
        if (pfds[0].revents & POLLIN) {
            uint64_t v;
            ssize_t r = ::read(wake_fd_, &v, sizeof v);
            (void)r;
        }
        size_t base = 1;
        for (size_t li = 0; li < listeners_.size(); li++) {
            if (pfds[base + li].revents & POLLIN)
                accept_on(li);
        }
        base += listeners_.size();
        // conns_ may have grown in accept_on; only the polled ones have slots
        size_t polled = pfds.size() - base;
        for (size_t k = 0; k < polled && k < conns_.size(); k++) {
            Connection *c = conns_[k];
            short re = pfds[base + k].revents;
            if (!re)
                continue;
            if (re & POLLOUT) {
                if (!c->flush()) {
                    c->closing = true;
                    c->close_after_flush = false;
                    continue;
                }
            }
            if (re & (POLLIN | POLLHUP | POLLERR))
                on_readable(c);
        }
    }

    idle();
    for (Connection *c : conns_) {
        c->flush();
        close_conn(c);
    }
    conns_.clear();
    idle(); // the closes' onLogout
    logs.flush_all();
}

void Acceptor::idle()
{
    if (cb.on_io_idle)
        cb.on_io_idle(cb.user);
}

} // namespace fbfix
