// fix_shim.cc -- the C API of fix/fix_shim.h over QuickFIX.
//
// Every exported body sits between SHIM_BEGIN and SHIM_END, which catch
// everything: no C++ exception crosses into C (ONNX Runtime's API_IMPL_*).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <quickfix/Message.h>

#include "bridge/log.h"
#include "fix/flat_store.h"
#include "fix/shim_internal.h"

struct fb_fix_acceptor {
    fbfix::Acceptor *rep;
};

struct fb_fix_msg {
    const FIX::Message *m;
    int64_t read_ns; // when its bytes were read off the socket
    mutable std::vector<std::pair<int, const std::string *>> body; // lazily filled
    mutable std::string raw;
};

namespace
{

void set_error(char **errptr, const std::string &msg)
{
    if (!errptr)
        return;
    std::free(*errptr);
    *errptr = strdup(msg.c_str());
}

} // namespace

#define SHIM_BEGIN try {
#define SHIM_END(errptr, code)                                                                     \
    }                                                                                              \
    catch (const FIX::ConfigError &e)                                                              \
    {                                                                                              \
        set_error(errptr, std::string("FIX configuration: ") + e.what());                         \
        return FB_ERR_CONFIG;                                                                      \
    }                                                                                              \
    catch (const std::bad_alloc &)                                                                 \
    {                                                                                              \
        set_error(errptr, "out of memory");                                                        \
        return FB_ERR_NOMEM;                                                                       \
    }                                                                                              \
    catch (const std::exception &e)                                                                \
    {                                                                                              \
        set_error(errptr, e.what());                                                               \
        return code;                                                                               \
    }                                                                                              \
    catch (...)                                                                                    \
    {                                                                                              \
        set_error(errptr, "unknown exception");                                                    \
        return FB_ERR_INTERNAL;                                                                    \
    }

namespace fbfix
{

static std::string str_or(const char *s, const char *dflt = "")
{
    return s ? std::string(s) : std::string(dflt);
}

fb_fix_session_cfg SessionConf::view() const
{
    fb_fix_session_cfg v;
    std::memset(&v, 0, sizeof v);
    v.name = name.c_str();
    v.begin_string = begin.c_str();
    v.sender_comp_id = sender.c_str();
    v.target_comp_id = target.c_str();
    v.username = has_username ? username.c_str() : nullptr;
    v.password = has_password ? password.c_str() : nullptr;
    v.password_hash = has_password_hash ? password_hash.c_str() : nullptr;
    return v;
}

static SessionConf copy_conf(const fb_fix_session_cfg &c)
{
    SessionConf s;
    if (!c.begin_string || !c.sender_comp_id || !c.target_comp_id || !c.dictionary)
        throw std::invalid_argument("session needs begin_string, CompIDs and a dictionary");
    s.name = str_or(c.name, c.target_comp_id);
    s.begin = c.begin_string;
    s.sender = c.sender_comp_id;
    s.target = c.target_comp_id;
    s.listen_addr = str_or(c.listen_addr, "127.0.0.1");
    s.port = c.port;
    s.dictionary = c.dictionary;
    s.reset = c.reset;
    s.reset_time = str_or(c.reset_time, "00:00:00");
    s.start_time = str_or(c.start_time);
    s.end_time = str_or(c.end_time);
    s.start_day = str_or(c.start_day);
    s.end_day = str_or(c.end_day);
    s.store = c.store;
    s.data_dir = str_or(c.data_dir, ".");
    s.log_messages = c.log_messages != 0;
    s.max_latency_s = c.max_latency_s;
    s.logon_timeout_s = c.logon_timeout_s > 0 ? c.logon_timeout_s : 10;
    s.hb_min = c.heartbeat_min_s > 0 ? c.heartbeat_min_s : 1;
    s.hb_max = c.heartbeat_max_s > 0 ? c.heartbeat_max_s : 300;
    s.has_username = c.username != nullptr;
    s.username = str_or(c.username);
    s.has_password = c.password != nullptr;
    s.password = str_or(c.password);
    s.has_password_hash = c.password_hash != nullptr;
    s.password_hash = str_or(c.password_hash);
    if (s.has_username && !s.has_password && !s.has_password_hash)
        throw std::invalid_argument("session " + s.name + ": username without password");
    s.has_tls = c.tls_cert != nullptr;
    s.tls_cert = str_or(c.tls_cert);
    s.tls_key = str_or(c.tls_key);
    s.tls_ca = str_or(c.tls_ca);
    s.tls_require_client_cert = c.tls_require_client_cert != 0;
    for (size_t i = 0; i < c.allow_count; i++) {
        Cidr cidr;
        if (!c.allow[i] || !cidr_parse(c.allow[i], &cidr))
            throw std::invalid_argument("session " + s.name + ": bad allow entry '" +
                                        str_or(c.allow[i]) + "'");
        s.allow.push_back(cidr);
    }
    return s;
}

// "HH:MM:SS" minus one second, wrapping at midnight.
static std::string one_second_before(const std::string &hms)
{
    int h = 0, m = 0, sec = 0;
    if (sscanf(hms.c_str(), "%d:%d:%d", &h, &m, &sec) != 3)
        return hms;
    int t = (h * 3600 + m * 60 + sec + 86399) % 86400;
    char buf[16];
    snprintf(buf, sizeof buf, "%02d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
    return buf;
}

// QuickFIX session settings built from our config: users never write a .cfg.
static FIX::Dictionary settings_for(const SessionConf &s)
{
    FIX::Dictionary d;
    d.setString("ConnectionType", "acceptor");
    d.setString("BeginString", s.begin);
    d.setString("SenderCompID", s.sender);
    d.setString("TargetCompID", s.target);
    d.setString("DataDictionary", s.dictionary);
    d.setBool("UseDataDictionary", true);
    d.setBool("ValidateFieldsOutOfOrder", true);
    d.setBool("ValidateFieldsHaveValues", true);
    d.setBool("ValidateUserDefinedFields", true);
    d.setInt("LogonTimeout", s.logon_timeout_s);
    if (s.max_latency_s > 0) {
        d.setBool("CheckLatency", true);
        d.setInt("MaxLatency", s.max_latency_s);
    }
    bool scheduled = !s.start_time.empty() && !s.end_time.empty();
    switch (s.reset) {
    case FB_FIX_RESET_ON_LOGON:
        d.setBool("ResetOnLogon", true);
        break;
    case FB_FIX_RESET_NEVER:
        break;
    case FB_FIX_RESET_DAILY:
        break;
    }
    if (s.reset == FB_FIX_RESET_DAILY && !scheduled) {
        // A 24-hour session that starts at reset_time: QuickFIX resets the
        // sequence numbers when a new session window begins.
        // With StartTime == EndTime QuickFIX compares calendar dates and so
        // resets at midnight whatever the time; a window ending one second
        // before it starts makes the reset happen at reset_time.
        d.setString("StartTime", s.reset_time);
        d.setString("EndTime", one_second_before(s.reset_time));
    } else if (scheduled) {
        d.setString("StartTime", s.start_time);
        d.setString("EndTime", s.end_time);
        if (!s.start_day.empty() && !s.end_day.empty()) {
            d.setString("StartDay", s.start_day);
            d.setString("EndDay", s.end_day);
        }
    } else if (s.reset == FB_FIX_RESET_NEVER) {
        // QuickFIX 1.15.1 has no NonStopSession (and refuses a session
        // without StartTime): a 24-hour window whose store never ages, see
        // NeverResetStore.
        d.setString("StartTime", "00:00:00");
        d.setString("EndTime", "00:00:00");
    } else {
        d.setString("StartTime", "00:00:00");
        d.setString("EndTime", "00:00:00");
    }
    return d;
}

Acceptor::Acceptor(const fb_fix_session_cfg *cfgs, size_t n, const fb_fix_callbacks *callbacks)
    : logs(this), app_(this), stores_(this)
{
    std::memset(&cb, 0, sizeof cb);
    if (callbacks)
        cb = *callbacks;
    if (n == 0)
        throw std::invalid_argument("no sessions configured");
    for (size_t i = 0; i < n; i++)
        confs_.push_back(copy_conf(cfgs[i]));
    factory_.reset(new FIX::SessionFactory(app_, stores_, &logs));
    for (size_t i = 0; i < n; i++) {
        const SessionConf &s = confs_[i];
        FIX::SessionID id(s.begin, s.sender, s.target);
        if (slot_by_id_.count(id))
            throw std::invalid_argument("session " + s.name + " is configured twice");
        ids_.push_back(id);
        slot_by_id_[id] = i;
    }
    for (size_t i = 0; i < n; i++)
        sessions_.push_back(factory_->create(ids_[i], settings_for(confs_[i])));
    bound_.assign(n, nullptr);
}

Acceptor::~Acceptor()
{
    stop(0);
    for (FIX::Session *s : sessions_)
        factory_->destroy(s);
    sessions_.clear();
    for (Listener &l : listeners_) {
        if (l.ctx)
            SSL_CTX_free(l.ctx);
    }
    logs.flush_all();
}

long Acceptor::slot_of(const FIX::SessionID &id) const
{
    auto it = slot_by_id_.find(id);
    return it == slot_by_id_.end() ? -1 : (long)it->second;
}

// QuickFIX resets a session when the time of a message or tick is not in the
// same window (here: the same UTC day) as its store's creation time. For
// reset: never the store reports "now", so that day never ends. (Only two
// clock reads microseconds apart straddling 00:00:00 UTC could still differ.)
template <class Store> class NeverResetStore : public Store
{
  public:
    template <class... Args> explicit NeverResetStore(Args &&...args) : Store(args...)
    {
    }
    FIX::UtcTimeStamp getCreationTime() const throw(FIX::IOException) override
    {
        return FIX::UtcTimeStamp();
    }
};

FIX::MessageStore *StoreFactory::create(const FIX::SessionID &id)
{
    long slot = acceptor_->slot_of(id);
    if (slot < 0)
        throw FIX::ConfigError("no store for unknown session " + id.toString());
    const SessionConf &s = acceptor_->conf((size_t)slot);
    bool never = s.reset == FB_FIX_RESET_NEVER && s.start_time.empty();
    if (s.store == FB_FIX_STORE_MEMORY)
        return never ? new NeverResetStore<FIX::MemoryStore>() : new FIX::MemoryStore();
    // FlatStore, not FIX::FileStore: the latter keeps an in-memory entry per
    // stored message for the life of the session (see fix/flat_store.h).
    FlatStore *f = never ? new NeverResetStore<FlatStore>(s.data_dir + "/store", id)
                         : new FlatStore(s.data_dir + "/store", id);
    acceptor_->note_store((size_t)slot, f);
    return f;
}

void StoreFactory::destroy(FIX::MessageStore *store)
{
    delete store;
}

void App::onLogon(const FIX::SessionID &id)
{
    long slot = acceptor_->slot_of(id);
    fb_info("fix", "session %s logged on", acceptor_->conf((size_t)slot).name.c_str());
    if (slot >= 0 && acceptor_->cb.on_logon)
        acceptor_->cb.on_logon(acceptor_->cb.user, (size_t)slot);
}

void App::onLogout(const FIX::SessionID &id)
{
    long slot = acceptor_->slot_of(id);
    if (slot >= 0)
        fb_info("fix", "session %s logged out", acceptor_->conf((size_t)slot).name.c_str());
    if (slot >= 0 && acceptor_->cb.on_logout)
        acceptor_->cb.on_logout(acceptor_->cb.user, (size_t)slot);
}

void App::fromApp(const FIX::Message &m, const FIX::SessionID &id) throw(
    FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
    FIX::UnsupportedMessageType)
{
    long slot = acceptor_->slot_of(id);
    if (slot < 0 || !acceptor_->cb.on_app)
        throw FIX::UnsupportedMessageType();
    fb_fix_msg view;
    view.m = &m;
    view.read_ns = fb_transport_read_ns();
    int ref_tag = 0;
    fb_fix_app_result r = acceptor_->cb.on_app(acceptor_->cb.user, (size_t)slot, &view, &ref_tag);
    switch (r) {
    case FB_FIX_APP_OK:
        return;
    case FB_FIX_APP_UNSUPPORTED:
        throw FIX::UnsupportedMessageType();
    case FB_FIX_APP_MISSING_TAG:
        throw FIX::FieldNotFound(ref_tag);
    case FB_FIX_APP_BAD_FORMAT:
        throw FIX::IncorrectDataFormat(ref_tag);
    case FB_FIX_APP_BAD_VALUE:
        throw FIX::IncorrectTagValue(ref_tag);
    }
}

} // namespace fbfix

extern "C" {

fb_fix_acceptor *fb_fix_acceptor_new(const struct fb_fix_session_cfg *cfgs, size_t n,
                                     const struct fb_fix_callbacks *cb, char **errptr)
{
    try {
        fb_fix_acceptor *a = new fb_fix_acceptor;
        try {
            a->rep = new fbfix::Acceptor(cfgs, n, cb);
        } catch (...) {
            delete a;
            throw;
        }
        return a;
    } catch (const FIX::ConfigError &e) {
        set_error(errptr, std::string("FIX configuration: ") + e.what());
    } catch (const std::exception &e) {
        set_error(errptr, e.what());
    } catch (...) {
        set_error(errptr, "unknown exception");
    }
    return nullptr;
}

enum fb_err fb_fix_acceptor_start(fb_fix_acceptor *a, char **errptr)
{
    SHIM_BEGIN
    a->rep->start();
    return FB_OK;
    SHIM_END(errptr, FB_ERR_IO)
}

void fb_fix_acceptor_stop(fb_fix_acceptor *a, int timeout_ms)
{
    try {
        a->rep->stop(timeout_ms);
    } catch (...) {
        fb_error("fix", "unexpected exception while stopping the acceptor");
    }
}

void fb_fix_acceptor_free(fb_fix_acceptor *a)
{
    if (!a)
        return;
    try {
        delete a->rep;
    } catch (...) {
        fb_error("fix", "unexpected exception while freeing the acceptor");
    }
    delete a;
}

uint16_t fb_fix_acceptor_port(const fb_fix_acceptor *a, size_t session_index)
{
    return a->rep->bound_port(session_index);
}

int fb_fix_session_logged_on(fb_fix_acceptor *a, size_t i)
{
    try {
        if (i >= a->rep->nsessions())
            return 0;
        return a->rep->session(i)->isLoggedOn() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

enum fb_err fb_fix_session_seqnums(fb_fix_acceptor *a, size_t i, uint64_t *next_sender,
                                   uint64_t *next_target)
{
    SHIM_BEGIN
    if (i >= a->rep->nsessions())
        return FB_ERR_NOT_FOUND;
    FIX::Session *s = a->rep->session(i);
    *next_sender = (uint64_t)s->getExpectedSenderNum();
    *next_target = (uint64_t)s->getExpectedTargetNum();
    return FB_OK;
    SHIM_END(nullptr, FB_ERR_FIX)
}

void fb_fix_cork(fb_fix_acceptor *a)
{
    (void)a;
    fbfix::fb_transport_cork();
}

void fb_fix_uncork(fb_fix_acceptor *a)
{
    try {
        fbfix::fb_transport_uncork(a->rep);
    } catch (...) {
        // a failed write is the I/O thread's to notice; nothing to report
    }
}

enum fb_err fb_fix_send(fb_fix_acceptor *a, size_t i, const char *msg_type,
                        const struct fb_fix_field *fields, size_t nfields, char **errptr)
{
    SHIM_BEGIN
    if (i >= a->rep->nsessions()) {
        set_error(errptr, "no such session");
        return FB_ERR_NOT_FOUND;
    }
    FIX::Session *s = a->rep->session(i);
    bool logged_on = s->isLoggedOn();
    try {
        FIX::Message &m = fbfix::shaped_message(i, msg_type, fields, nfields);
        s->send(m); // stores the message for resend even when not logged on
    } catch (...) {
        fbfix::forget_shaped_messages(); // one may be half filled
        throw;
    }
    if (!logged_on) {
        set_error(errptr, "session not logged on; message stored for resend");
        return FB_ERR_STATE;
    }
    return FB_OK;
    SHIM_END(errptr, FB_ERR_FIX)
}

int64_t fb_fix_msg_read_ns(const fb_fix_msg *m)
{
    return m->read_ns;
}

const char *fb_fix_msg_type(const fb_fix_msg *m)
{
    try {
        return m->m->getHeader().getField(35).c_str();
    } catch (...) {
        return "";
    }
}

const char *fb_fix_msg_get(const fb_fix_msg *m, int tag)
{
    try {
        if (m->m->isSetField(tag))
            return m->m->getField(tag).c_str();
        if (m->m->getHeader().isSetField(tag))
            return m->m->getHeader().getField(tag).c_str();
        if (m->m->getTrailer().isSetField(tag))
            return m->m->getTrailer().getField(tag).c_str();
    } catch (...) {
    }
    return nullptr;
}

static void fill_body(const fb_fix_msg *m)
{
    if (!m->body.empty())
        return;
    for (FIX::FieldMap::const_iterator it = m->m->begin(); it != m->m->end(); ++it)
        m->body.emplace_back(it->getTag(), &it->getString());
}

size_t fb_fix_msg_field_count(const fb_fix_msg *m)
{
    try {
        fill_body(m);
        return m->body.size();
    } catch (...) {
        return 0;
    }
}

int fb_fix_msg_field_at(const fb_fix_msg *m, size_t i, int *tag, const char **value)
{
    try {
        fill_body(m);
        if (i >= m->body.size())
            return 0;
        *tag = m->body[i].first;
        *value = m->body[i].second->c_str();
        return 1;
    } catch (...) {
        return 0;
    }
}

size_t fb_fix_msg_group_count(const fb_fix_msg *m, int count_tag)
{
    try {
        return m->m->groupCount(count_tag);
    } catch (...) {
        return 0;
    }
}

const char *fb_fix_msg_group_get(const fb_fix_msg *m, int count_tag, size_t i, int tag)
{
    try {
        if (i >= m->m->groupCount(count_tag))
            return nullptr;
        const FIX::FieldMap &g = m->m->getGroupRef((int)i + 1, count_tag);
        if (g.isSetField(tag))
            return g.getField(tag).c_str();
    } catch (...) {
    }
    return nullptr;
}

const char *fb_fix_msg_raw(const fb_fix_msg *m, size_t *len)
{
    try {
        if (m->raw.empty())
            m->m->toString(m->raw);
        if (len)
            *len = m->raw.size();
        return m->raw.c_str();
    } catch (...) {
        if (len)
            *len = 0;
        return "";
    }
}

} // extern "C"
