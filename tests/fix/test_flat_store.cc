// test_flat_store.cc -- fix/flat_store.cc: the constant-memory message store.
// C++ because the store is a QuickFIX MessageStore (fix/ internals); the
// shim's C API is tested from C elsewhere.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <quickfix/FileStore.h>
#include <quickfix/FieldConvertors.h>

#include "fix/flat_store.h"
#include "fix/shim_internal.h"

// Last: check.h defines macros (fail) that clash with libstdc++ names.
#include <check.h>

using fbfix::FlatStore;

// ck_assert_str_eq evaluates its arguments more than once: hold them first.
#define STR_EQ(a, b)                                                                               \
    do {                                                                                           \
        const std::string a_ = (a), b_ = (b);                                                      \
        ck_assert_str_eq(a_.c_str(), b_.c_str());                                                  \
    } while (0)

namespace
{

char g_dir[64];
const FIX::SessionID g_id("FIX.4.4", "FIXBRIDGE", "OMS");

void setup(void)
{
    std::snprintf(g_dir, sizeof g_dir, "/tmp/fb_flat_store.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
}

void teardown(void)
{
    DIR *d = opendir(g_dir);
    if (d) {
        while (struct dirent *e = readdir(d)) {
            if (e->d_name[0] == '.')
                continue;
            unlink((std::string(g_dir) + "/" + e->d_name).c_str());
        }
        closedir(d);
    }
    rmdir(g_dir);
}

std::string path(const char *ext)
{
    return std::string(g_dir) + "/FIX.4.4-FIXBRIDGE-OMS." + ext;
}

long fsize(const char *ext)
{
    struct stat st;
    return stat(path(ext).c_str(), &st) == 0 ? (long)st.st_size : -1;
}

std::string slurp(const char *ext)
{
    std::string s;
    FILE *f = std::fopen(path(ext).c_str(), "rb");
    if (!f)
        return s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        s.append(buf, n);
    std::fclose(f);
    return s;
}

void append(const char *ext, const std::string &bytes)
{
    FILE *f = std::fopen(path(ext).c_str(), "ab");
    ck_assert_ptr_nonnull(f);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
}

void poke(const char *ext, long off, char c)
{
    int fd = open(path(ext).c_str(), O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

std::string msg(int seq)
{
    return "8=FIX.4.4\x01" "9=20\x01" "35=8\x01" "34=" + std::to_string(seq) +
           "\x01" "58=message " + std::to_string(seq) + "\x01" "10=000\x01";
}

std::unique_ptr<FlatStore> open_store()
{
    return std::unique_ptr<FlatStore>(new FlatStore(g_dir, g_id));
}

std::vector<std::string> get(FlatStore &s, int b, int e)
{
    std::vector<std::string> v;
    s.get(b, e, v);
    return v;
}

} // namespace

// Admin messages are never stored; their numbers are holes a resend gap-fills.
START_TEST(set_get_ranges)
{
    auto s = open_store();
    for (int i = 1; i <= 10; i++)
        if (i != 3 && i != 7)
            ck_assert(s->set(i, msg(i)));
    std::vector<std::string> v = get(*s, 1, 10);
    ck_assert_uint_eq(v.size(), 8);
    STR_EQ(v[0], msg(1));
    STR_EQ(v[2], msg(4));
    STR_EQ(v[7], msg(10));
    ck_assert_uint_eq(get(*s, 5, 5).size(), 1);
    ck_assert_uint_eq(get(*s, 3, 3).size(), 0);
    ck_assert_uint_eq(get(*s, 9, 1000000).size(), 2); // end past the last
    ck_assert_uint_eq(get(*s, 0, 2).size(), 2);       // begin below 1
    ck_assert_uint_eq(get(*s, 11, 20).size(), 0);
    ck_assert_uint_eq(get(*s, 6, 5).size(), 0);
    ck_assert(!s->set(0, msg(0)));
    ck_assert(!s->set(11, ""));
    // A jump leaves a sparse hole, not memory.
    ck_assert(s->set(5000000, msg(5000000)));
    v = get(*s, 4999000, 5000000);
    ck_assert_uint_eq(v.size(), 1);
    STR_EQ(v[0], msg(5000000));
    ck_assert_int_eq(fsize("index"), 24L * 5000001);
}
END_TEST

// More than one pread chunk (256 slots) in both directions.
START_TEST(many_messages)
{
    auto s = open_store();
    for (int i = 1; i <= 2000; i++)
        s->set(i, msg(i));
    std::vector<std::string> v = get(*s, 1, 2000);
    ck_assert_uint_eq(v.size(), 2000);
    for (int i = 0; i < 2000; i++)
        ck_assert(v[(size_t)i] == msg(i + 1));
    s.reset();
    s = open_store();
    ck_assert_uint_eq(s->recovery().records_cut, 0);
    ck_assert_uint_eq(get(*s, 255, 770).size(), 516);
}
END_TEST

START_TEST(restart_keeps_everything)
{
    std::string created;
    {
        auto s = open_store();
        ck_assert_int_eq(s->getNextSenderMsgSeqNum(), 1);
        ck_assert_int_eq(s->getNextTargetMsgSeqNum(), 1);
        for (int i = 1; i <= 5; i++) {
            s->set(i, msg(i));
            s->incrNextSenderMsgSeqNum();
        }
        s->setNextTargetMsgSeqNum(42);
        created = FIX::UtcTimeStampConvertor::convert(s->getCreationTime());
    }
    STR_EQ(slurp("seqnums"), "0000000006 : 0000000042");
    sleep(1); // a new store would say a later second
    auto s = open_store();
    ck_assert_int_eq(s->getNextSenderMsgSeqNum(), 6);
    ck_assert_int_eq(s->getNextTargetMsgSeqNum(), 42);
    STR_EQ(FIX::UtcTimeStampConvertor::convert(s->getCreationTime()), created);
    std::vector<std::string> v = get(*s, 1, 5);
    ck_assert_uint_eq(v.size(), 5);
    STR_EQ(v[4], msg(5));
    ck_assert_uint_eq(s->recovery().records_cut, 0);
    ck_assert_uint_eq(s->recovery().body_bytes_cut, 0);
    // Appends continue after the old tail.
    s->set(6, msg(6));
    s.reset();
    s = open_store();
    ck_assert_uint_eq(get(*s, 1, 6).size(), 6);
    // refresh() re-reads what is on disk (an operator's edit of .seqnums).
    int fd = open(path("seqnums").c_str(), O_WRONLY | O_TRUNC);
    ck_assert_int_eq(write(fd, "7 : 9\n", 6), 6);
    close(fd);
    s->refresh();
    ck_assert_int_eq(s->getNextSenderMsgSeqNum(), 7);
    ck_assert_int_eq(s->getNextTargetMsgSeqNum(), 9);
    STR_EQ(slurp("seqnums"), "0000000007 : 0000000009");
    ck_assert_uint_eq(get(*s, 1, 6).size(), 6);
}
END_TEST

// SIGKILL between the body and the index write, or in the middle of either.
START_TEST(torn_tail_is_cut)
{
    {
        auto s = open_store();
        for (int i = 1; i <= 5; i++)
            s->set(i, msg(i));
    }
    long body = fsize("body");
    const std::string torn = "8=FIX.4.4\x01" "9=99\x01" "35=8";
    append("body", torn);                     // a message without its record
    append("index", std::string(10, '\x07'));           // half a record
    {
        auto s = open_store();
        ck_assert_uint_eq(s->recovery().records_cut, 1);
        ck_assert_uint_eq(s->recovery().body_bytes_cut, torn.size());
        ck_assert_int_eq(fsize("body"), body);
        ck_assert_int_eq(fsize("index"), 24 * 6);
        ck_assert_uint_eq(get(*s, 1, 5).size(), 5);
        s->set(6, msg(6));
        std::vector<std::string> v = get(*s, 6, 6);
        ck_assert_uint_eq(v.size(), 1);
        STR_EQ(v[0], msg(6));
    }
    // The last record is whole but its message is not (a power loss wrote
    // the index page and not the body's): the record goes, and the body
    // back to the end of message 5.
    long body5 = fsize("body") - (long)msg(6).size();
    poke("body", fsize("body") - 3, 'X');
    {
        auto s = open_store();
        ck_assert_uint_eq(s->recovery().records_cut, 1);
        ck_assert_uint_eq(s->recovery().body_bytes_cut, msg(6).size());
        ck_assert_int_eq(fsize("body"), body5);
        ck_assert_uint_eq(get(*s, 1, 10).size(), 5);
    }
    // A damaged record, not at the tail: left out of a resend (gap-filled).
    poke("body", (long)msg(1).size() + 2, 'X');
    {
        auto s = open_store();
        ck_assert_uint_eq(s->recovery().records_cut, 0);
        std::vector<std::string> v = get(*s, 1, 5);
        ck_assert_uint_eq(v.size(), 4);
        STR_EQ(v[1], msg(3));
    }
}
END_TEST

// A real SIGKILL at an arbitrary point of a session's writes (set, then the
// next sender number), three times over the same store: each reopen finds
// every message below the cut intact and a next number that is either the
// last stored one (killed between set and increment) or the one after it.
START_TEST(sigkill_while_writing)
{
    for (int round = 0; round < 3; round++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            FlatStore s(g_dir, g_id);
            for (;;) {
                int seq = s.getNextSenderMsgSeqNum();
                s.set(seq, msg(seq));
                s.incrNextSenderMsgSeqNum();
            }
        }
        usleep(50000 + 30000 * (useconds_t)round);
        kill(pid, SIGKILL);
        int status;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        auto s = open_store();
        int next = s->getNextSenderMsgSeqNum();
        ck_assert_int_gt(next, 1);
        std::vector<std::string> v = get(*s, 1, next);
        ck_assert(v.size() == (size_t)next - 1 || v.size() == (size_t)next);
        for (size_t i = 0; i < v.size(); i++)
            STR_EQ(v[i], msg((int)i + 1));
    }
}
END_TEST

START_TEST(reset_empties_store)
{
    auto s = open_store();
    for (int i = 1; i <= 5; i++)
        s->set(i, msg(i));
    s->setNextSenderMsgSeqNum(6);
    s->setNextTargetMsgSeqNum(9);
    FIX::UtcTimeStamp before = s->getCreationTime();
    sleep(1);
    s->reset();
    ck_assert_int_eq(s->getNextSenderMsgSeqNum(), 1);
    ck_assert_int_eq(s->getNextTargetMsgSeqNum(), 1);
    ck_assert(before < s->getCreationTime());
    ck_assert_uint_eq(get(*s, 1, 5).size(), 0);
    ck_assert_int_eq(fsize("body"), 0);
    ck_assert_int_eq(fsize("index"), 24);
    std::string created = FIX::UtcTimeStampConvertor::convert(s->getCreationTime());
    STR_EQ(slurp("session"), created);
    s->set(1, msg(1));
    s.reset();
    s = open_store();
    ck_assert_int_eq(s->getNextSenderMsgSeqNum(), 1);
    ck_assert_uint_eq(get(*s, 1, 5).size(), 1);
    STR_EQ(FIX::UtcTimeStampConvertor::convert(s->getCreationTime()), created);
}
END_TEST

// A number below the highest starts a new numbering: the messages above it
// must never be resent.
START_TEST(lower_number_voids_the_rest)
{
    auto s = open_store();
    for (int i = 1; i <= 5; i++)
        s->set(i, msg(i));
    s->set(3, "8=FIX.4.4\x01" "35=8\x01" "58=again\x01");
    std::vector<std::string> v = get(*s, 1, 5);
    ck_assert_uint_eq(v.size(), 3);
    STR_EQ(v[2], "8=FIX.4.4\x01" "35=8\x01" "58=again\x01");
    s.reset();
    s = open_store();
    ck_assert_uint_eq(s->recovery().body_bytes_cut, 0);
    ck_assert_uint_eq(get(*s, 1, 5).size(), 3);
}
END_TEST

// A store directory left by QuickFIX's FileStore (an older fixbridge) is
// converted: sequence numbers, creation time and resendable messages kept.
START_TEST(converts_filestore)
{
    std::string created;
    {
        FIX::FileStore fs(g_dir, g_id);
        for (int i = 1; i <= 4; i++)
            fs.set(i, msg(i));
        fs.set(6, msg(6));
        fs.setNextSenderMsgSeqNum(7);
        fs.setNextTargetMsgSeqNum(5);
        created = FIX::UtcTimeStampConvertor::convert(fs.getCreationTime());
    }
    ck_assert_int_gt(fsize("header"), 0);
    auto s = open_store();
    ck_assert_uint_eq(s->recovery().converted, 5);
    ck_assert_int_eq(fsize("header"), -1);
    ck_assert_int_eq(s->getNextSenderMsgSeqNum(), 7);
    ck_assert_int_eq(s->getNextTargetMsgSeqNum(), 5);
    STR_EQ(FIX::UtcTimeStampConvertor::convert(s->getCreationTime()), created);
    std::vector<std::string> v = get(*s, 1, 6);
    ck_assert_uint_eq(v.size(), 5);
    STR_EQ(v[4], msg(6));
    s->set(7, msg(7));
    ck_assert_uint_eq(get(*s, 1, 7).size(), 6);
}
END_TEST

// Guessing sequence numbers is worse than not starting: the error names the
// file and says what to do.
START_TEST(unreadable_seqnums_refused)
{
    {
        auto s = open_store();
    }
    int fd = open(path("seqnums").c_str(), O_WRONLY | O_TRUNC);
    ck_assert_int_eq(write(fd, "garbage", 7), 7);
    close(fd);
    try {
        auto s = open_store();
        ck_abort_msg("opened a store with unreadable seqnums");
    } catch (const FIX::ConfigError &e) {
        ck_assert_ptr_nonnull(std::strstr(e.what(), "seqnums"));
        ck_assert_ptr_nonnull(std::strstr(e.what(), "garbage"));
    }
}
END_TEST

START_TEST(foreign_index_refused)
{
    {
        auto s = open_store();
    }
    poke("index", 0, 'Z');
    try {
        auto s = open_store();
        ck_abort_msg("opened an index with a bad header");
    } catch (const FIX::ConfigError &e) {
        ck_assert_ptr_nonnull(std::strstr(e.what(), "not a version 1 fixbridge store index"));
    }
}
END_TEST


// A corked thread's sets and sequence numbers wait for flush_pending() (the
// transport calls it before the bytes leave): one write each for body,
// index and .seqnums; a resend, an uncorked set or a gap writes them first.
START_TEST(corked_writes_wait_for_flush)
{
    auto s = open_store();
    fbfix::fb_transport_cork();
    for (int i = 1; i <= 3; i++) {
        s->set(i, msg(i));
        s->incrNextSenderMsgSeqNum();
    }
    ck_assert(s->has_pending());
    ck_assert_int_eq(fsize("body"), 0);
    ck_assert_int_eq(fsize("index"), 24); /* the header alone */
    STR_EQ(slurp("seqnums"), "0000000001 : 0000000001");
    ck_assert_int_eq(s->getNextSenderMsgSeqNum(), 4);
    // a resend reads the files: they are written first
    std::vector<std::string> v = get(*s, 1, 3);
    ck_assert_uint_eq(v.size(), 3);
    STR_EQ(v[2], msg(3));
    ck_assert(!s->has_pending());
    STR_EQ(slurp("seqnums"), "0000000004 : 0000000001");
    s->set(4, msg(4));
    s->set(5, msg(5));
    s->incrNextSenderMsgSeqNum();
    s->incrNextSenderMsgSeqNum();
    // 6 is an admin message (not stored): 7 does not follow 5, so 4-5 go first
    s->incrNextSenderMsgSeqNum();
    s->set(7, msg(7));
    ck_assert_int_eq(fsize("index"), 24 * 6);
    std::string err;
    ck_assert(s->flush_pending(&err));
    ck_assert_int_eq(fsize("index"), 24 * 8);
    ck_assert_int_eq(fsize("body"), (long)(msg(1).size() * 3 + msg(4).size() * 2 + msg(7).size()));
    s->incrNextTargetMsgSeqNum();
    fbfix::fb_transport_uncork(nullptr);
    // uncorked: what was noted, then this one, at once
    s->set(8, msg(8));
    STR_EQ(slurp("seqnums"), "0000000007 : 0000000002");
    ck_assert(!s->has_pending());
    s.reset();
    s = open_store();
    v = get(*s, 1, 8);
    ck_assert_uint_eq(v.size(), 7); /* 6 is a hole */
    STR_EQ(v[5], msg(7));
    STR_EQ(v[6], msg(8));
    ck_assert_uint_eq(s->recovery().records_cut, 0);
    ck_assert_uint_eq(s->recovery().body_bytes_cut, 0);
    ck_assert_int_eq(s->getNextSenderMsgSeqNum(), 7);
}
END_TEST

// Killed with writes noted and not flushed: they were never sent (the
// transport flushes before any byte leaves), and the store reopens at what
// was flushed, with nothing to repair.
START_TEST(killed_before_flush)
{
    {
        auto s = open_store();
        s->set(1, msg(1));
        s->incrNextSenderMsgSeqNum();
    }
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        auto s = open_store();
        fbfix::fb_transport_cork();
        s->set(2, msg(2));
        s->incrNextSenderMsgSeqNum();
        raise(SIGKILL);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFSIGNALED(st));
    auto s = open_store();
    ck_assert_int_eq(s->getNextSenderMsgSeqNum(), 2);
    ck_assert_uint_eq(get(*s, 1, 2).size(), 1);
    ck_assert_uint_eq(s->recovery().records_cut, 0);
    ck_assert_uint_eq(s->recovery().body_bytes_cut, 0);
}
END_TEST

static Suite *flat_store_suite(void)
{
    Suite *s = suite_create("flat_store");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, set_get_ranges);
    tcase_add_test(tc, many_messages);
    tcase_add_test(tc, restart_keeps_everything);
    tcase_add_test(tc, reset_empties_store);
    tcase_add_test(tc, lower_number_voids_the_rest);
    tcase_add_test(tc, converts_filestore);
    tcase_add_test(tc, corked_writes_wait_for_flush);
    tcase_add_test(tc, killed_before_flush);
    suite_add_tcase(s, tc);
    TCase *lim = tcase_create("limits");
    tcase_add_checked_fixture(lim, setup, teardown);
    tcase_add_test(lim, torn_tail_is_cut);
    tcase_add_test(lim, sigkill_while_writing);
    tcase_add_test(lim, unreadable_seqnums_refused);
    tcase_add_test(lim, foreign_index_refused);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(flat_store_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
