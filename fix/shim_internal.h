// shim_internal.h -- the C++ side of fix/: shared by fix_shim.cc (the C API
// and the QuickFIX Application), transport.cc (sockets, TLS, the I/O thread)
// and message_log.cc (the redacting FIX message log). Never included from C.
#ifndef FB_SHIM_INTERNAL_H
#define FB_SHIM_INTERNAL_H

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <quickfix/Application.h>
#include <quickfix/Log.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Parser.h>
#include <quickfix/Responder.h>
#include <quickfix/Session.h>
#include <quickfix/SessionFactory.h>

#include "fix/fix_shim.h"

namespace fbfix
{

// Largest outbound backlog a connection may hold before it is treated as a
// dead or hostile reader and dropped (a slow consumer must not eat memory).
const size_t kMaxOutbound = 64u << 20;
// Largest unparsed inbound data: a FIX message longer than this is garbage.
const size_t kMaxInbound = 4u << 20;

struct Cidr {
    int family; // AF_INET or AF_INET6
    unsigned char addr[16];
    int prefix;
};
bool cidr_parse(const std::string &s, Cidr *out);
bool cidr_match(const Cidr &c, const struct sockaddr_storage &peer);
std::string peer_text(const struct sockaddr_storage &peer);

// An owned copy of one fb_fix_session_cfg.
struct SessionConf {
    std::string name, begin, sender, target, listen_addr, dictionary;
    std::string reset_time, start_time, end_time, start_day, end_day, data_dir;
    std::string username, password, password_hash, tls_cert, tls_key, tls_ca;
    bool has_username = false, has_password = false, has_password_hash = false;
    bool has_tls = false, tls_require_client_cert = false, log_messages = false;
    uint16_t port = 0;
    fb_fix_reset reset = FB_FIX_RESET_NEVER;
    fb_fix_store store = FB_FIX_STORE_FILE;
    int max_latency_s = 0, logon_timeout_s = 0, hb_min = 1, hb_max = 300;
    std::vector<Cidr> allow;
    // A C view of this copy for the pure Logon check.
    fb_fix_session_cfg view() const;
};

class Acceptor;
class FlatStore;

// One accepted TCP (or TLS) connection. QuickFIX's Session sends through it
// (Responder), from the I/O thread or from any thread calling fb_fix_send.
class Connection : public FIX::Responder
{
  public:
    Connection(Acceptor *a, int fd, size_t listener, const struct sockaddr_storage &peer);
    ~Connection() override;
    bool send(const std::string &msg) override;
    void disconnect() override;

    // I/O thread only below.
    bool flush();               // write what is queued; false on a fatal error
    bool wants_write();         // output pending (or TLS wants to write)
    bool read_some();           // false on EOF or error
    Acceptor *acceptor;
    int fd;
    size_t listener;
    struct sockaddr_storage peer;
    std::string peer_name;
    SSL *ssl = nullptr;
    bool tls_ready = false;
    FIX::Parser parser;
    size_t buffered = 0;        // bytes handed to the parser, not yet consumed
    FIX::Session *session = nullptr;
    FlatStore *store = nullptr; // its session's, if store: file (flushed before each write)
    long slot = -1;
    int64_t accepted_ms = 0;
    std::atomic<bool> closing{false};
    bool close_after_flush = false;

  private:
    bool write_locked();
    std::mutex mu_; // guards out_ and every SSL call
    std::string out_;
};

struct Listener {
    std::string addr;
    uint16_t port = 0;
    int fd = -1;
    SSL_CTX *ctx = nullptr;
    std::vector<size_t> slots; // sessions served on this address and port
};

// Routes each session's QuickFIX Log to one file under its data_dir, with
// secrets redacted. Writes are buffered; flush() is called once a second.
class RedactingLogFactory : public FIX::LogFactory
{
  public:
    explicit RedactingLogFactory(Acceptor *a) : acceptor_(a)
    {
    }
    FIX::Log *create() override;
    FIX::Log *create(const FIX::SessionID &) override;
    void destroy(FIX::Log *) override;
    void flush_all();

  private:
    Acceptor *acceptor_;
    std::mutex mu_;
    std::vector<FIX::Log *> logs_;
};

// Chooses a file or memory store per session.
class StoreFactory : public FIX::MessageStoreFactory
{
  public:
    explicit StoreFactory(Acceptor *a) : acceptor_(a)
    {
    }
    FIX::MessageStore *create(const FIX::SessionID &) override;
    void destroy(FIX::MessageStore *) override;

  private:
    Acceptor *acceptor_;
};

class App : public FIX::Application
{
  public:
    explicit App(Acceptor *a) : acceptor_(a)
    {
    }
    void onCreate(const FIX::SessionID &) override
    {
    }
    void onLogon(const FIX::SessionID &) override;
    void onLogout(const FIX::SessionID &) override;
    void toAdmin(FIX::Message &, const FIX::SessionID &) override
    {
    }
    void toApp(FIX::Message &, const FIX::SessionID &) throw(FIX::DoNotSend) override
    {
    }
    void fromAdmin(const FIX::Message &, const FIX::SessionID &)
        throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
               FIX::RejectLogon) override
    {
    }
    void fromApp(const FIX::Message &, const FIX::SessionID &)
        throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
               FIX::UnsupportedMessageType) override;

  private:
    Acceptor *acceptor_;
};

class Acceptor;
// The calling thread's cork (see fb_fix_cork in fix_shim.h).
void fb_transport_cork();
bool fb_transport_corked(); // flat_store.cc notes writes while it is
void fb_transport_uncork(Acceptor *a);
// When the I/O thread read the bytes it is parsing now (CLOCK_REALTIME ns).
int64_t fb_transport_read_ns();

// An outbound message of MsgType msg_type holding exactly fields (empty
// values skipped, header tags in the header), re-using this thread's
// message of the same session and shape if it has one (message_shapes.cc).
// Valid until this thread's next call; sending it may change its header.
FIX::Message &shaped_message(size_t session, const char *msg_type, const fb_fix_field *fields,
                             size_t n);
// Drops this thread's messages (after a send failed half way).
void forget_shaped_messages();

class Acceptor
{
  public:
    Acceptor(const fb_fix_session_cfg *cfgs, size_t n, const fb_fix_callbacks *cb);
    ~Acceptor();
    void start();                 // throws std::runtime_error
    void stop(int timeout_ms);

    long slot_of(const FIX::SessionID &id) const;
    SessionConf &conf(size_t i)
    {
        return confs_[i];
    }
    size_t nsessions() const
    {
        return confs_.size();
    }
    FIX::Session *session(size_t i) const
    {
        return sessions_[i];
    }
    uint16_t bound_port(size_t slot) const;
    void wake();
    // Writes what a corked thread queued for the session in slot (any
    // thread; see fb_fix_cork).
    void flush_slot(size_t slot);
    // The FlatStore of a session (nullptr: another store), for its
    // connections to flush before they write (StoreFactory notes it).
    void note_store(size_t slot, FlatStore *s)
    {
        if (flat_stores_.size() <= slot)
            flat_stores_.resize(slot + 1, nullptr);
        flat_stores_[slot] = s;
    }

    fb_fix_callbacks cb;
    RedactingLogFactory logs;

  private:
    void run();
    void idle(); // cb.on_io_idle, before each wait
    void accept_on(size_t li);
    void on_readable(Connection *c);
    void handle_first(Connection *c, const std::string &msg);
    void refuse_logon(Connection *c, size_t slot, const std::string &msg, const char *reason);
    void close_conn(Connection *c);
    void tick(int64_t now_ms);
    int listener_logon_timeout_s(const Connection *c) const;
    void open_listeners();
    bool bind_conn(Connection *c, size_t slot);

    std::vector<SessionConf> confs_;
    std::vector<FIX::SessionID> ids_;
    std::vector<FIX::Session *> sessions_;
    std::map<FIX::SessionID, size_t> slot_by_id_;
    std::vector<Listener> listeners_;
    std::vector<Connection *> conns_;
    std::vector<Connection *> bound_; // per slot, the connection it runs on
    std::vector<FlatStore *> flat_stores_; // per slot (note_store)
    // Guards bound_'s writes and a connection's deletion against
    // flush_slot() from another thread (the I/O thread alone writes both,
    // so its own reads need no lock).
    std::mutex bound_mu_;
    App app_;
    StoreFactory stores_;
    std::unique_ptr<FIX::SessionFactory> factory_;
    std::thread thread_;
    int wake_fd_ = -1;
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> running_{false};
    int64_t stop_deadline_ms_ = 0;
    bool logouts_sent_ = false;
    int stop_timeout_ms_ = 0;
};

int64_t now_ms();

} // namespace fbfix

#endif
