// flat_store.h -- the FIX message store behind `store: file`: a QuickFIX
// MessageStore whose memory does not grow with the number of messages.
// Internal to fix/ (C++), never included from C.
//
// Why not QuickFIX's FileStore: it keeps a std::map entry (~64 bytes) for
// every message it ever stored, so a session that sends millions of
// ExecutionReports in a day grows without bound. This store keeps four
// integers and four file descriptors; everything else is on disk.
//
// Files, in <dir>, per session (prefix BEGIN-SENDER-TARGET[-QUALIFIER].):
//   .body     every stored message, appended (the same stream as FileStore's)
//   .index    fixed-width records addressed by MsgSeqNum: slot 0 is a header
//             (magic "FBXSTORE", version, record size), slot N the record of
//             message N at byte 24*N: body offset (u64), length (u32),
//             MsgSeqNum (u32), CRC-32C of the message (u32), CRC-32C of the
//             first 20 bytes (u32), little-endian. An all-zero slot is a
//             sequence number with no stored message (an admin message that
//             a resend gap-fills). The file is sparse where numbers jump.
//   .seqnums  "SSSSSSSSSS : TTTTTTTTTT", next sender and target numbers, the
//             format of FileStore (operators edit it by hand; keep it).
//   .session  the creation time, YYYYMMDD-HH:MM:SS UTC, as FileStore.
//
// Invariant: the highest slot of .index is the most recently stored message,
// and the body ends where that message ends. set() of a number below the
// highest first cuts the index after it (the numbers above belong to a
// numbering that no longer exists: they must never be resent).
//
// Durability (fsync policy). Everything QuickFIX was told is stored is in
// the kernel before the message goes on the wire, so a process crash
// (SIGKILL) loses nothing. Uncorked, each set() is two pwrite()s (body, then
// index) and each sequence number change one pwrite(). On a corked thread
// (fb_fix_cork: the engine sending a step's reports) set() and the sequence
// numbers only note what to write, and flush_pending() writes it all, one
// pwrite() each for body, index and sequence numbers; the transport calls it
// before any byte of the connection's output leaves (Connection::
// write_locked), whichever thread writes, so the rule holds (issue #7: a
// step's two reports per order were six pwrite()s, now three per step). (The sequence numbers are a
// pwrite, not a store into an mmap of .seqnums, which would save the call:
// a SIGKILL between two CPU stores of the copy could leave a half-new
// number, while the kernel copies a pwrite whole.)
// There is no fsync per message: on this class of machine one costs
// milliseconds and would stall the session thread, and QuickFIX's FileStore
// does not fsync either. So a power loss or
// kernel crash can lose the last seconds of messages and sequence numbers,
// exactly as with FileStore. reset() fsyncs (it happens once a day or at a
// reset logon, and a reset half on disk must not resend an old day's
// messages), and so does a clean close.
//
// Recovery on open (and refresh()): a partial last index record, trailing
// records that are empty or fail their checks (record CRC, MsgSeqNum, inside
// the body, message CRC) are cut; so are body bytes after the last good
// message (a message written without its record). Every message read for a
// resend is checked against its CRC again; one that fails is logged and left
// out, so QuickFIX gap-fills it instead of resending wrong bytes.
//
// A store directory written by QuickFIX's FileStore (an older fixbridge) is
// converted on first open, not refused: a `reset: never` session must keep
// its sequence numbers across the upgrade. .body, .seqnums and .session are
// already in this format; .header (text "seq,offset,size " entries) becomes
// .index (written to .index.tmp, fsynced, renamed), then .header is removed.
// An older fixbridge opening a converted directory keeps the sequence
// numbers but gap-fills every resend.
//
// Memory: get() returns the messages of a resend in a vector, because that
// is MessageStore's interface; a ResendRequest for the whole day holds the
// whole day's messages until QuickFIX has sent them. Nothing else grows.
//
// Threads: QuickFIX calls a session's store under the session's lock; the
// transport may call flush_pending() from any thread. pend_mu_ covers what
// both touch (the pending writes, the files' ends, the sequence numbers).
// Errors: the constructor throws FIX::ConfigError (the message names the
// file); the rest throw FIX::IOException, as MessageStore declares.
#ifndef FB_FLAT_STORE_H
#define FB_FLAT_STORE_H

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <quickfix/MessageStore.h>
#include <quickfix/SessionID.h>

namespace fbfix
{

class FlatStore : public FIX::MessageStore
{
  public:
    // What open() found and repaired, for logs and tests.
    struct Recovery {
        uint64_t records_cut = 0;    // index records dropped from the tail
        uint64_t body_bytes_cut = 0; // body bytes no good record pointed to
        uint64_t converted = 0;      // messages taken over from a FileStore .header
    };

    FlatStore(const std::string &dir, const FIX::SessionID &id);
    ~FlatStore() override;
    FlatStore(const FlatStore &) = delete;
    FlatStore &operator=(const FlatStore &) = delete;

    bool set(int, const std::string &) throw(FIX::IOException) override;
    void get(int, int, std::vector<std::string> &) const throw(FIX::IOException) override;

    int getNextSenderMsgSeqNum() const throw(FIX::IOException) override;
    int getNextTargetMsgSeqNum() const throw(FIX::IOException) override;
    void setNextSenderMsgSeqNum(int) throw(FIX::IOException) override;
    void setNextTargetMsgSeqNum(int) throw(FIX::IOException) override;
    void incrNextSenderMsgSeqNum() throw(FIX::IOException) override;
    void incrNextTargetMsgSeqNum() throw(FIX::IOException) override;

    FIX::UtcTimeStamp getCreationTime() const throw(FIX::IOException) override;

    void reset() throw(FIX::IOException) override;
    void refresh() throw(FIX::IOException) override;

    // Writes what corked set()s and sequence number changes noted. False
    // (logged, with why in *err) if the disk refused: the caller must not
    // send the messages. Any thread; cheap when nothing is pending.
    bool flush_pending(std::string *err);
    bool has_pending() const
    {
        return pending_.load(std::memory_order_acquire);
    }

    const Recovery &recovery() const
    {
        return recovery_;
    }
    // <dir>/<session>. ; append body, index, seqnums, session.
    const std::string &prefix() const
    {
        return prefix_;
    }

  private:
    void open_files(); // throws std::runtime_error naming the file
    void close_files(bool sync);
    void convert_header(const std::string &header);
    void recover_tail();
    void read_seqnums();
    void read_session();
    void write_seqnums();
    void write_session();
    void flush_or_throw(); // flush_pending, or FIX::IOException
    bool flush_locked(std::string *err);

    std::string dir_, prefix_;
    int body_fd_ = -1, index_fd_ = -1, seq_fd_ = -1, session_fd_ = -1;
    uint64_t body_end_ = 0; // where the next message goes
    uint64_t top_ = 0;      // highest slot holding a record (0: none)
    int next_sender_ = 1, next_target_ = 1;
    FIX::UtcTimeStamp creation_;
    Recovery recovery_;

    // Corked writes not made yet: body bytes from body_end_ - pend_body_
    // .size(), index records of slots pend_first_.. (contiguous), and
    // whether .seqnums is behind.
    std::mutex pend_mu_;
    std::atomic<bool> pending_{false};
    std::string pend_body_;
    std::string pend_index_;
    uint64_t pend_first_ = 0;
    bool seq_dirty_ = false;
};

// Creates a FlatStore per session under one directory.
class FlatStoreFactory : public FIX::MessageStoreFactory
{
  public:
    explicit FlatStoreFactory(const std::string &dir) : dir_(dir)
    {
    }
    FIX::MessageStore *create(const FIX::SessionID &id) override
    {
        return new FlatStore(dir_, id);
    }
    void destroy(FIX::MessageStore *s) override
    {
        delete s;
    }

  private:
    std::string dir_;
};

} // namespace fbfix

#endif
