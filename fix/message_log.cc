// message_log.cc -- the FIX message log: one file per session under
// <data_dir>/log, every inbound and outbound message and every session event,
// with Password (554) and the other secret fields redacted before anything
// reaches the disk. Writes go to a stdio buffer that the I/O thread flushes
// once a second, so logging never waits on the disk per message.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <sys/stat.h>

#include "bridge/log.h"
#include "fix/fix_raw.h"
#include "fix/shim_internal.h"

namespace fbfix
{

namespace
{

int mkdir_p(const std::string &path)
{
    std::string cur;
    for (size_t i = 0; i <= path.size(); i++) {
        if (i == path.size() || path[i] == '/') {
            if (!cur.empty() && mkdir(cur.c_str(), 0750) < 0 && errno != EEXIST)
                return -1;
        }
        if (i < path.size())
            cur += path[i];
    }
    return 0;
}

class RedactingLog : public FIX::Log
{
  public:
    RedactingLog(const std::string &label, FILE *f) : label_(label), f_(f)
    {
    }
    ~RedactingLog() override
    {
        if (f_)
            fclose(f_);
    }
    void clear() override
    {
    }
    void backup() override
    {
    }
    void onIncoming(const std::string &m) override
    {
        write("IN ", m);
    }
    void onOutgoing(const std::string &m) override
    {
        write("OUT", m);
    }
    void onEvent(const std::string &m) override
    {
        char buf[512];
        fb_fix_redact(m.data(), m.size(), buf, sizeof buf);
        for (char *p = buf; *p; p++) {
            if (*p == '\x01')
                *p = '|';
        }
        fb_debug("fix", "%s: %s", label_.c_str(), buf);
        write("EVT", m);
    }
    void flush()
    {
        std::lock_guard<std::mutex> lock(mu_);
        if (f_)
            fflush(f_);
    }

  private:
    void write(const char *dir, const std::string &m)
    {
        if (!f_)
            return;
        std::string red(m.size() + 16, '\0');
        size_t n = fb_fix_redact(m.data(), m.size(), &red[0], red.size());
        red.resize(n);
        for (char &ch : red) {
            if (ch == '\x01')
                ch = '|';
        }
        struct timespec ts;
        struct tm tm;
        char stamp[40];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t k = strftime(stamp, sizeof stamp, "%Y%m%d-%H:%M:%S", &tm);
        snprintf(stamp + k, sizeof stamp - k, ".%06ld", ts.tv_nsec / 1000);
        std::lock_guard<std::mutex> lock(mu_);
        fprintf(f_, "%s %s %s\n", stamp, dir, red.c_str());
    }

    std::string label_;
    FILE *f_;
    std::mutex mu_;
};

} // namespace

FIX::Log *RedactingLogFactory::create()
{
    return new RedactingLog("acceptor", nullptr);
}

FIX::Log *RedactingLogFactory::create(const FIX::SessionID &id)
{
    long slot = acceptor_->slot_of(id);
    FILE *f = nullptr;
    std::string label = id.toString();
    if (slot >= 0) {
        const SessionConf &s = acceptor_->conf((size_t)slot);
        label = s.name;
        if (s.log_messages) {
            std::string dir = s.data_dir + "/log";
            std::string path = dir + "/" + s.begin + "-" + s.sender + "-" + s.target +
                               ".messages.log";
            if (mkdir_p(dir) < 0 || !(f = fopen(path.c_str(), "a")))
                throw FIX::ConfigError("cannot open FIX message log " + path + ": " +
                                       strerror(errno));
            setvbuf(f, nullptr, _IOFBF, 1 << 16);
        }
    }
    RedactingLog *log = new RedactingLog(label, f);
    std::lock_guard<std::mutex> lock(mu_);
    logs_.push_back(log);
    return log;
}

void RedactingLogFactory::destroy(FIX::Log *log)
{
    {
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = 0; i < logs_.size(); i++) {
            if (logs_[i] == log) {
                logs_.erase(logs_.begin() + (long)i);
                break;
            }
        }
    }
    delete log;
}

void RedactingLogFactory::flush_all()
{
    std::lock_guard<std::mutex> lock(mu_);
    for (FIX::Log *l : logs_)
        static_cast<RedactingLog *>(l)->flush();
}

} // namespace fbfix
