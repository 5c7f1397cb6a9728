// fix_initiator.cc -- the C API of fix_initiator.h over a QuickFIX
// SocketInitiator. Every exported body sits between FBI_API_BEGIN and an
// FBI_API_END* macro whose last clause is catch (...): no exception leaves
// this file (after ONNX Runtime's error_code_helper.h), and every QuickFIX
// callback swallows what a C callback or our own code might throw, because
// an exception thrown into QuickFIX's I/O thread would tear the session down.
#include "fix/fix_initiator.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include <quickfix/Application.h>
#include <quickfix/Exceptions.h>
#include <quickfix/Log.h>
#include <quickfix/Message.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

namespace {

// Stores "prefix: text" in *errptr (leveldb's SaveError). Never throws.
void save_error(char **errptr, const char *prefix, const char *text) noexcept
{
    if (errptr == nullptr)
        return;
    size_t n = std::strlen(prefix) + std::strlen(text) + 3;
    char *s = static_cast<char *>(std::malloc(n));
    if (s == nullptr)
        return; // the old message is kept rather than lost without a new one
    std::snprintf(s, n, "%s%s%s", prefix, *prefix ? ": " : "", text);
    std::free(*errptr);
    *errptr = s;
}

// Maps the exception in flight to our enum. Called only from catch blocks.
enum fb_err error_from_exception(char **errptr) noexcept
{
    try {
        throw;
    } catch (const FIX::ConfigError &e) {
        save_error(errptr, "FIX configuration", e.what());
        return FB_ERR_CONFIG;
    } catch (const FIX::RuntimeError &e) {
        save_error(errptr, "FIX runtime", e.what());
        return FB_ERR_IO;
    } catch (const FIX::SessionNotFound &e) {
        save_error(errptr, "FIX session not found", e.what());
        return FB_ERR_STATE;
    } catch (const FIX::Exception &e) {
        save_error(errptr, "FIX", e.what());
        return FB_ERR_FIX;
    } catch (const std::bad_alloc &) {
        save_error(errptr, "", "out of memory");
        return FB_ERR_NOMEM;
    } catch (const std::exception &e) {
        save_error(errptr, "internal", e.what());
        return FB_ERR_INTERNAL;
    } catch (...) {
        save_error(errptr, "", "unknown exception");
        return FB_ERR_INTERNAL;
    }
}

} // namespace

#define FBI_API_BEGIN try {
#define FBI_API_END(errptr)                                                                        \
    }                                                                                              \
    catch (...)                                                                                    \
    {                                                                                              \
        return error_from_exception(errptr);                                                       \
    }
#define FBI_API_END_RET(errptr, failval)                                                           \
    }                                                                                              \
    catch (...)                                                                                    \
    {                                                                                              \
        (void)error_from_exception(errptr);                                                        \
        return failval;                                                                            \
    }
#define FBI_API_END_VOID                                                                           \
    }                                                                                              \
    catch (...)                                                                                    \
    {                                                                                              \
    }

namespace {

// Replaces the values of Password(554) and NewPassword(925) with "***" so a
// verbose trace can be pasted anywhere.
std::string redact(const std::string &in)
{
    static const char *const secret_tags[] = {"554=", "925="};
    std::string out;
    out.reserve(in.size());
    size_t pos = 0;
    while (pos < in.size()) {
        size_t end = in.find('\001', pos);
        if (end == std::string::npos)
            end = in.size();
        bool secret = false;
        for (const char *t : secret_tags)
            if (in.compare(pos, std::strlen(t), t) == 0)
                secret = true;
        if (secret)
            out.append(in, pos, 4).append("***");
        else
            out.append(in, pos, end - pos);
        if (end < in.size())
            out.push_back('\001');
        pos = end + 1;
    }
    return out;
}

} // namespace

struct fb_fix_imsg {
    const FIX::Message *msg;
    mutable std::string raw; // built on first use
    mutable bool have_raw = false;
    mutable std::string type;
};

namespace {

class ForwardLog;

class App : public FIX::Application {
  public:
    explicit App(fb_fix_initiator *owner) : owner_(owner)
    {
    }
    void onCreate(const FIX::SessionID &) override
    {
    }
    void onLogon(const FIX::SessionID &) noexcept override;
    void onLogout(const FIX::SessionID &) noexcept override;
    void toAdmin(FIX::Message &, const FIX::SessionID &) noexcept override;
    void toApp(FIX::Message &, const FIX::SessionID &) noexcept override
    {
    }
    void fromAdmin(const FIX::Message &, const FIX::SessionID &) noexcept override;
    void fromApp(const FIX::Message &, const FIX::SessionID &) noexcept override;

  private:
    fb_fix_initiator *owner_;
};

// A QuickFIX log that hands redacted text to on_raw and writes nothing.
class ForwardLog : public FIX::Log {
  public:
    explicit ForwardLog(const fb_fix_initiator *owner) : owner_(owner)
    {
    }
    void clear() override
    {
    }
    void backup() override
    {
    }
    void onIncoming(const std::string &s) override
    {
        emit('<', s);
    }
    void onOutgoing(const std::string &s) override
    {
        emit('>', s);
    }
    void onEvent(const std::string &s) override
    {
        emit('-', s);
    }

  private:
    void emit(char dir, const std::string &s) noexcept;
    const fb_fix_initiator *owner_;
};

class ForwardLogFactory : public FIX::LogFactory {
  public:
    explicit ForwardLogFactory(const fb_fix_initiator *owner) : owner_(owner)
    {
    }
    FIX::Log *create() override
    {
        return new ForwardLog(owner_);
    }
    FIX::Log *create(const FIX::SessionID &) override
    {
        return new ForwardLog(owner_);
    }
    void destroy(FIX::Log *log) override
    {
        delete log;
    }

  private:
    const fb_fix_initiator *owner_;
};

} // namespace

struct fb_fix_initiator {
    explicit fb_fix_initiator(const fb_fix_initiator_callbacks &callbacks)
        : cb(callbacks), app(this), logs(this)
    {
    }
    fb_fix_initiator_callbacks cb;
    std::string username;
    std::string password;
    bool have_username = false;
    bool have_password = false;
    bool reset_on_logon = false;
    FIX::SessionID sid;
    FIX::SessionSettings settings;
    FIX::MemoryStoreFactory store;
    App app;
    ForwardLogFactory logs;
    std::unique_ptr<FIX::SocketInitiator> engine;
    std::atomic<bool> running{false};
};

namespace {

void ForwardLog::emit(char dir, const std::string &s) noexcept
{
    try {
        if (owner_->cb.on_raw == nullptr)
            return;
        std::string text = dir == '-' ? s : redact(s);
        owner_->cb.on_raw(owner_->cb.user, dir, text.c_str());
    } catch (...) {
    }
}

void App::onLogon(const FIX::SessionID &) noexcept
{
    if (owner_->cb.on_logon)
        owner_->cb.on_logon(owner_->cb.user);
}

void App::onLogout(const FIX::SessionID &) noexcept
{
    if (owner_->cb.on_logout)
        owner_->cb.on_logout(owner_->cb.user);
}

void App::toAdmin(FIX::Message &msg, const FIX::SessionID &) noexcept
{
    try {
        if (msg.getHeader().getField(FIX::FIELD::MsgType) != "A")
            return;
        // ResetOnLogon=Y already makes QuickFIX send 141=Y on a fresh
        // store; set it explicitly so a reconnect with a used store still
        // asks the counterparty to reset.
        if (owner_->reset_on_logon)
            msg.setField(FIX::FIELD::ResetSeqNumFlag, "Y");
        if (owner_->have_username)
            msg.setField(FIX::FIELD::Username, owner_->username);
        if (owner_->have_password)
            msg.setField(FIX::FIELD::Password, owner_->password);
    } catch (...) {
    }
}

void deliver(const fb_fix_initiator *owner, const FIX::Message &msg,
             void (*fn)(void *, const fb_fix_imsg *)) noexcept
{
    try {
        if (fn == nullptr)
            return;
        fb_fix_imsg m;
        m.msg = &msg;
        fn(owner->cb.user, &m);
    } catch (...) {
    }
}

void App::fromAdmin(const FIX::Message &msg, const FIX::SessionID &) noexcept
{
    deliver(owner_, msg, owner_->cb.on_admin);
}

void App::fromApp(const FIX::Message &msg, const FIX::SessionID &) noexcept
{
    deliver(owner_, msg, owner_->cb.on_app);
}

} // namespace

extern "C" {

fb_fix_initiator *fb_fix_initiator_new(const struct fb_fix_initiator_cfg *cfg,
                                       const struct fb_fix_initiator_callbacks *cb,
                                       char **errptr)
{
    FBI_API_BEGIN
    if (cfg->begin_string == nullptr || cfg->sender_comp_id == nullptr ||
        cfg->target_comp_id == nullptr || cfg->host == nullptr || cfg->port == 0) {
        save_error(errptr, "initiator",
                   "begin_string, comp ids, host and a nonzero port are required");
        return nullptr;
    }
    std::unique_ptr<fb_fix_initiator> ini(new fb_fix_initiator(*cb));
    ini->reset_on_logon = cfg->reset_on_logon != 0;
    if (cfg->username) {
        ini->username = cfg->username;
        ini->have_username = true;
    }
    if (cfg->password) {
        ini->password = cfg->password;
        ini->have_password = true;
    }
    ini->sid = FIX::SessionID(cfg->begin_string, cfg->sender_comp_id, cfg->target_comp_id);

    // Settings are built here, never read from a file, so the password
    // cannot end up in one.
    FIX::Dictionary d;
    d.setString("ConnectionType", "initiator");
    d.setString("SocketConnectHost", cfg->host);
    d.setInt("SocketConnectPort", cfg->port);
    d.setInt("HeartBtInt", cfg->heartbeat_s > 0 ? cfg->heartbeat_s : 30);
    d.setInt("ReconnectInterval", cfg->reconnect_s > 0 ? cfg->reconnect_s : 1);
    if (cfg->logon_timeout_s > 0)
        d.setInt("LogonTimeout", cfg->logon_timeout_s);
    // Equal start and end times: a session that never ends (this QuickFIX
    // has no NonStopSession setting).
    d.setString("StartTime", "00:00:00");
    d.setString("EndTime", "00:00:00");
    d.setString("ResetOnLogon", ini->reset_on_logon ? "Y" : "N");
    d.setString("SocketNodelay", "Y");
    if (cfg->dictionary) {
        d.setString("UseDataDictionary", "Y");
        d.setString("DataDictionary", cfg->dictionary);
    } else {
        d.setString("UseDataDictionary", "N");
    }
    ini->settings.set(ini->sid, d);
    ini->engine.reset(new FIX::SocketInitiator(ini->app, ini->store, ini->settings, ini->logs));
    return ini.release();
    FBI_API_END_RET(errptr, nullptr)
}

enum fb_err fb_fix_initiator_start(fb_fix_initiator *ini, char **errptr)
{
    FBI_API_BEGIN
    if (ini->running.load()) {
        save_error(errptr, "initiator", "already started");
        return FB_ERR_STATE;
    }
    ini->engine->start();
    ini->running.store(true);
    return FB_OK;
    FBI_API_END(errptr)
}

int fb_fix_initiator_logged_on(fb_fix_initiator *ini)
{
    FBI_API_BEGIN
    FIX::Session *s = FIX::Session::lookupSession(ini->sid);
    return s != nullptr && s->isLoggedOn() ? 1 : 0;
    FBI_API_END_RET(nullptr, 0)
}

void fb_fix_initiator_stop(fb_fix_initiator *ini, int timeout_ms)
{
    FBI_API_BEGIN
    if (!ini->running.exchange(false))
        return;
    FIX::Session *s = FIX::Session::lookupSession(ini->sid);
    if (s != nullptr && s->isLoggedOn()) {
        s->logout();
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (s->isLoggedOn() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // force: we already waited; QuickFIX's own wait polls in whole seconds.
    ini->engine->stop(true);
    FBI_API_END_VOID
}

void fb_fix_initiator_free(fb_fix_initiator *ini)
{
    if (ini == nullptr)
        return;
    FBI_API_BEGIN
    fb_fix_initiator_stop(ini, 0);
    delete ini;
    FBI_API_END_VOID
}

enum fb_err fb_fix_initiator_send(fb_fix_initiator *ini, const char *msg_type,
                                  const struct fb_fix_ifield *fields, size_t nfields,
                                  char **errptr)
{
    FBI_API_BEGIN
    if (msg_type[0] == '\0') {
        save_error(errptr, "send", "empty MsgType");
        return FB_ERR_INVALID;
    }
    FIX::Message msg;
    msg.getHeader().setField(FIX::FIELD::MsgType, msg_type);
    for (size_t i = 0; i < nfields; i++) {
        if (fields[i].tag <= 0 || fields[i].value == nullptr || fields[i].value[0] == '\0') {
            char buf[64];
            std::snprintf(buf, sizeof buf, "field %zu: bad tag %d or empty value", i,
                          fields[i].tag);
            save_error(errptr, "send", buf);
            return FB_ERR_INVALID;
        }
        // overwrite=false keeps a repeated tag (a repeating group's fields).
        // Standard header fields (PossResend 97, OnBehalfOfCompID 115...)
        // belong in the header: in the body the acceptor rejects them (373=14).
        if (FIX::Message::isHeaderField(fields[i].tag))
            msg.getHeader().setField(FIX::FieldBase(fields[i].tag, fields[i].value));
        else
            msg.setField(FIX::FieldBase(fields[i].tag, fields[i].value), false);
    }
    FIX::Session *s = FIX::Session::lookupSession(ini->sid);
    if (s == nullptr || !s->isLoggedOn()) {
        save_error(errptr, "send", "session is not logged on");
        return FB_ERR_STATE;
    }
    if (!s->send(msg)) {
        save_error(errptr, "send", "QuickFIX did not send the message");
        return FB_ERR_FIX;
    }
    return FB_OK;
    FBI_API_END(errptr)
}

const char *fb_fix_imsg_type(const fb_fix_imsg *m)
{
    FBI_API_BEGIN
    if (m->type.empty())
        m->type = m->msg->getHeader().getField(FIX::FIELD::MsgType);
    return m->type.c_str();
    FBI_API_END_RET(nullptr, nullptr)
}

const char *fb_fix_imsg_get(const fb_fix_imsg *m, int tag)
{
    FBI_API_BEGIN
    // getFieldRef returns a reference into the message, so the pointer
    // stays valid for the callback's lifetime.
    const FIX::FieldMap *maps[] = {&m->msg->getHeader(), m->msg, &m->msg->getTrailer()};
    for (const FIX::FieldMap *fm : maps)
        if (fm->isSetField(tag))
            return fm->getFieldRef(tag).getString().c_str();
    return nullptr;
    FBI_API_END_RET(nullptr, nullptr)
}

size_t fb_fix_imsg_field_count(const fb_fix_imsg *m)
{
    FBI_API_BEGIN
    return static_cast<size_t>(m->msg->end() - m->msg->begin());
    FBI_API_END_RET(nullptr, 0)
}

int fb_fix_imsg_field_at(const fb_fix_imsg *m, size_t i, int *tag, const char **value)
{
    FBI_API_BEGIN
    size_t n = static_cast<size_t>(m->msg->end() - m->msg->begin());
    if (i >= n)
        return -1;
    const FIX::FieldBase &f = *(m->msg->begin() + static_cast<std::ptrdiff_t>(i));
    *tag = f.getTag();
    *value = f.getString().c_str();
    return 0;
    FBI_API_END_RET(nullptr, -1)
}

const char *fb_fix_imsg_raw(const fb_fix_imsg *m, size_t *len)
{
    FBI_API_BEGIN
    if (!m->have_raw) {
        m->raw = redact(m->msg->toString());
        m->have_raw = true;
    }
    *len = m->raw.size();
    return m->raw.c_str();
    FBI_API_END_RET(nullptr, nullptr)
}

} // extern "C"
