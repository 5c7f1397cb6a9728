// flat_store.cc -- FlatStore, the constant-memory FIX message store (see
// flat_store.h for the file formats, the durability policy and recovery).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <quickfix/FieldConvertors.h>

#include "bridge/crc32c.h"
#include "bridge/log.h"
#include "fix/flat_store.h"

namespace fbfix
{

namespace
{

const size_t kRec = 24;      // bytes per index slot
const uint32_t kVersion = 1; // index format version
const char kMagic[8] = {'F', 'B', 'X', 'S', 'T', 'O', 'R', 'E'};
const size_t kChunk = 256; // slots read per pread
const size_t kSeqLen = 23; // "%10.10d : %10.10d"

void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

struct Rec {
    uint64_t off;
    uint32_t len, seq, crc;
};

void encode(unsigned char *p, const Rec &r)
{
    put64(p, r.off);
    put32(p + 8, r.len);
    put32(p + 12, r.seq);
    put32(p + 16, r.crc);
    put32(p + 20, fb_crc32c(0, p, 20));
}

bool is_zero(const unsigned char *p)
{
    for (size_t i = 0; i < kRec; i++)
        if (p[i])
            return false;
    return true;
}

// A record that is internally consistent and belongs to this slot. (Whether
// the message it points to is intact is checked separately.)
bool decode(const unsigned char *p, uint64_t slot, Rec *r)
{
    if (get32(p + 20) != fb_crc32c(0, p, 20))
        return false;
    r->off = get64(p);
    r->len = get32(p + 8);
    r->seq = get32(p + 12);
    r->crc = get32(p + 16);
    return r->seq == slot && r->len > 0;
}

void header_slot(unsigned char *p)
{
    std::memset(p, 0, kRec);
    std::memcpy(p, kMagic, sizeof kMagic);
    put32(p + 8, kVersion);
    put32(p + 12, (uint32_t)kRec);
    put32(p + 20, fb_crc32c(0, p, 20));
}

std::string sys_error(const std::string &what, const std::string &file)
{
    return what + " " + file + ": " + std::strerror(errno);
}

// Writes all of buf at off (pwrite may be short on a signal or a full disk).
bool pwrite_all(int fd, const void *buf, size_t n, uint64_t off)
{
    const char *p = static_cast<const char *>(buf);
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return false;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return true;
}

// Reads up to n bytes at off; returns how many (fewer only at end of file),
// or -1.
ssize_t pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    char *p = static_cast<char *>(buf);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

uint64_t file_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

bool exists(const std::string &path)
{
    struct stat st;
    return stat(path.c_str(), &st) == 0;
}

int open_rw(const std::string &path)
{
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        throw std::runtime_error(sys_error("cannot open", path));
    return fd;
}

void mkdir_p(const std::string &path)
{
    std::string cur;
    for (size_t i = 0; i <= path.size(); i++) {
        if ((i == path.size() || path[i] == '/') && !cur.empty()) {
            if (mkdir(cur.c_str(), 0750) < 0 && errno != EEXIST)
                throw std::runtime_error(sys_error("cannot create directory", cur));
        }
        if (i < path.size())
            cur += path[i];
    }
}

// Makes a rename durable: the directory entry, not only the file.
void sync_dir(const std::string &dir)
{
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

// Reads the message of r and checks its CRC; false (with a reason) if the
// body does not hold it.
bool read_message(int fd, uint64_t body_end, const Rec &r, std::string *out, const char **why)
{
    if (r.off > body_end || r.len > body_end - r.off) {
        *why = "points past the end of the body";
        return false;
    }
    out->resize(r.len);
    ssize_t got = pread_all(fd, &(*out)[0], r.len, r.off);
    if (got < 0)
        throw FIX::IOException(std::string("cannot read store body: ") + std::strerror(errno));
    if ((size_t)got != r.len) {
        *why = "body is short";
        return false;
    }
    if (fb_crc32c(0, out->data(), out->size()) != r.crc) {
        *why = "message checksum mismatch";
        return false;
    }
    return true;
}

} // namespace

FlatStore::FlatStore(const std::string &dir, const FIX::SessionID &id)
    : dir_(dir.empty() ? "." : dir)
{
    std::string name = id.getBeginString().getString() + "-" + id.getSenderCompID().getString() +
                       "-" + id.getTargetCompID().getString();
    if (!id.getSessionQualifier().empty())
        name += "-" + id.getSessionQualifier();
    prefix_ = dir_ + "/" + name + ".";
    try {
        mkdir_p(dir_);
        open_files();
    } catch (const std::exception &e) {
        close_files(false);
        throw FIX::ConfigError(e.what());
    }
}

FlatStore::~FlatStore()
{
    std::string err;
    (void)flush_pending(&err); // logged if it fails
    close_files(true);
}

void FlatStore::close_files(bool sync)
{
    for (int *fd : {&body_fd_, &index_fd_, &seq_fd_, &session_fd_}) {
        if (*fd < 0)
            continue;
        // A clean stop is made durable: it is once per session, and an
        // operator who stopped the bridge expects its state on disk.
        if (sync)
            (void)fdatasync(*fd);
        close(*fd);
        *fd = -1;
    }
}

void FlatStore::open_files()
{
    recovery_ = Recovery();
    const std::string index = prefix_ + "index";
    const std::string header = prefix_ + "header";
    body_fd_ = open_rw(prefix_ + "body");
    if (exists(index)) {
        // A conversion renamed .index into place but died before removing
        // .header: the index is complete (it was fsynced before the rename).
        if (exists(header) && unlink(header.c_str()) == 0)
            fb_info("fix", "store %s: removed %s left by an interrupted conversion",
                    prefix_.c_str(), header.c_str());
    } else if (exists(header)) {
        convert_header(header);
    }
    index_fd_ = open_rw(index);
    unsigned char hdr[kRec], want[kRec];
    header_slot(want);
    ssize_t got = pread_all(index_fd_, hdr, kRec, 0);
    if (got < 0)
        throw std::runtime_error(sys_error("cannot read", index));
    if ((size_t)got < kRec) {
        // New, or created by a process that died before writing slot 0.
        if (ftruncate(index_fd_, 0) < 0 || !pwrite_all(index_fd_, want, kRec, 0))
            throw std::runtime_error(sys_error("cannot write", index));
    } else if (std::memcmp(hdr, want, kRec) != 0) {
        throw std::runtime_error(index + " is not a version " + std::to_string(kVersion) +
                                 " fixbridge store index; move the store directory aside "
                                 "(the session then starts again at sequence number 1)");
    }
    recover_tail();
    seq_fd_ = open_rw(prefix_ + "seqnums");
    read_seqnums();
    session_fd_ = open_rw(prefix_ + "session");
    read_session();
}

// FileStore's .header is "seq,offset,size " entries in the order messages
// were stored; later entries for a number replace earlier ones.
void FlatStore::convert_header(const std::string &header)
{
    const std::string tmp = prefix_ + "index.tmp";
    int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        throw std::runtime_error(sys_error("cannot create", tmp));
    FILE *h = fopen(header.c_str(), "r");
    if (!h) {
        close(fd);
        throw std::runtime_error(sys_error("cannot open", header));
    }
    uint64_t body_size = file_size(body_fd_), top = 0, converted = 0, skipped = 0;
    unsigned char slot[kRec];
    header_slot(slot);
    bool ok = pwrite_all(fd, slot, kRec, 0);
    std::string msg;
    int num;
    long off;
    unsigned long size;
    while (ok && fscanf(h, "%d,%ld,%lu ", &num, &off, &size) == 3) {
        Rec r = {(uint64_t)off, (uint32_t)size, (uint32_t)num, 0};
        if (num <= 0 || off < 0 || size == 0 || size > UINT32_MAX || (uint64_t)off > body_size ||
            size > body_size - (uint64_t)off) {
            skipped++;
            continue;
        }
        msg.resize(size);
        if (pread_all(body_fd_, &msg[0], size, r.off) != (ssize_t)size) {
            skipped++;
            continue;
        }
        r.crc = fb_crc32c(0, msg.data(), msg.size());
        // The same rule as set(): a number below the highest starts a new
        // numbering, and the records above it are void.
        if ((uint64_t)num < top && ftruncate(fd, (off_t)((uint64_t)num * kRec)) < 0)
            ok = false;
        encode(slot, r);
        ok = ok && pwrite_all(fd, slot, kRec, (uint64_t)num * kRec);
        top = (uint64_t)num;
        converted++;
    }
    bool read_error = ferror(h) != 0;
    fclose(h);
    if (!ok || read_error || fdatasync(fd) < 0) {
        std::string e = sys_error("cannot convert FileStore index", header);
        close(fd);
        unlink(tmp.c_str());
        throw std::runtime_error(e);
    }
    close(fd);
    if (rename(tmp.c_str(), (prefix_ + "index").c_str()) < 0)
        throw std::runtime_error(sys_error("cannot rename", tmp));
    sync_dir(dir_);
    if (unlink(header.c_str()) < 0)
        fb_warn("fix", "store %s: cannot remove %s: %s", prefix_.c_str(), header.c_str(),
                std::strerror(errno));
    recovery_.converted = converted;
    fb_info("fix",
            "store %s: converted QuickFIX FileStore index %s (%llu messages, %llu entries "
            "unusable)",
            prefix_.c_str(), header.c_str(), (unsigned long long)converted,
            (unsigned long long)skipped);
}

// Finds the last good record from the end of the index; everything after it,
// in the index and in the body, is a torn tail and is cut.
void FlatStore::recover_tail()
{
    uint64_t isz = file_size(index_fd_), bsz = file_size(body_fd_);
    uint64_t slots = isz / kRec;
    if (isz % kRec)
        recovery_.records_cut++;
    top_ = 0;
    body_end_ = 0;
    std::vector<unsigned char> buf(kChunk * kRec);
    std::string msg;
    uint64_t hi = slots; // slots [1, hi) not yet examined
    while (hi > 1 && top_ == 0) {
        uint64_t lo = hi > kChunk ? hi - kChunk : 1;
        size_t n = (size_t)(hi - lo);
        ssize_t got = pread_all(index_fd_, buf.data(), n * kRec, lo * kRec);
        if (got < 0)
            throw std::runtime_error(sys_error("cannot read", prefix_ + "index"));
        for (size_t i = n; i-- > 0;) {
            const unsigned char *p = buf.data() + i * kRec;
            uint64_t s = lo + i;
            if ((size_t)got < (i + 1) * kRec || is_zero(p))
                continue;
            Rec r;
            const char *why = "";
            if (decode(p, s, &r) && read_message(body_fd_, bsz, r, &msg, &why)) {
                top_ = s;
                body_end_ = r.off + r.len;
                break;
            }
            recovery_.records_cut++;
        }
        hi = lo;
    }
    uint64_t keep = (top_ + 1) * kRec;
    if (isz != keep && ftruncate(index_fd_, (off_t)keep) < 0)
        throw std::runtime_error(sys_error("cannot truncate", prefix_ + "index"));
    if (bsz > body_end_) {
        recovery_.body_bytes_cut = bsz - body_end_;
        if (ftruncate(body_fd_, (off_t)body_end_) < 0)
            throw std::runtime_error(sys_error("cannot truncate", prefix_ + "body"));
    }
    if (recovery_.records_cut || recovery_.body_bytes_cut)
        fb_warn("fix",
                "store %s: cut a torn tail: %llu index records, %llu body bytes (last stored "
                "message is now %llu)",
                prefix_.c_str(), (unsigned long long)recovery_.records_cut,
                (unsigned long long)recovery_.body_bytes_cut, (unsigned long long)top_);
}

// An unreadable .seqnums stops the start: guessing 1 : 1 (what FileStore
// does) makes the counterparty see numbers too low and disconnect, and for
// `reset: never` there is no good guess.
void FlatStore::read_seqnums()
{
    char buf[64];
    const std::string file = prefix_ + "seqnums";
    ssize_t got = pread_all(seq_fd_, buf, sizeof buf - 1, 0);
    if (got < 0)
        throw std::runtime_error(sys_error("cannot read", file));
    buf[got] = '\0';
    int s = 1, t = 1;
    if (got > 0 && (std::sscanf(buf, "%d : %d", &s, &t) != 2 || s < 1 || t < 1)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        throw std::runtime_error(file + ": unreadable sequence numbers \"" + buf +
                                 "\" (expected \"NEXT_SENDER : NEXT_TARGET\"); correct the file "
                                 "or remove it to start at 1 : 1");
    }
    next_sender_ = s;
    next_target_ = t;
    write_seqnums(); // the canonical width, so each update is one fixed pwrite
    if (file_size(seq_fd_) > kSeqLen && ftruncate(seq_fd_, (off_t)kSeqLen) < 0)
        throw std::runtime_error(sys_error("cannot truncate", file));
}

// A missing or unreadable creation time becomes "now": at worst a daily
// reset waits for the next window, which is what FileStore does too.
void FlatStore::read_session()
{
    char buf[64];
    const std::string file = prefix_ + "session";
    ssize_t got = pread_all(session_fd_, buf, sizeof buf - 1, 0);
    if (got < 0)
        throw std::runtime_error(sys_error("cannot read", file));
    buf[got] = '\0';
    std::string text(buf);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
    if (!text.empty()) {
        try {
            creation_ = FIX::UtcTimeStampConvertor::convert(text);
            return;
        } catch (const std::exception &) {
            fb_warn("fix", "store %s: unreadable creation time \"%s\"; using now", prefix_.c_str(),
                    text.c_str());
        }
    }
    creation_ = FIX::UtcTimeStamp();
    write_session();
}

// Whether the calling thread is corked (fix/transport.cc).
bool fb_transport_corked();

bool FlatStore::flush_locked(std::string *err)
{
    if (!pending_.load(std::memory_order_relaxed))
        return true;
    if (!pend_body_.empty() &&
        !pwrite_all(body_fd_, pend_body_.data(), pend_body_.size(), body_end_ - pend_body_.size())) {
        *err = sys_error("cannot write", prefix_ + "body");
        return false;
    }
    // body first, then the records: a crash in between leaves body bytes
    // no record points to, which the next open cuts
    if (!pend_index_.empty() &&
        !pwrite_all(index_fd_, pend_index_.data(), pend_index_.size(), pend_first_ * kRec)) {
        *err = sys_error("cannot write", prefix_ + "index");
        return false;
    }
    pend_body_.clear();
    pend_index_.clear();
    if (seq_dirty_) {
        char buf[32];
        int n = std::snprintf(buf, sizeof buf, "%10.10d : %10.10d", next_sender_, next_target_);
        if (n < 0 || !pwrite_all(seq_fd_, buf, (size_t)n, 0)) {
            *err = sys_error("cannot write", prefix_ + "seqnums");
            return false;
        }
        seq_dirty_ = false;
    }
    pending_.store(false, std::memory_order_release);
    return true;
}

bool FlatStore::flush_pending(std::string *err)
{
    std::lock_guard<std::mutex> lock(pend_mu_);
    if (flush_locked(err))
        return true;
    // kept, so a later flush may still make it; the caller sends nothing
    fb_error("fix", "store %s: %s; the messages are not sent", prefix_.c_str(), err->c_str());
    return false;
}

void FlatStore::flush_or_throw()
{
    std::string err;
    if (!flush_locked(&err))
        throw FIX::IOException(err);
}

// Noted, and written by the flush: now, after what was noted before, or
// on a corked thread with the messages (flush_pending).
void FlatStore::write_seqnums()
{
    seq_dirty_ = true;
    pending_.store(true, std::memory_order_release);
    if (!fb_transport_corked())
        flush_or_throw();
}

void FlatStore::write_session()
{
    std::string t = FIX::UtcTimeStampConvertor::convert(creation_);
    if (!pwrite_all(session_fd_, t.data(), t.size(), 0) ||
        ftruncate(session_fd_, (off_t)t.size()) < 0)
        throw FIX::IOException(sys_error("cannot write", prefix_ + "session"));
}

bool FlatStore::set(int seq, const std::string &msg) throw(FIX::IOException)
{
    // QuickFIX never stores an empty message or a number below 1.
    if (seq < 1 || msg.empty())
        return false;
    if (msg.size() > UINT32_MAX)
        throw FIX::IOException("message too long for the store");
    uint64_t slot = (uint64_t)seq;
    std::lock_guard<std::mutex> lock(pend_mu_);
    bool corked = fb_transport_corked();
    // what is noted goes first unless this one simply follows it
    if (!corked || slot < top_ ||
        (!pend_index_.empty() && slot != pend_first_ + pend_index_.size() / kRec))
        flush_or_throw();
    if (slot < top_ && ftruncate(index_fd_, (off_t)(slot * kRec)) < 0)
        throw FIX::IOException(sys_error("cannot truncate", prefix_ + "index"));
    Rec r = {body_end_, (uint32_t)msg.size(), (uint32_t)seq, fb_crc32c(0, msg.data(), msg.size())};
    unsigned char rec[kRec];
    encode(rec, r);
    if (corked) {
        if (pend_index_.empty())
            pend_first_ = slot;
        pend_body_ += msg;
        pend_index_.append((const char *)rec, kRec);
        pending_.store(true, std::memory_order_release);
    } else {
        // Body first, then its record: a crash in between leaves body bytes
        // no record points to, which the next open cuts.
        if (!pwrite_all(body_fd_, msg.data(), msg.size(), body_end_))
            throw FIX::IOException(sys_error("cannot write", prefix_ + "body"));
        if (!pwrite_all(index_fd_, rec, kRec, slot * kRec))
            throw FIX::IOException(sys_error("cannot write", prefix_ + "index"));
    }
    body_end_ += msg.size();
    top_ = slot;
    return true;
}

void FlatStore::get(int begin, int end, std::vector<std::string> &result) const
    throw(FIX::IOException)
{
    {
        // a resend reads the files: what is noted must be in them
        FlatStore *self = const_cast<FlatStore *>(this);
        std::lock_guard<std::mutex> lock(self->pend_mu_);
        self->flush_or_throw();
    }
    result.clear();
    uint64_t b = begin < 1 ? 1 : (uint64_t)begin;
    uint64_t e = end < 1 ? 0 : (uint64_t)end;
    if (e > top_)
        e = top_;
    std::vector<unsigned char> buf(kChunk * kRec);
    std::string msg;
    for (uint64_t lo = b; lo <= e; lo += kChunk) {
        size_t n = (size_t)(e - lo + 1 < kChunk ? e - lo + 1 : kChunk);
        ssize_t got = pread_all(index_fd_, buf.data(), n * kRec, lo * kRec);
        if (got < 0)
            throw FIX::IOException(sys_error("cannot read", prefix_ + "index"));
        for (size_t i = 0; i < n && (i + 1) * kRec <= (size_t)got; i++) {
            const unsigned char *p = buf.data() + i * kRec;
            if (is_zero(p))
                continue; // an admin message: the resend gap-fills it
            Rec r;
            const char *why = "bad index record";
            if (decode(p, lo + i, &r) && read_message(body_fd_, body_end_, r, &msg, &why)) {
                result.push_back(msg);
                continue;
            }
            // Left out, so QuickFIX sends a gap fill rather than wrong bytes.
            fb_warn("fix", "store %s: message %llu not resent: %s", prefix_.c_str(),
                    (unsigned long long)(lo + i), why);
        }
    }
}

int FlatStore::getNextSenderMsgSeqNum() const throw(FIX::IOException)
{
    return next_sender_;
}

int FlatStore::getNextTargetMsgSeqNum() const throw(FIX::IOException)
{
    return next_target_;
}

void FlatStore::setNextSenderMsgSeqNum(int v) throw(FIX::IOException)
{
    std::lock_guard<std::mutex> lock(pend_mu_);
    next_sender_ = v;
    write_seqnums();
}

void FlatStore::setNextTargetMsgSeqNum(int v) throw(FIX::IOException)
{
    std::lock_guard<std::mutex> lock(pend_mu_);
    next_target_ = v;
    write_seqnums();
}

void FlatStore::incrNextSenderMsgSeqNum() throw(FIX::IOException)
{
    std::lock_guard<std::mutex> lock(pend_mu_);
    ++next_sender_;
    write_seqnums();
}

void FlatStore::incrNextTargetMsgSeqNum() throw(FIX::IOException)
{
    std::lock_guard<std::mutex> lock(pend_mu_);
    ++next_target_;
    write_seqnums();
}

FIX::UtcTimeStamp FlatStore::getCreationTime() const throw(FIX::IOException)
{
    return creation_;
}

void FlatStore::reset() throw(FIX::IOException)
{
    // The messages go first and durably: sequence numbers back at 1 next to
    // the old day's messages would let a resend send them again.
    std::lock_guard<std::mutex> lock(pend_mu_);
    flush_or_throw();
    if (ftruncate(index_fd_, (off_t)kRec) < 0 || ftruncate(body_fd_, 0) < 0 ||
        fdatasync(index_fd_) < 0 || fdatasync(body_fd_) < 0)
        throw FIX::IOException(sys_error("cannot reset", prefix_ + "index/body"));
    top_ = 0;
    body_end_ = 0;
    next_sender_ = 1;
    next_target_ = 1;
    write_seqnums();
    flush_or_throw(); // written now even on a corked thread: synced below
    creation_ = FIX::UtcTimeStamp();
    write_session();
    if (fdatasync(seq_fd_) < 0 || fdatasync(session_fd_) < 0)
        throw FIX::IOException(sys_error("cannot sync", prefix_ + "seqnums"));
}

void FlatStore::refresh() throw(FIX::IOException)
{
    // Re-reads everything from disk (an operator may have edited .seqnums).
    std::lock_guard<std::mutex> lock(pend_mu_);
    flush_or_throw();
    close_files(false);
    try {
        open_files();
    } catch (const std::exception &e) {
        close_files(false);
        throw FIX::IOException(e.what());
    }
}

} // namespace fbfix
