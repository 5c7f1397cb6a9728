/*
 * test_journal.c -- bridge/journal.c (codec, registry, dispatch),
 * bridge/journal_file.c (the file backend) and bridge/crc32c.c.
 *
 * Every test works in its own mkdtemp() directory, removed afterwards. The
 * file backend's syscalls go through a fake (struct fb_journal_sys) that
 * counts them, fails the Nth one of a kind, or "crashes": from some point
 * on every mutating call fails, as if the process had died there, and the
 * test reopens the journal with the real syscalls to see what survived.
 */
#define _GNU_SOURCE 1
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bridge/crc32c.h"
#include "bridge/journal.h"

/* ---- fixture: a temporary directory -------------------------------------- */

static char tmpdir[64];
static char jdir[128];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/fbjournal-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(jdir, sizeof jdir, "%s/journal", tmpdir);
}

static void teardown(void)
{
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the fake syscalls ----------------------------------------------------- */

enum { K_OPEN, K_WRITE, K_PREAD, K_FDATASYNC, K_FSYNC, K_FTRUNCATE, K_RENAME, K_UNLINK, K_LAST };

static struct {
    int calls[K_LAST];
    int fail_kind; /* fail call number fail_nth of this kind (-1: none) */
    int fail_nth;
    int short_write; /* the failing write first writes half, then the next fails */
    int fail_next_write;
    int crash_after; /* mutating calls allowed before the "crash" (-1: none) */
    int mutating;
    int renamed; /* a rename went through */
    /* Renames made while some file had writes not yet fdatasync()ed: the
     * protocol never does that (a crash could then keep the rename but
     * lose the data it published). */
    int unsynced_at_rename;
} F;

#define FAKE_FDS 4096
static uint8_t fd_dirty[FAKE_FDS];

static void fake_reset(void)
{
    memset(&F, 0, sizeof F);
    memset(fd_dirty, 0, sizeof fd_dirty);
    F.fail_kind = -1;
    F.crash_after = -1;
}

/* Returns nonzero if this call must fail (errno set). */
static int fake_step(int kind, int mutating)
{
    F.calls[kind]++;
    if (mutating && F.crash_after >= 0) {
        if (F.mutating >= F.crash_after) {
            errno = EIO;
            return 1;
        }
        F.mutating++;
    }
    if (kind == F.fail_kind && F.calls[kind] == F.fail_nth) {
        errno = kind == K_WRITE ? ENOSPC : EIO;
        return 1;
    }
    return 0;
}

static int fake_open(const char *path, int flags, mode_t mode)
{
    if (fake_step(K_OPEN, (flags & O_CREAT) != 0))
        return -1;
    return open(path, flags, mode);
}

static ssize_t fake_write(int fd, const void *buf, size_t n)
{
    if (F.fail_next_write) {
        F.fail_next_write = 0;
        errno = ENOSPC;
        return -1;
    }
    if (fake_step(K_WRITE, 1)) {
        if (F.short_write && n > 1 && F.crash_after < 0) {
            F.fail_next_write = 1;
            return write(fd, buf, n / 2);
        }
        return -1;
    }
    if (fd >= 0 && fd < FAKE_FDS)
        fd_dirty[fd] = 1;
    return write(fd, buf, n);
}

static ssize_t fake_pread(int fd, void *buf, size_t n, off_t off)
{
    if (fake_step(K_PREAD, 0))
        return -1;
    return pread(fd, buf, n, off);
}

static int fake_fdatasync(int fd)
{
    if (fake_step(K_FDATASYNC, 1))
        return -1;
    if (fd >= 0 && fd < FAKE_FDS)
        fd_dirty[fd] = 0;
    return fdatasync(fd);
}

static int fake_close(int fd)
{
    if (fd >= 0 && fd < FAKE_FDS)
        fd_dirty[fd] = 0;
    return close(fd);
}

static int fake_fsync(int fd)
{
    return fake_step(K_FSYNC, 1) ? -1 : fsync(fd);
}

static int fake_ftruncate(int fd, off_t len)
{
    return fake_step(K_FTRUNCATE, 1) ? -1 : ftruncate(fd, len);
}

static int fake_rename(const char *from, const char *to)
{
    if (fake_step(K_RENAME, 1))
        return -1;
    for (int fd = 0; fd < FAKE_FDS; fd++)
        F.unsynced_at_rename += fd_dirty[fd];
    int rc = rename(from, to);
    if (rc == 0)
        F.renamed = 1;
    return rc;
}

static int fake_unlink(const char *path)
{
    return fake_step(K_UNLINK, 1) ? -1 : unlink(path);
}

/* write_behind: the ranges asked for, per fd, must follow each other
 * from the segment's start and never pass what was written. */
static struct {
    int calls, fail;
    int bad; /* a range that did not continue the last, or passed the end */
    off_t next[FAKE_FDS];
} WB;

static int fake_write_behind(int fd, off_t off, off_t len)
{
    struct stat st;
    WB.calls++;
    if (fd < 0 || fd >= FAKE_FDS || fstat(fd, &st) != 0 || off + len > st.st_size ||
        len < (off_t)(1 << 20) || (off != WB.next[fd] && off != 0))
        WB.bad++;
    else
        WB.next[fd] = off + len;
    if (WB.fail) {
        errno = EIO;
        return -1;
    }
    return 0;
}

static const struct fb_journal_sys fake_sys = {
    .open = fake_open,
    .write = fake_write,
    .pread = fake_pread,
    .fdatasync = fake_fdatasync,
    .fsync = fake_fsync,
    .ftruncate = fake_ftruncate,
    .rename = fake_rename,
    .unlink = fake_unlink,
    .close = fake_close,
    .write_behind = fake_write_behind,
};

/* ---- helpers ------------------------------------------------------------- */

#define T0 1700000000000000000LL
#define MS 1000000LL

static uint8_t payload_buf[FB_JOURNAL_MAX_PAYLOAD];

/* Record number id: type = id % 7, payload = id (4 bytes LE) then id + k. */
static struct fb_journal_record make_rec(uint32_t id, uint32_t len)
{
    if (len < 4)
        len = 4;
    for (uint32_t k = 0; k < len; k++)
        payload_buf[k] = (uint8_t)(k < 4 ? id >> (8 * k) : id + k);
    return (struct fb_journal_record){.type = (uint16_t)(id % 7),
                                      /* stored flags, none of FB_JOURNAL_F_* */
                                      .flags = (uint16_t)((id & 3) << 8),
                                      .time_ns = T0 + id,
                                      .payload = payload_buf,
                                      .len = len};
}

static uint32_t rec_id(const struct fb_journal_record *r)
{
    return (uint32_t)r->payload[0] | (uint32_t)r->payload[1] << 8 | (uint32_t)r->payload[2] << 16 |
           (uint32_t)r->payload[3] << 24;
}

static int rec_valid(const struct fb_journal_record *r)
{
    uint32_t id = rec_id(r);
    if (r->type != id % 7 || r->flags != ((id & 3) << 8) || r->time_ns != T0 + id)
        return 0;
    for (uint32_t k = 4; k < r->len; k++)
        if (r->payload[k] != (uint8_t)(id + k))
            return 0;
    return 1;
}

#define MAXSEEN 4096
struct seen {
    size_t n;
    uint32_t id[MAXSEEN];
    uint64_t seq[MAXSEEN];
    uint32_t len[MAXSEEN];
    int bad;
};

static enum fb_err collect(void *user, const struct fb_journal_record *r)
{
    struct seen *s = user;
    if (s->n == MAXSEEN || r->len < 4 || !rec_valid(r)) {
        s->bad++;
        return FB_OK;
    }
    s->id[s->n] = rec_id(r);
    s->seq[s->n] = r->seq;
    s->len[s->n] = r->len;
    s->n++;
    return FB_OK;
}

static struct fb_journal_cfg cfg_of(enum fb_journal_fsync f, uint64_t seg, int fake)
{
    return (struct fb_journal_cfg){.dir = jdir,
                                   .fsync = f,
                                   .group_commit_ms = 5,
                                   .segment_bytes = seg,
                                   .sys = fake ? &fake_sys : NULL};
}

static struct fb_journal *open_ok(const struct fb_journal_cfg *c, struct fb_journal_recovery *rec)
{
    struct fb_journal *j = NULL;
    char err[512];
    enum fb_err rc = fb_journal_open("file", c, &j, rec, err, sizeof err);
    ck_assert_msg(rc == FB_OK, "open: %s (%s)", fb_strerror(rc), err);
    return j;
}

static void append_ok(struct fb_journal *j, uint32_t id, uint32_t len, uint64_t want_seq)
{
    struct fb_journal_record r = make_rec(id, len);
    uint64_t seq = 0;
    enum fb_err rc = fb_journal_append(j, &r, T0, &seq);
    ck_assert_msg(rc == FB_OK, "append %u: %s (%s)", id, fb_strerror(rc), fb_journal_errmsg(j));
    if (want_seq)
        ck_assert_uint_eq(seq, want_seq);
}

static void replay_ok(struct fb_journal *j, struct seen *s)
{
    memset(s, 0, sizeof *s);
    ck_assert_int_eq(fb_journal_replay(j, collect, s), FB_OK);
    ck_assert_int_eq(s->bad, 0);
}

static void reopen_replay(struct seen *s, struct fb_journal_recovery *rec)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 0);
    struct fb_journal *j = open_ok(&c, rec);
    replay_ok(j, s);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
}

static char seg_file[256];
static const char *segp(unsigned n)
{
    snprintf(seg_file, sizeof seg_file, "%s/%06u.fbj", jdir, n);
    return seg_file;
}

static off_t file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void flip_byte(const char *path, off_t off, uint8_t mask)
{
    int fd = open(path, O_RDWR);
    uint8_t b;
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, &b, 1, off), 1);
    b ^= mask;
    ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
    close(fd);
}

static void cut_file(const char *path, off_t len)
{
    ck_assert_int_eq(truncate(path, len), 0);
}

/* ---- crc32c and the codec ------------------------------------------------ */

static const struct {
    const char *name;
    uint8_t fill; /* 32 bytes of fill, or 0xAA: ascending 0..31 */
    uint32_t want;
} crc_cases[] = {
    /* RFC 3720 appendix B.4 */
    {"32 zeros", 0x00, 0x8A9136AAu},
    {"32 x 0xFF", 0xFF, 0x62A8AB43u},
    {"ascending 0..31", 0xAA, 0x46DD794Eu},
};

START_TEST(crc32c_known_vectors)
{
    uint8_t b[32];
    for (int k = 0; k < 32; k++)
        b[k] = crc_cases[_i].fill == 0xAA ? (uint8_t)k : crc_cases[_i].fill;
    ck_assert_msg(fb_crc32c(0, b, 32) == crc_cases[_i].want, "%s", crc_cases[_i].name);
    /* Piecewise gives the same. */
    ck_assert_uint_eq(fb_crc32c(fb_crc32c(0, b, 13), b + 13, 19), crc_cases[_i].want);
    ck_assert_uint_eq(fb_crc32c(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(fb_crc32c(0, "", 0), 0);
}
END_TEST

static const uint32_t codec_lens[] = {0, 1, 3, 4, 35, 36, 1000, FB_JOURNAL_MAX_PAYLOAD};

START_TEST(codec_round_trip_and_every_damage)
{
    static uint8_t buf[FB_JOURNAL_MAX_RECORD + 8];
    static uint8_t pl[FB_JOURNAL_MAX_PAYLOAD];
    uint32_t len = codec_lens[_i];
    for (uint32_t k = 0; k < len; k++)
        pl[k] = (uint8_t)(k * 7 + 1);
    struct fb_journal_record r = {
        .type = 0xBEEF, .flags = 0x8001, .time_ns = -5, .payload = len ? pl : NULL, .len = len};
    size_t n = fb_journal_encode(&r, 0x0102030405060708ull, buf, sizeof buf);
    ck_assert_uint_eq(n, fb_journal_record_size(len));
    /* Little-endian, fixed offsets. */
    ck_assert_int_eq(memcmp(buf, "FBJR", 4), 0);
    ck_assert_uint_eq(buf[4], 1);
    ck_assert_uint_eq(buf[6], 0xEF);
    ck_assert_uint_eq(buf[16], 0x08);
    ck_assert_uint_eq(buf[23], 0x01);

    struct fb_journal_record out;
    size_t used = 0;
    ck_assert_int_eq(fb_journal_decode(buf, n + 8, &out, &used, NULL), FB_JDEC_OK);
    ck_assert_uint_eq(used, n);
    ck_assert_uint_eq(out.seq, 0x0102030405060708ull);
    ck_assert_uint_eq(out.type, 0xBEEF);
    ck_assert_uint_eq(out.flags, 0x8001);
    ck_assert_int_eq(out.time_ns, -5);
    ck_assert_uint_eq(out.len, len);
    ck_assert(len == 0 || memcmp(out.payload, pl, len) == 0);

    /* Every prefix is "short", never valid. Big payloads: sample. */
    size_t step = n > 4096 ? 997 : 1;
    for (size_t k = 0; k < n; k += step)
        ck_assert_int_eq(fb_journal_decode(buf, k, &out, &used, NULL), FB_JDEC_SHORT);
    /* Every flipped bit is caught. */
    for (size_t k = 0; k < n; k += step) {
        for (int bit = 0; bit < 8; bit++) {
            buf[k] ^= (uint8_t)(1u << bit);
            enum fb_journal_decode d = fb_journal_decode(buf, n, &out, &used, NULL);
            ck_assert_msg(d != FB_JDEC_OK, "flip at %zu bit %d undetected", k, bit);
            buf[k] ^= (uint8_t)(1u << bit);
        }
    }
    /* Too large for the buffer or over the maximum: not encoded. */
    ck_assert_uint_eq(fb_journal_encode(&r, 1, buf, n - 1), 0);
    r.len = FB_JOURNAL_MAX_PAYLOAD + 1;
    r.payload = pl;
    ck_assert_uint_eq(fb_journal_encode(&r, 1, buf, sizeof buf), 0);
}
END_TEST

START_TEST(registry_by_name)
{
    struct fb_journal *j = (struct fb_journal *)1;
    char err[128];
    ck_assert_ptr_eq(fb_journal_find("file"), &fb_journal_file);
    ck_assert_ptr_null(fb_journal_find("postgres"));
    ck_assert_ptr_null(fb_journal_find(NULL));
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 0);
    ck_assert_int_eq(fb_journal_open("nosuch", &c, &j, NULL, err, sizeof err), FB_ERR_NOT_FOUND);
    ck_assert_ptr_null(j);
    ck_assert_str_eq(err, "journal: no backend named nosuch");
    c.segment_bytes = 1000; /* under FB_JOURNAL_SEGMENT_MIN */
    ck_assert_int_eq(fb_journal_open("file", &c, &j, NULL, err, sizeof err), FB_ERR_INVALID);
    char p[32];
    ck_assert_int_eq(fb_journal_path("/d", p, sizeof p), FB_OK);
    ck_assert_str_eq(p, "/d/journal");
    ck_assert_int_eq(fb_journal_path("/a-long-data-dir", p, 8), FB_ERR_TOO_LARGE);
    ck_assert_str_eq(fb_journal_fsync_name(FB_JOURNAL_FSYNC_GROUP), "group");
}
END_TEST

/* ---- round trip ---------------------------------------------------------- */

START_TEST(round_trip_many_records)
{
    /* _i: 0 every, 1 group */
    enum fb_journal_fsync f = _i ? FB_JOURNAL_FSYNC_GROUP : FB_JOURNAL_FSYNC_EVERY;
    struct fb_journal_cfg c = cfg_of(f, 0, 0);
    struct fb_journal_recovery rec;
    struct seen s;
    struct fb_journal *j = open_ok(&c, &rec);
    ck_assert_uint_eq(rec.records, 0);
    ck_assert_uint_eq(rec.segments, 1);
    ck_assert(exists(segp(1)));
    /* Fewer under FSYNC_EVERY: each costs a real fdatasync. */
    uint32_t n = f == FB_JOURNAL_FSYNC_EVERY ? 200 : 1500;
    for (uint32_t i = 1; i <= n; i++)
        append_ok(j, i, (i * 37) % 700, i);
    ck_assert_int_eq(fb_journal_sync(j), FB_OK);
    replay_ok(j, &s);
    ck_assert_uint_eq(s.n, n);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);

    reopen_replay(&s, &rec);
    ck_assert_uint_eq(rec.records, n);
    ck_assert_uint_eq(rec.last_seq, n);
    ck_assert_int_eq(rec.torn, 0);
    ck_assert_str_eq(rec.reason, "");
    for (uint32_t i = 0; i < n; i++) {
        ck_assert_uint_eq(s.id[i], i + 1);
        ck_assert_uint_eq(s.seq[i], i + 1);
        ck_assert_uint_eq(s.len[i], (i + 1) * 37 % 700 < 4 ? 4 : (i + 1) * 37 % 700);
    }
    /* Sequence numbers continue after a restart. */
    j = open_ok(&c, NULL);
    append_ok(j, 9999, 10, n + 1);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
}
END_TEST

START_TEST(too_large_payload_changes_nothing)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 0);
    struct fb_journal *j = open_ok(&c, NULL);
    append_ok(j, 1, 10, 1);
    struct fb_journal_record r = make_rec(2, 10);
    r.len = FB_JOURNAL_MAX_PAYLOAD + 1;
    uint64_t seq = 0;
    ck_assert_int_eq(fb_journal_append(j, &r, T0, &seq), FB_ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(fb_journal_errmsg(j), "maximum"));
    append_ok(j, 3, FB_JOURNAL_MAX_PAYLOAD, 2);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
    struct seen s;
    reopen_replay(&s, NULL);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_uint_eq(s.id[1], 3);
}
END_TEST

START_TEST(second_open_is_refused)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 0);
    struct fb_journal *j = open_ok(&c, NULL), *j2 = NULL;
    char err[512];
    ck_assert_int_eq(fb_journal_open("file", &c, &j2, NULL, err, sizeof err), FB_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(err, "in use by another process"));
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
    j2 = open_ok(&c, NULL);
    ck_assert_int_eq(fb_journal_close(j2), FB_OK);
}
END_TEST

/* ---- recovery ------------------------------------------------------------ */

#define TORN_LEN 24 /* payload of the record that gets torn */
#define TORN_SIZE (FB_JOURNAL_RECORD_OVERHEAD + TORN_LEN)

/* Three records; returns the offset of the third (the last). */
static off_t write_three(uint32_t last_len)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 0);
    struct fb_journal *j = open_ok(&c, NULL);
    append_ok(j, 1, 100, 1);
    append_ok(j, 2, 50, 2);
    off_t last = file_size(segp(1));
    append_ok(j, 3, last_len, 3);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
    ck_assert_int_eq(file_size(segp(1)), last + (off_t)fb_journal_record_size(last_len));
    return last;
}

static void expect_recovered_to_two(off_t last, const char *why)
{
    struct fb_journal_recovery rec;
    struct seen s;
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 0);
    struct fb_journal *j = open_ok(&c, &rec);
    ck_assert_msg(rec.torn == 1, "%s: not reported torn", why);
    ck_assert_uint_eq(rec.torn_offset, (uint64_t)last);
    ck_assert_str_eq(rec.torn_file, segp(1));
    ck_assert_uint_eq(rec.records, 2);
    ck_assert_uint_eq(rec.last_seq, 2);
    ck_assert_ptr_nonnull(strstr(rec.reason, "torn last record at byte"));
    ck_assert_int_eq(file_size(segp(1)), last);
    /* The journal goes on where the good records end. */
    append_ok(j, 4, 10, 3);
    replay_ok(j, &s);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_uint_eq(s.id[2], 4);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
    reopen_replay(&s, &rec);
    ck_assert_int_eq(rec.torn, 0);
    ck_assert_uint_eq(s.n, 3);
}

/* _i = bytes of the last record that reached the disk, 1..size-1. */
START_TEST(torn_tail_at_every_offset)
{
    off_t last = write_three(TORN_LEN);
    cut_file(segp(1), last + _i);
    expect_recovered_to_two(last, "cut");
}
END_TEST

/* _i = byte of the last record that is damaged; also zeros past EOF. */
START_TEST(damaged_last_record_at_every_offset)
{
    off_t last = write_three(TORN_LEN);
    flip_byte(segp(1), last + _i, 0x10);
    expect_recovered_to_two(last, "flip");
}
END_TEST

START_TEST(zero_filled_tail_is_torn)
{
    /* A crash after the size grew but before the data blocks were written
     * leaves zeros. */
    off_t last = write_three(TORN_LEN);
    cut_file(segp(1), last);
    cut_file(segp(1), last + 4096);
    expect_recovered_to_two(last, "zeros");
}
END_TEST

/* _i = byte of the middle record that is damaged. */
START_TEST(damaged_middle_record_is_fatal)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 0);
    struct fb_journal *j = open_ok(&c, NULL), *j2 = NULL;
    append_ok(j, 1, 100, 1);
    off_t mid = file_size(segp(1));
    append_ok(j, 2, TORN_LEN, 2);
    append_ok(j, 3, 100, 3);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
    off_t size = file_size(segp(1));

    flip_byte(segp(1), mid + _i, 0x01);
    char err[1024], want[512];
    ck_assert_int_eq(fb_journal_open("file", &c, &j2, NULL, err, sizeof err), FB_ERR_CORRUPT);
    ck_assert_ptr_null(j2);
    snprintf(want, sizeof want, "journal: %s: ", segp(1));
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
    snprintf(want, sizeof want, " at byte %lld, followed by an intact record at byte",
             (long long)mid);
    ck_assert_msg(strstr(err, want) != NULL, "offset not named: %s", err);
    /* Nothing was repaired by guessing. */
    ck_assert_int_eq(file_size(segp(1)), size);
}
END_TEST

/* Patches the format version of a segment header or a record and makes
 * its checksums right again, as a newer fixbridge would have written it. */
static void rewrite_version(const char *path, off_t off, int record, uint32_t payload_len)
{
    uint8_t b[FB_JOURNAL_RECORD_OVERHEAD + 64];
    int fd = open(path, O_RDWR);
    ck_assert_int_ge(fd, 0);
    size_t n = record ? fb_journal_record_size(payload_len) : FB_JOURNAL_SEG_HEADER_SIZE;
    ck_assert_uint_le(n, sizeof b);
    ck_assert_int_eq(pread(fd, b, n, off), (ssize_t)n);
    size_t vpos = record ? 4 : 8, hcrc = record ? 32 : 12;
    b[vpos] = 2;
    uint32_t c = fb_crc32c(0, b, hcrc);
    for (int k = 0; k < 4; k++)
        b[hcrc + (size_t)k] = (uint8_t)(c >> (8 * k));
    if (record) {
        size_t body = FB_JOURNAL_HEADER_SIZE + payload_len;
        c = fb_crc32c(0, b, body);
        for (int k = 0; k < 4; k++)
            b[body + (size_t)k] = (uint8_t)(c >> (8 * k));
    }
    ck_assert_int_eq(pwrite(fd, b, n, off), (ssize_t)n);
    close(fd);
}

START_TEST(unknown_version_is_refused)
{
    /* _i: 0 the segment header, 1 the last record, 2 a middle record */
    off_t last = write_three(TORN_LEN);
    off_t mid = last - (off_t)fb_journal_record_size(50);
    if (_i == 0)
        rewrite_version(segp(1), 0, 0, 0);
    else if (_i == 1)
        rewrite_version(segp(1), last, 1, TORN_LEN);
    else
        rewrite_version(segp(1), mid, 1, 50);
    struct fb_journal *j = NULL;
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 0);
    char err[1024];
    ck_assert_int_eq(fb_journal_open("file", &c, &j, NULL, err, sizeof err), FB_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err, "format version 2; this fixbridge reads version 1") != NULL, "%s",
                  err);
    ck_assert_ptr_nonnull(strstr(err, segp(1)));
    if (_i)
        ck_assert_ptr_nonnull(strstr(err, "record at byte"));
    /* Not mistaken for a torn tail. */
    ck_assert_int_eq(file_size(segp(1)), last + TORN_SIZE);
}
END_TEST

START_TEST(sequence_going_back_is_corrupt)
{
    off_t last = write_three(TORN_LEN);
    /* Record 3 claims sequence number 2, checksums intact. */
    int fd = open(segp(1), O_RDWR);
    uint8_t b[TORN_SIZE];
    ck_assert_int_eq(pread(fd, b, sizeof b, last), (ssize_t)sizeof b);
    b[16] = 2;
    uint32_t c = fb_crc32c(0, b, 32);
    for (int k = 0; k < 4; k++)
        b[32 + k] = (uint8_t)(c >> (8 * k));
    c = fb_crc32c(0, b, FB_JOURNAL_HEADER_SIZE + TORN_LEN);
    for (int k = 0; k < 4; k++)
        b[FB_JOURNAL_HEADER_SIZE + TORN_LEN + (size_t)k] = (uint8_t)(c >> (8 * k));
    ck_assert_int_eq(pwrite(fd, b, sizeof b, last), (ssize_t)sizeof b);
    close(fd);
    struct fb_journal *j = NULL;
    struct fb_journal_cfg cf = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 0);
    char err[1024], want[128];
    ck_assert_int_eq(fb_journal_open("file", &cf, &j, NULL, err, sizeof err), FB_ERR_CORRUPT);
    snprintf(want, sizeof want, "record at byte %lld has sequence number 2 after 2",
             (long long)last);
    ck_assert_msg(strstr(err, want) != NULL, "%s", err);
}
END_TEST

START_TEST(foreign_file_is_corrupt)
{
    write_three(TORN_LEN);
    flip_byte(segp(1), 2, 0x20); /* "FBjSEG" */
    struct fb_journal *j = NULL;
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 0);
    char err[1024];
    ck_assert_int_eq(fb_journal_open("file", &c, &j, NULL, err, sizeof err), FB_ERR_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err, "bad segment header at byte 0"));
}
END_TEST

/* ---- segments ------------------------------------------------------------ */

#define BIG 60000u

START_TEST(segments_roll_at_the_limit)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_GROUP, FB_JOURNAL_SEGMENT_MIN, 1);
    struct fb_journal_recovery rec;
    struct seen s;
    fake_reset();
    struct fb_journal *j = open_ok(&c, NULL);
    for (uint32_t i = 1; i <= 50; i++)
        append_ok(j, i, BIG, i);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
    /* 17 records of BIG + 40 fit in 1 MiB with the header: 3 segments. */
    unsigned per = (unsigned)((FB_JOURNAL_SEGMENT_MIN - FB_JOURNAL_SEG_HEADER_SIZE) /
                              fb_journal_record_size(BIG));
    ck_assert_uint_eq(per, 17);
    for (unsigned n = 1; n <= 3; n++) {
        ck_assert(exists(segp(n)));
        ck_assert_int_le(file_size(segp(n)), (off_t)FB_JOURNAL_SEGMENT_MIN);
    }
    ck_assert(!exists(segp(4)));
    ck_assert_int_eq(file_size(segp(1)),
                     (off_t)(FB_JOURNAL_SEG_HEADER_SIZE + per * fb_journal_record_size(BIG)));
    /* Group commit still syncs each full segment before the next exists:
     * new segment 1, then per roll old + new, then close. */
    ck_assert_int_eq(F.calls[K_FDATASYNC], 1 + 2 * 2 + 1);
    ck_assert_int_eq(F.calls[K_RENAME], 3);
    ck_assert_int_eq(F.unsynced_at_rename, 0);
    reopen_replay(&s, &rec);
    ck_assert_uint_eq(rec.segments, 3);
    ck_assert_uint_eq(s.n, 50);
    for (uint32_t i = 0; i < 50; i++)
        ck_assert_uint_eq(s.seq[i], i + 1);

    /* A torn tail anywhere but in the last segment is damage. */
    cut_file(segp(2), file_size(segp(2)) - 3);
    struct fb_journal *j2 = NULL;
    char err[1024];
    ck_assert_int_eq(fb_journal_open("file", &c, &j2, NULL, err, sizeof err), FB_ERR_CORRUPT);
    ck_assert_ptr_nonnull(strstr(err, segp(2)));
    ck_assert_ptr_nonnull(strstr(err, "(not the last segment)"));
}
END_TEST

/* ---- compaction ---------------------------------------------------------- */

static int keep_even(void *user, const struct fb_journal_record *r)
{
    int *calls = user;
    (*calls)++;
    return rec_id(r) % 2 == 0;
}

/* 60 records over several segments; compaction keeps the even ones and
 * adds two extras (ids 1000, 1001). */
static void fill_for_compaction(struct fb_journal *j)
{
    for (uint32_t i = 1; i <= 60; i++)
        append_ok(j, i, i % 3 ? 100 : BIG, i);
}

static void compact_now(struct fb_journal *j, enum fb_err want)
{
    static uint8_t x0[8], x1[8];
    struct fb_journal_record ex[2];
    struct fb_journal_record a = make_rec(1000, 8), b;
    memcpy(x0, a.payload, 8);
    a.payload = x0;
    b = make_rec(1001, 8);
    memcpy(x1, b.payload, 8);
    b.payload = x1;
    ex[0] = a;
    ex[1] = b;
    int calls = 0;
    enum fb_err rc = fb_journal_compact(j, keep_even, &calls, ex, 2);
    ck_assert_msg(rc == want, "compact: %s (%s)", fb_strerror(rc), fb_journal_errmsg(j));
}

static int is_old_state(const struct seen *s)
{
    if (s->n != 60)
        return 0;
    for (uint32_t i = 0; i < 60; i++)
        if (s->id[i] != i + 1 || s->seq[i] != i + 1)
            return 0;
    return 1;
}

static int is_new_state(const struct seen *s)
{
    if (s->n != 32)
        return 0;
    for (uint32_t i = 0; i < 30; i++)
        if (s->id[i] != 2 * (i + 1) || s->seq[i] != 2 * (i + 1))
            return 0;
    return s->id[30] == 1000 && s->seq[30] == 61 && s->id[31] == 1001 && s->seq[31] == 62;
}

static unsigned count_files(const char *suffix)
{
    unsigned n = 0;
    for (unsigned k = 1; k <= 20; k++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%06u%s", jdir, k, suffix);
        n += exists(p);
    }
    return n;
}

START_TEST(compaction_keeps_exactly_the_chosen_records)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_GROUP, FB_JOURNAL_SEGMENT_MIN, 0);
    struct fb_journal_recovery rec;
    struct seen s;
    struct fb_journal *j = open_ok(&c, NULL);
    fill_for_compaction(j);
    replay_ok(j, &s);
    ck_assert(is_old_state(&s));
    unsigned before = count_files(".fbj");
    ck_assert_uint_ge(before, 2);
    compact_now(j, FB_OK);
    replay_ok(j, &s);
    ck_assert(is_new_state(&s));
    ck_assert_uint_eq(count_files(".fbj"), 1);
    ck_assert(exists(segp(before + 1)));
    ck_assert_uint_eq(count_files(".fbj.tmp"), 0);
    /* Appends go on after the extras. */
    append_ok(j, 2000, 10, 63);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
    reopen_replay(&s, &rec);
    ck_assert_uint_eq(s.n, 33);
    ck_assert_uint_eq(s.id[32], 2000);
    ck_assert_uint_eq(rec.segments, 1);
    ck_assert_int_eq(rec.finished_compaction, 0);

    /* Keeping nothing leaves an empty journal that still counts on. */
    j = open_ok(&c, NULL);
    ck_assert_int_eq(fb_journal_compact(j, NULL, NULL, NULL, 0), FB_OK);
    replay_ok(j, &s);
    ck_assert_uint_eq(s.n, 0);
    append_ok(j, 3000, 10, 64);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
}
END_TEST

/* _i = mutating syscalls compaction gets before the "crash". */
START_TEST(crash_at_every_step_of_compaction)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_GROUP, FB_JOURNAL_SEGMENT_MIN, 1);
    struct fb_journal_recovery rec;
    struct seen s;
    fake_reset();
    struct fb_journal *j = open_ok(&c, NULL);
    fill_for_compaction(j);
    /* the engine's barrier comes before a compaction */
    ck_assert_int_eq(fb_journal_sync(j), FB_OK);
    fake_reset();
    F.crash_after = _i;
    int calls = 0;
    enum fb_err rc = fb_journal_compact(j, keep_even, &calls, NULL, 0);
    int renamed = F.renamed;
    ck_assert_int_eq(F.unsynced_at_rename, 0);
    (void)fb_journal_close(j); /* the "dead" process: its calls fail too */
    fake_reset();
    int leftovers = count_files(".fbj") > 1;

    reopen_replay(&s, &rec);
    if (renamed) {
        ck_assert_msg(s.n == 30 && s.seq[29] == 60, "crash after %d: not the new state", _i);
        ck_assert_uint_eq(count_files(".fbj"), 1);
        ck_assert_int_eq(rec.finished_compaction, leftovers);
    } else {
        ck_assert_msg(is_old_state(&s), "crash after %d: not the old state", _i);
        ck_assert_int_ne(rc, FB_OK);
    }
    ck_assert_uint_eq(count_files(".fbj.tmp"), 0);
    /* Either way the journal is usable and counts on from 60. */
    j = open_ok(&c, NULL);
    append_ok(j, 7, 10, 61);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
}
END_TEST

START_TEST(half_written_compaction_file_is_discarded)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_GROUP, 0, 0);
    struct fb_journal_recovery rec;
    struct seen s;
    struct fb_journal *j = open_ok(&c, NULL);
    for (uint32_t i = 1; i <= 60; i++)
        append_ok(j, i, 40, i);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
    /* What a crash before the rename leaves: a compacted segment's start. */
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s/000002.fbj.tmp", jdir);
    FILE *f = fopen(tmp, "wb");
    uint8_t hdr[FB_JOURNAL_SEG_HEADER_SIZE];
    fb_journal_seg_header_encode(FB_JOURNAL_SEG_COMPACTED, hdr);
    ck_assert_uint_eq(fwrite(hdr, 1, sizeof hdr, f), sizeof hdr);
    ck_assert_uint_eq(fwrite("FBJR\1\0", 1, 6, f), 6);
    fclose(f);
    reopen_replay(&s, &rec);
    ck_assert(is_old_state(&s));
    ck_assert_uint_eq(rec.removed_tmp, 1);
    ck_assert(!exists(tmp));
}
END_TEST

START_TEST(compacted_segment_replaces_leftover_old_ones)
{
    /* What a crash after the rename but before the unlinks leaves. */
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_GROUP, FB_JOURNAL_SEGMENT_MIN, 1);
    struct fb_journal_recovery rec;
    struct seen s;
    fake_reset();
    struct fb_journal *j = open_ok(&c, NULL);
    fill_for_compaction(j);
    unsigned before = count_files(".fbj");
    fake_reset();
    F.fail_kind = K_FSYNC; /* the directory fsync right after the rename */
    F.fail_nth = 1;
    compact_now(j, FB_ERR_IO);
    ck_assert_int_eq(F.renamed, 1);
    ck_assert_int_eq(F.unsynced_at_rename, 0);
    ck_assert_uint_eq(count_files(".fbj"), before + 1);
    /* The journal cannot vouch for itself any more. */
    struct fb_journal_record r = make_rec(5, 5);
    ck_assert_int_eq(fb_journal_append(j, &r, T0, NULL), FB_ERR_STATE);
    (void)fb_journal_close(j);
    fake_reset();
    reopen_replay(&s, &rec);
    ck_assert(is_new_state(&s));
    ck_assert_int_eq(rec.finished_compaction, 1);
    ck_assert_ptr_nonnull(strstr(rec.reason, "finished a compaction"));
    ck_assert_uint_eq(count_files(".fbj"), 1);
}
END_TEST

/* ---- fsync policies and failures ----------------------------------------- */

START_TEST(fsync_every_leaves_hints_to_the_next_barrier)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 1);
    fake_reset();
    struct fb_journal *j = open_ok(&c, NULL);
    int base = F.calls[K_FDATASYNC];
    struct fb_journal_record r = make_rec(1, 30);
    r.flags = FB_JOURNAL_F_HINT;
    uint64_t seq = 0;
    ck_assert_int_eq(fb_journal_append(j, &r, T0, &seq), FB_OK);
    ck_assert_uint_eq(seq, 1);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base);
    /* not forgotten: the group timer (or a barrier) makes it durable */
    ck_assert(fb_journal_next_deadline(j) < INT64_MAX);
    ck_assert_int_eq(fb_journal_tick(j, fb_journal_next_deadline(j)), FB_OK);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base + 1);
    /* an ordinary record after it still syncs on its own */
    append_ok(j, 2, 30, 2);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base + 2);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
}
END_TEST

START_TEST(fsync_never_leaves_the_disk_to_the_kernel)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_NEVER, 0, 1);
    fake_reset();
    struct fb_journal *j = open_ok(&c, NULL);
    int base = F.calls[K_FDATASYNC];
    for (uint32_t i = 1; i <= 5; i++)
        append_ok(j, i, 30, i);
    ck_assert_int_eq(fb_journal_sync(j), FB_OK);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base);
    ck_assert_int_eq(fb_journal_next_deadline(j), INT64_MAX);
    /* written all the same: a reader sees every record */
    struct seen s;
    replay_ok(j, &s);
    ck_assert_uint_eq(s.n, 5);
    /* a clean stop still makes them durable */
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base + 1);
}
END_TEST

/* Write-back is started every MiB, so rolling a segment finds little to
 * sync; it is only a hint: when it fails, nothing else changes. */
START_TEST(write_behind_follows_each_segment)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_NEVER, 4u << 20, 1);
    fake_reset();
    memset(&WB, 0, sizeof WB);
    struct fb_journal *j = open_ok(&c, NULL);
    uint32_t id = 1;
    for (; id <= 150; id++) { /* ~9 MiB: three segments */
        append_ok(j, id, BIG, id);
        ck_assert_int_eq(fb_journal_sync(j), FB_OK); /* the engine's barrier */
    }
    int per_mib = WB.calls;
    ck_assert_int_ge(per_mib, 6);
    ck_assert_int_le(per_mib, 9);
    ck_assert_int_eq(WB.bad, 0);
    WB.fail = 1;
    for (; id <= 200; id++) {
        append_ok(j, id, BIG, id);
        ck_assert_int_eq(fb_journal_sync(j), FB_OK);
    }
    ck_assert_int_gt(WB.calls, per_mib);
    ck_assert_int_eq(WB.bad, 0);
    struct seen s;
    replay_ok(j, &s);
    ck_assert_uint_eq(s.n, 200);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
}
END_TEST

START_TEST(fsync_every_syncs_each_append)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 1);
    fake_reset();
    struct fb_journal *j = open_ok(&c, NULL);
    int base = F.calls[K_FDATASYNC];
    for (uint32_t i = 1; i <= 25; i++) {
        append_ok(j, i, 30, i);
        ck_assert_int_eq(F.calls[K_FDATASYNC], base + (int)i);
    }
    /* The barrier has nothing left to do. */
    ck_assert_int_eq(fb_journal_sync(j), FB_OK);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base + 25);
    ck_assert_int_eq(fb_journal_next_deadline(j), INT64_MAX);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
}
END_TEST

START_TEST(group_commit_barrier_and_timer)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_GROUP, 0, 1);
    fake_reset();
    struct fb_journal *j = open_ok(&c, NULL);
    int base = F.calls[K_FDATASYNC];
    ck_assert_int_eq(fb_journal_next_deadline(j), INT64_MAX);
    /* Append N, one barrier, then act. */
    for (uint32_t i = 1; i <= 10; i++) {
        struct fb_journal_record r = make_rec(i, 30);
        ck_assert_int_eq(fb_journal_append(j, &r, T0 + (int64_t)i * 100, NULL), FB_OK);
    }
    ck_assert_int_eq(F.calls[K_FDATASYNC], base);
    /* the segment header only: the records wait for the barrier, which
     * writes them in one go */
    ck_assert_int_eq(F.calls[K_WRITE], 1);
    ck_assert_int_eq(fb_journal_next_deadline(j), T0 + 100 + 5 * MS);
    ck_assert_int_eq(fb_journal_sync(j), FB_OK);
    ck_assert_int_eq(F.calls[K_WRITE], 2);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base + 1);
    ck_assert_int_eq(fb_journal_sync(j), FB_OK);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base + 1);
    ck_assert_int_eq(fb_journal_next_deadline(j), INT64_MAX);
    /* The timer: nothing before the deadline, one fsync at it. */
    append_ok(j, 11, 30, 11);
    ck_assert_int_eq(fb_journal_next_deadline(j), T0 + 5 * MS);
    ck_assert_int_eq(fb_journal_tick(j, T0 + 5 * MS - 1), FB_OK);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base + 1);
    ck_assert_int_eq(fb_journal_tick(j, T0 + 5 * MS), FB_OK);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base + 2);
    ck_assert_int_eq(fb_journal_next_deadline(j), INT64_MAX);
    ck_assert_int_eq(fb_journal_tick(j, T0 + 60 * MS), FB_OK);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base + 2);
    /* Close is a barrier too. */
    append_ok(j, 12, 30, 12);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
    ck_assert_int_eq(F.calls[K_FDATASYNC], base + 3);
}
END_TEST

/* _i: which barrier's write fails (1 = the first); odd: a short write first.
 * Records are written at the barrier, so that is where a failed write
 * shows: the records of that batch are lost (nobody acted on them: the
 * barrier failed), the partial write is cut, and the journal refuses
 * everything after (the engine then refuses new orders). */
START_TEST(failed_write_leaves_a_clean_file)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_GROUP, 0, 1);
    struct fb_journal_recovery rec;
    struct seen s;
    fake_reset();
    struct fb_journal *j = open_ok(&c, NULL);
    F.calls[K_WRITE] = 0;
    F.fail_kind = K_WRITE;
    F.fail_nth = _i / 2 + 1;
    F.short_write = _i % 2;
    uint32_t bad = (uint32_t)(_i / 2 + 1);
    for (uint32_t i = 1; i <= 5; i++) {
        struct fb_journal_record r = make_rec(i, 200);
        uint64_t seq = 0;
        enum fb_err rc = fb_journal_append(j, &r, T0, &seq);
        if (i > bad) {
            ck_assert_int_eq(rc, FB_ERR_STATE);
            continue;
        }
        ck_assert_int_eq(rc, FB_OK);
        ck_assert_uint_eq(seq, i);
        rc = fb_journal_sync(j);
        if (i == bad) {
            ck_assert_int_eq(rc, FB_ERR_IO);
            ck_assert_ptr_nonnull(strstr(fb_journal_errmsg(j), "No space left on device"));
        } else {
            ck_assert_int_eq(rc, FB_OK);
        }
    }
    ck_assert_int_eq(fb_journal_close(j), FB_ERR_STATE);
    fake_reset();
    reopen_replay(&s, &rec);
    ck_assert_int_eq(rec.torn, 0); /* the partial write was already cut */
    ck_assert_uint_eq(s.n, bad - 1);
    if (bad > 1)
        ck_assert_uint_eq(s.seq[bad - 2], bad - 1);
}
END_TEST

START_TEST(failed_fsync_poisons_the_journal)
{
    struct fb_journal_cfg c = cfg_of(FB_JOURNAL_FSYNC_EVERY, 0, 1);
    struct seen s;
    fake_reset();
    struct fb_journal *j = open_ok(&c, NULL);
    append_ok(j, 1, 10, 1);
    F.fail_kind = K_FDATASYNC;
    F.fail_nth = F.calls[K_FDATASYNC] + 1;
    struct fb_journal_record r = make_rec(2, 10);
    ck_assert_int_eq(fb_journal_append(j, &r, T0, NULL), FB_ERR_IO);
    ck_assert_ptr_nonnull(strstr(fb_journal_errmsg(j), "fdatasync"));
    /* After a failed fsync nothing is trusted: no more appends. */
    ck_assert_int_eq(fb_journal_append(j, &r, T0, NULL), FB_ERR_STATE);
    ck_assert_int_eq(fb_journal_sync(j), FB_ERR_STATE);
    ck_assert_int_eq(fb_journal_close(j), FB_ERR_STATE);
    fake_reset();
    /* A restart recovers from the file (the record may or may not be
     * there: it was never acted on either way). */
    reopen_replay(&s, NULL);
    ck_assert_uint_ge(s.n, 1);
    ck_assert_uint_le(s.n, 2);
}
END_TEST

/* ---- cost per record ----------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the cost per record; asserts only that every record is there. */
START_TEST(bench_cost_per_record)
{
    const char *env = getenv("FB_JOURNAL_BENCH_N");
    uint32_t n = env ? (uint32_t)strtoul(env, NULL, 10) : 300;
    uint32_t batch = 16; /* records per sync barrier in group mode */
    enum fb_journal_fsync f = _i ? FB_JOURNAL_FSYNC_GROUP : FB_JOURNAL_FSYNC_EVERY;
    struct fb_journal_cfg c = cfg_of(f, 0, 0);
    struct seen s;
    struct fb_journal *j = open_ok(&c, NULL);
    double t = now_s();
    for (uint32_t i = 1; i <= n; i++) {
        append_ok(j, i, 200, i);
        if (f == FB_JOURNAL_FSYNC_GROUP && i % batch == 0)
            ck_assert_int_eq(fb_journal_sync(j), FB_OK);
    }
    ck_assert_int_eq(fb_journal_sync(j), FB_OK);
    t = now_s() - t;
    printf("journal bench: fsync %-5s %5u records of 200 bytes%s: %8.1f us/record, %9.0f "
           "records/s\n",
           fb_journal_fsync_name(f), n, f == FB_JOURNAL_FSYNC_GROUP ? " (barrier per 16)" : "",
           t * 1e6 / n, n / t);
    replay_ok(j, &s);
    ck_assert_uint_eq(s.n, n);
    ck_assert_int_eq(fb_journal_close(j), FB_OK);
}
END_TEST

static Suite *journal_suite(void)
{
    Suite *s = suite_create("journal");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_loop_test(core, crc32c_known_vectors, 0,
                        (int)(sizeof crc_cases / sizeof crc_cases[0]));
    tcase_add_loop_test(core, codec_round_trip_and_every_damage, 0,
                        (int)(sizeof codec_lens / sizeof codec_lens[0]));
    tcase_add_test(core, registry_by_name);
    tcase_add_loop_test(core, round_trip_many_records, 0, 2);
    tcase_add_test(core, second_open_is_refused);
    tcase_add_test(core, segments_roll_at_the_limit);
    tcase_add_test(core, compaction_keeps_exactly_the_chosen_records);
    tcase_add_test(core, fsync_every_syncs_each_append);
    tcase_add_test(core, write_behind_follows_each_segment);
    tcase_add_test(core, fsync_every_leaves_hints_to_the_next_barrier);
    tcase_add_test(core, fsync_never_leaves_the_disk_to_the_kernel);
    tcase_add_test(core, group_commit_barrier_and_timer);
    suite_add_tcase(s, core);

    TCase *rec = tcase_create("recovery");
    tcase_add_checked_fixture(rec, setup, teardown);
    tcase_add_loop_test(rec, torn_tail_at_every_offset, 1, TORN_SIZE);
    tcase_add_loop_test(rec, damaged_last_record_at_every_offset, 0, TORN_SIZE);
    tcase_add_test(rec, zero_filled_tail_is_torn);
    tcase_add_loop_test(rec, damaged_middle_record_is_fatal, 0, TORN_SIZE);
    tcase_add_loop_test(rec, unknown_version_is_refused, 0, 3);
    tcase_add_test(rec, foreign_file_is_corrupt);
    tcase_add_test(rec, sequence_going_back_is_corrupt);
    tcase_add_loop_test(rec, crash_at_every_step_of_compaction, 0, 16);
    tcase_add_test(rec, half_written_compaction_file_is_discarded);
    tcase_add_test(rec, compacted_segment_replaces_leftover_old_ones);
    suite_add_tcase(s, rec);

    TCase *lim = tcase_create("limits");
    tcase_add_checked_fixture(lim, setup, teardown);
    tcase_add_test(lim, too_large_payload_changes_nothing);
    tcase_add_loop_test(lim, failed_write_leaves_a_clean_file, 0, 10);
    tcase_add_test(lim, failed_fsync_poisons_the_journal);
    suite_add_tcase(s, lim);

    TCase *bench = tcase_create("bench");
    tcase_add_checked_fixture(bench, setup, teardown);
    tcase_set_timeout(bench, 120);
    tcase_add_loop_test(bench, bench_cost_per_record, 0, 2);
    suite_add_tcase(s, bench);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(journal_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
