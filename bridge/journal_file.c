/*
 * journal_file.c -- the "file" journal backend: numbered segment files in
 * one directory. Only journal.c calls into it (through fb_journal_file).
 *
 * Layout of the directory:
 *   000001.fbj, 000002.fbj ...  segments, each a segment header followed by
 *                               records (journal.h); the highest is the one
 *                               appended to, the others are full and synced
 *   NNNNNN.fbj.tmp              a segment being created (never read)
 *   LOCK                        flock()ed while a process has it open
 *
 * Crash-safety protocol. Every mutating step is one syscall; this lists
 * what a crash after each leaves, and what open() makes of it.
 *
 *   append:  write(record) [fdatasync]
 *     Every MiB written, write-back of that range is started without
 *     waiting (sync_file_range WRITE): a hint with no effect on what a
 *     crash leaves, so that rolling a segment has little left to sync.
 *     A crash mid-write leaves a torn last record: open() finds it (partial
 *     header, partial payload or bad CRC, with no intact record header
 *     after it), reports it and ftruncate()s it away. A damaged record with
 *     an intact record after it is not a torn tail: open() refuses to start
 *     and names the file and offset. A failed write is cut off again at
 *     once, so the file never holds a partial record while running.
 *
 *   new segment (roll, or first open):
 *     fdatasync(old)  open(N.tmp)  write(seg header)  fdatasync(N.tmp)
 *     rename(N.tmp, N)  fsync(dir)
 *     The old segment is synced before the new one exists, so only the
 *     highest segment can ever end torn. Before the rename a crash leaves a
 *     .tmp that open() deletes; after it a segment whose header is complete.
 *
 *   compaction:
 *     fdatasync(active)  open(K.tmp)  write(header flagged COMPACTED, kept
 *     records, extras)  fdatasync(K.tmp)  rename(K.tmp, K)  fsync(dir)
 *     unlink(old segments...)  fsync(dir)
 *     K is one above the highest segment. The rename is the commit point:
 *     before it open() sees the old segments (and deletes K.tmp); after it
 *     it sees K, whose COMPACTED flag says "I replace every lower segment",
 *     so open() deletes whatever old segments a crash left behind and
 *     replays K only. No state mixes old and new records.
 *
 * Failures the process survives: a failed write is cut off (ftruncate)
 * and reported; the journal stays usable. A failed fdatasync, a failed cut
 * or a failure after a compaction's commit point leave the disk in a state
 * this process can no longer vouch for (after a failed fsync the kernel may
 * have dropped the dirty pages: "fsyncgate"), so the journal is marked
 * failed and refuses everything until a restart recovers from the files.
 */
#define _GNU_SOURCE /* sync_file_range(2) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge/dirs.h"
#include "bridge/journal.h"

#define FJ_DIR_MAX 4096
#define FJ_PATH_MAX (FJ_DIR_MAX + 32)
/* Read buffer: several records, so a scan issues few preads. */
#define FJ_READ_BUF (4u * FB_JOURNAL_MAX_RECORD)
/* Compaction gathers records into writes of about this size. */
#define FJ_WRITE_BUF (4u * FB_JOURNAL_MAX_RECORD)

/* Written bytes of the active segment after which their write-back is
 * started (write_behind). Without it the kernel starts late, and rolling a
 * 64 MiB segment fdatasync()ed it all at once on the engine's step: a
 * 115 ms stall of every session, measured with journal_fsync: never. */
#define FJ_WRITE_BEHIND (1u << 20)

/* open(2) is variadic: the slot needs a fixed signature. */
static int posix_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}

static int posix_write_behind(int fd, off_t off, off_t len)
{
    return sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE);
}

const struct fb_journal_sys fb_journal_sys_posix = {
    .open = posix_open,
    .write = write,
    .pread = pread,
    .fdatasync = fdatasync,
    .fsync = fsync,
    .ftruncate = ftruncate,
    .rename = rename,
    .unlink = unlink,
    .close = close,
    .write_behind = posix_write_behind,
};

struct fj {
    const struct fb_journal_sys *sys;
    char *dir;
    enum fb_journal_fsync fsync;
    int64_t group_ns;
    uint64_t segment_bytes;

    int lock_fd;
    int fd;         /* the active (highest) segment, O_APPEND */
    uint64_t *segs; /* segment numbers in use, ascending; the last is active */
    size_t nsegs;
    size_t segs_cap;
    uint64_t size; /* bytes in the active segment, pending ones included */
    uint64_t behind; /* write-back was started up to here (write_behind);
                        0 again whenever the active segment changes */
    uint64_t last_seq;

    int dirty;           /* written, not yet synced (group commit) */
    int64_t dirty_since; /* now_ns of the first unsynced append */
    int failed;          /* see the file comment: refuse everything */

    uint8_t *wbuf; /* FJ_WRITE_BUF: encode buffer */
    /* Appended records not yet written: one write(2) per barrier instead
     * of one per record (the engine appends several per order). Nothing
     * is acted on before the barrier has written them, so a killed
     * process loses only records nobody has acted on. */
    uint8_t *pbuf; /* FJ_WRITE_BUF */
    size_t plen;
    uint8_t *rbuf; /* FJ_READ_BUF: read buffer */
    char err[768];
};

static void seterr(struct fj *j, const char *fmt, ...) FB_PRINTF(2, 3);

static void seterr(struct fj *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->err, sizeof j->err, fmt, ap);
    va_end(ap);
}

/* snprintf that may cut: for texts that are only read by people. */
static void fmt_cut(char *buf, size_t size, const char *fmt, ...) FB_PRINTF(3, 4);

static void fmt_cut(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

static void seg_path(const struct fj *j, uint64_t n, char *buf)
{
    snprintf(buf, FJ_PATH_MAX, "%s/%06" PRIu64 ".fbj", j->dir, n);
}

static void tmp_path(const struct fj *j, uint64_t n, char *buf)
{
    snprintf(buf, FJ_PATH_MAX, "%s/%06" PRIu64 ".fbj.tmp", j->dir, n);
}

/* ---- syscall helpers ----------------------------------------------------- */

static enum fb_err write_all(struct fj *j, int fd, const uint8_t *p, size_t n, const char *what)
{
    while (n > 0) {
        ssize_t w = j->sys->write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            seterr(j, "write %s: %s", what, w < 0 ? strerror(errno) : "wrote nothing");
            return FB_ERR_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return FB_OK;
}

static enum fb_err sync_dir(struct fj *j)
{
    int fd = j->sys->open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
        seterr(j, "open %s: %s", j->dir, strerror(errno));
        return FB_ERR_IO;
    }
    enum fb_err rc = FB_OK;
    if (j->sys->fsync(fd) != 0) {
        seterr(j, "fsync %s: %s", j->dir, strerror(errno));
        rc = FB_ERR_IO;
    }
    j->sys->close(fd);
    return rc;
}

static enum fb_err push_seg(struct fj *j, uint64_t n)
{
    if (j->nsegs == j->segs_cap) {
        size_t cap = j->segs_cap ? 2 * j->segs_cap : 8;
        uint64_t *s = realloc(j->segs, cap * sizeof *s);
        if (!s) {
            seterr(j, "out of memory");
            return FB_ERR_NOMEM;
        }
        j->segs = s;
        j->segs_cap = cap;
    }
    j->segs[j->nsegs++] = n;
    return FB_OK;
}

/*
 * Creates segment n through n.tmp: header, fdatasync, rename, directory
 * fsync. On FB_OK *fdp is the new segment open for appending. If the
 * failure came after the rename, *committed is set: the segment exists.
 */
static enum fb_err create_segment(struct fj *j, uint64_t n, uint16_t seg_flags, int *fdp,
                                  int *committed)
{
    char tmp[FJ_PATH_MAX], final[FJ_PATH_MAX];
    uint8_t hdr[FB_JOURNAL_SEG_HEADER_SIZE];
    enum fb_err rc;

    *fdp = -1;
    *committed = 0;
    tmp_path(j, n, tmp);
    seg_path(j, n, final);
    int fd = j->sys->open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        seterr(j, "create %s: %s", tmp, strerror(errno));
        return FB_ERR_IO;
    }
    fb_journal_seg_header_encode(seg_flags, hdr);
    rc = write_all(j, fd, hdr, sizeof hdr, tmp);
    if (rc)
        goto fail;
    if (j->sys->fdatasync(fd) != 0) {
        seterr(j, "fdatasync %s: %s", tmp, strerror(errno));
        rc = FB_ERR_IO;
        goto fail;
    }
    if (j->sys->rename(tmp, final) != 0) {
        seterr(j, "rename %s: %s", tmp, strerror(errno));
        rc = FB_ERR_IO;
        goto fail;
    }
    *committed = 1;
    *fdp = fd;
    return sync_dir(j);
fail:
    j->sys->close(fd);
    j->sys->unlink(tmp); /* best effort: open() removes leftovers anyway */
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

struct reader {
    struct fj *j;
    const char *path;
    int fd;
    uint64_t fsize;
    uint64_t base; /* file offset of rbuf[0] */
    size_t len;    /* valid bytes in rbuf */
};

/* Points *p at the bytes from file offset off: *avail >= min(need, what
 * the file holds from off), at most FJ_READ_BUF. */
static enum fb_err reader_get(struct reader *r, uint64_t off, size_t need, const uint8_t **p,
                              size_t *avail)
{
    uint64_t end = off + need;
    if (end > r->fsize)
        end = r->fsize;
    if (off < r->base || end > r->base + r->len) {
        size_t want = FJ_READ_BUF;
        if (r->fsize - off < want)
            want = (size_t)(r->fsize - off);
        r->base = off;
        r->len = 0;
        while (r->len < want) {
            ssize_t n =
                r->j->sys->pread(r->fd, r->j->rbuf + r->len, want - r->len, (off_t)(off + r->len));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                seterr(r->j, "read %s: %s", r->path, strerror(errno));
                return FB_ERR_IO;
            }
            if (n == 0) { /* shorter than fstat said: only we write it */
                seterr(r->j, "read %s: file shrank while reading", r->path);
                return FB_ERR_IO;
            }
            r->len += (size_t)n;
        }
    }
    *p = r->j->rbuf + (off - r->base);
    *avail = (size_t)(r->base + r->len - off);
    return FB_OK;
}

static int header_intact(const uint8_t *p, size_t avail)
{
    struct fb_journal_record rec;
    size_t used;
    enum fb_journal_decode d = fb_journal_decode(p, avail, &rec, &used, NULL);
    /* Anything past the header checks means an intact header was written
     * here (SHORT is ambiguous: only a record cut at the end of the file). */
    return d == FB_JDEC_OK || d == FB_JDEC_VERSION || d == FB_JDEC_TOO_LARGE ||
           d == FB_JDEC_BAD_CRC || (d == FB_JDEC_SHORT && avail >= FB_JOURNAL_HEADER_SIZE);
}

/* Whether an intact record header starts anywhere in [from, fsize): then
 * damage before it is not a torn tail. *at gets its offset. */
static enum fb_err intact_header_after(struct reader *r, uint64_t from, int *found, uint64_t *at)
{
    *found = 0;
    uint64_t p = from;
    while (p + FB_JOURNAL_HEADER_SIZE <= r->fsize) {
        const uint8_t *b;
        size_t avail, k;
        enum fb_err rc = reader_get(r, p, FJ_READ_BUF, &b, &avail);
        if (rc)
            return rc;
        for (k = 0; k + FB_JOURNAL_HEADER_SIZE <= avail; k++) {
            if (b[k] == 'F' && header_intact(b + k, avail - k)) {
                *found = 1;
                *at = p + k;
                return FB_OK;
            }
        }
        p += k;
    }
    return FB_OK;
}

typedef enum fb_err (*rec_fn)(struct fj *j, void *ctx, const struct fb_journal_record *r);

struct scan {
    int recovering; /* open(), last segment: a torn tail is allowed */
    uint64_t prev_seq;
    uint64_t records;
    uint16_t seg_flags;
    /* set when recovering found a torn tail */
    int torn;
    uint64_t good_end;
    uint64_t fsize;
    enum fb_journal_decode why;
};

/*
 * Reads segment n, calling fn for every record. A damaged record is an
 * FB_ERR_CORRUPT naming the offset, except a torn tail when s->recovering,
 * which is reported in *s (the caller cuts it).
 */
static enum fb_err scan_segment(struct fj *j, uint64_t n, struct scan *s, rec_fn fn, void *ctx)
{
    char path[FJ_PATH_MAX];
    struct reader r = {.j = j, .path = path, .fd = -1};
    const uint8_t *b;
    size_t avail;
    unsigned version = 0;
    enum fb_err rc;
    struct stat st;

    seg_path(j, n, path);
    r.fd = j->sys->open(path, O_RDONLY | O_CLOEXEC, 0);
    if (r.fd < 0) {
        seterr(j, "open %s: %s", path, strerror(errno));
        return FB_ERR_IO;
    }
    if (fstat(r.fd, &st) != 0) {
        seterr(j, "stat %s: %s", path, strerror(errno));
        rc = FB_ERR_IO;
        goto out;
    }
    r.fsize = (uint64_t)st.st_size;
    s->fsize = r.fsize;
    s->torn = 0;

    rc = reader_get(&r, 0, FB_JOURNAL_SEG_HEADER_SIZE, &b, &avail);
    if (rc)
        goto out;
    enum fb_journal_decode d = fb_journal_seg_header_decode(b, avail, &s->seg_flags, &version);
    if (d == FB_JDEC_VERSION) {
        seterr(j, "%s: segment format version %u; this fixbridge reads version %u", path, version,
               FB_JOURNAL_FORMAT_VERSION);
        rc = FB_ERR_UNSUPPORTED;
        goto out;
    }
    if (d != FB_JDEC_OK) {
        /* Segments are complete before they are renamed into place. */
        seterr(j, "%s: bad segment header at byte 0 (%s)", path,
               d == FB_JDEC_SHORT ? "file too short" : "not a journal segment or damaged");
        rc = FB_ERR_CORRUPT;
        goto out;
    }

    uint64_t off = FB_JOURNAL_SEG_HEADER_SIZE;
    while (off < r.fsize) {
        struct fb_journal_record rec;
        size_t used;
        rc = reader_get(&r, off, FB_JOURNAL_MAX_RECORD, &b, &avail);
        if (rc)
            goto out;
        d = fb_journal_decode(b, avail, &rec, &used, &version);
        if (d == FB_JDEC_OK) {
            if (rec.seq <= s->prev_seq) {
                seterr(j,
                       "%s: record at byte %" PRIu64 " has sequence number %" PRIu64
                       " after %" PRIu64 "",
                       path, off, rec.seq, s->prev_seq);
                rc = FB_ERR_CORRUPT;
                goto out;
            }
            s->prev_seq = rec.seq;
            s->records++;
            if (fn) {
                rc = fn(j, ctx, &rec);
                if (rc)
                    goto out;
            }
            off += used;
            continue;
        }
        if (d == FB_JDEC_VERSION) {
            seterr(j,
                   "%s: record at byte %" PRIu64 " has format version %u; this fixbridge "
                   "reads version %u",
                   path, off, version, FB_JOURNAL_FORMAT_VERSION);
            rc = FB_ERR_UNSUPPORTED;
            goto out;
        }
        /* Damage at off. It is a torn tail only in the last segment and
         * only if nothing intact was written after it. */
        int found = 0;
        uint64_t at = 0;
        if (s->recovering) {
            rc = intact_header_after(&r, off + 1, &found, &at);
            if (rc)
                goto out;
        }
        if (!s->recovering || found) {
            if (found)
                seterr(j,
                       "%s: %s at byte %" PRIu64 ", followed by an intact record at byte %" PRIu64
                       "; refusing to guess (restore the file or cut it by hand)",
                       path, fb_journal_decode_name(d), off, at);
            else
                seterr(j, "%s: %s at byte %" PRIu64 " (not the last segment)", path,
                       fb_journal_decode_name(d), off);
            rc = FB_ERR_CORRUPT;
            goto out;
        }
        s->torn = 1;
        s->good_end = off;
        s->why = d;
        break;
    }
    if (!s->torn)
        s->good_end = r.fsize;
    rc = FB_OK;
out:
    j->sys->close(r.fd);
    return rc;
}

/* ---- open ---------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* "NNNNNN.fbj" -> 1 and *n; "NNNNNN.fbj.tmp" -> 2 and *n; else 0. */
static int parse_name(const char *name, uint64_t *n)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; name[i] >= '0' && name[i] <= '9'; i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    if (i == 0)
        return 0;
    *n = v;
    if (strcmp(name + i, ".fbj") == 0)
        return 1;
    if (strcmp(name + i, ".fbj.tmp") == 0)
        return 2;
    return 0;
}

static enum fb_err make_dirs(struct fj *j)
{
    char failed[FJ_PATH_MAX];
    if (fb_mkdir_p(j->dir, 0755, failed, sizeof failed) != 0) {
        seterr(j, "mkdir %s: %s", failed, strerror(errno));
        return FB_ERR_IO;
    }
    return FB_OK;
}

static enum fb_err take_lock(struct fj *j)
{
    char path[FJ_PATH_MAX];
    snprintf(path, sizeof path, "%s/LOCK", j->dir);
    j->lock_fd = j->sys->open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (j->lock_fd < 0) {
        seterr(j, "open %s: %s", path, strerror(errno));
        return FB_ERR_IO;
    }
    /* Two bridges appending to one journal would interleave sequence
     * numbers; the kernel drops the lock when the process dies. */
    if (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        seterr(j, "journal %s is in use by another process (%s)", j->dir, strerror(e));
        return e == EWOULDBLOCK ? FB_ERR_STATE : FB_ERR_IO;
    }
    return FB_OK;
}

/* Lists segments into j->segs (ascending) and removes leftover .tmp files. */
static enum fb_err list_segments(struct fj *j, struct fb_journal_recovery *rec)
{
    DIR *d = opendir(j->dir);
    enum fb_err rc = FB_OK;
    struct dirent *de;

    if (!d) {
        seterr(j, "opendir %s: %s", j->dir, strerror(errno));
        return FB_ERR_IO;
    }
    while ((de = readdir(d)) != NULL) {
        uint64_t n;
        int kind = parse_name(de->d_name, &n);
        if (kind == 1) {
            rc = push_seg(j, n);
            if (rc)
                break;
        } else if (kind == 2) {
            /* A segment or compaction that never reached its rename. */
            char path[FJ_PATH_MAX];
            tmp_path(j, n, path);
            if (j->sys->unlink(path) != 0) {
                seterr(j, "unlink %s: %s", path, strerror(errno));
                rc = FB_ERR_IO;
                break;
            }
            rec->removed_tmp++;
        }
    }
    closedir(d);
    if (rc == FB_OK && j->nsegs > 1)
        qsort(j->segs, j->nsegs, sizeof *j->segs, cmp_u64);
    return rc;
}

/* Reads segment n's header flags. */
static enum fb_err seg_flags_of(struct fj *j, uint64_t n, uint16_t *flags)
{
    char path[FJ_PATH_MAX];
    uint8_t hdr[FB_JOURNAL_SEG_HEADER_SIZE];
    unsigned version = 0;

    seg_path(j, n, path);
    int fd = j->sys->open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        seterr(j, "open %s: %s", path, strerror(errno));
        return FB_ERR_IO;
    }
    ssize_t got = j->sys->pread(fd, hdr, sizeof hdr, 0);
    int e = errno;
    j->sys->close(fd);
    if (got < 0) {
        seterr(j, "read %s: %s", path, strerror(e));
        return FB_ERR_IO;
    }
    enum fb_journal_decode d = fb_journal_seg_header_decode(hdr, (size_t)got, flags, &version);
    if (d == FB_JDEC_VERSION) {
        seterr(j, "%s: segment format version %u; this fixbridge reads version %u", path, version,
               FB_JOURNAL_FORMAT_VERSION);
        return FB_ERR_UNSUPPORTED;
    }
    if (d != FB_JDEC_OK) {
        seterr(j, "%s: bad segment header at byte 0", path);
        return FB_ERR_CORRUPT;
    }
    return FB_OK;
}

/* A compacted segment replaces all lower ones: delete those a crash left. */
static enum fb_err finish_compaction(struct fj *j, struct fb_journal_recovery *rec)
{
    size_t keep_from = 0;
    enum fb_err rc;

    for (size_t i = j->nsegs; i-- > 0;) {
        uint16_t flags = 0;
        rc = seg_flags_of(j, j->segs[i], &flags);
        if (rc)
            return rc;
        if (flags & FB_JOURNAL_SEG_COMPACTED) {
            keep_from = i;
            break;
        }
    }
    if (keep_from == 0)
        return FB_OK;
    for (size_t i = 0; i < keep_from; i++) {
        char path[FJ_PATH_MAX];
        seg_path(j, j->segs[i], path);
        if (j->sys->unlink(path) != 0 && errno != ENOENT) {
            seterr(j, "unlink %s: %s", path, strerror(errno));
            return FB_ERR_IO;
        }
    }
    memmove(j->segs, j->segs + keep_from, (j->nsegs - keep_from) * sizeof *j->segs);
    j->nsegs -= keep_from;
    rec->finished_compaction = 1;
    return sync_dir(j);
}

static void fj_free(struct fj *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        j->sys->close(j->fd);
    if (j->lock_fd >= 0)
        j->sys->close(j->lock_fd); /* releases the flock */
    free(j->segs);
    free(j->wbuf);
    free(j->pbuf);
    free(j->rbuf);
    free(j->dir);
    free(j);
}

static enum fb_err fj_open(const struct fb_journal_cfg *cfg, void **state,
                           struct fb_journal_recovery *rec, char *errbuf, size_t errlen)
{
    struct fj *j = NULL;
    enum fb_err rc = FB_ERR_INVALID;

    *state = NULL;
    if (!cfg || !cfg->dir || !cfg->dir[0] || strlen(cfg->dir) > FJ_DIR_MAX) {
        snprintf(errbuf, errlen, "journal: no directory given (or longer than %d)", FJ_DIR_MAX);
        return FB_ERR_INVALID;
    }
    unsigned ms = cfg->group_commit_ms ? cfg->group_commit_ms : 2;
    uint64_t seg = cfg->segment_bytes ? cfg->segment_bytes : FB_JOURNAL_SEGMENT_DEFAULT;
    if (cfg->fsync >= FB_JOURNAL_FSYNC_LAST || ms > 1000 || seg < FB_JOURNAL_SEGMENT_MIN ||
        seg > FB_JOURNAL_SEGMENT_MAX) {
        snprintf(errbuf, errlen, "journal %s: fsync, group_commit_ms or segment_bytes out of range",
                 cfg->dir);
        return FB_ERR_INVALID;
    }
    j = calloc(1, sizeof *j);
    if (!j)
        goto nomem;
    j->fd = -1;
    j->lock_fd = -1;
    j->sys = cfg->sys ? cfg->sys : &fb_journal_sys_posix;
    j->fsync = cfg->fsync;
    j->group_ns = (int64_t)ms * 1000000;
    j->segment_bytes = seg;
    j->dir = strdup(cfg->dir);
    j->wbuf = malloc(FJ_WRITE_BUF);
    j->pbuf = malloc(FJ_WRITE_BUF);
    j->rbuf = malloc(FJ_READ_BUF);
    if (!j->dir || !j->wbuf || !j->pbuf || !j->rbuf)
        goto nomem;

    rc = make_dirs(j);
    if (rc)
        goto fail;
    rc = take_lock(j);
    if (rc)
        goto fail;
    rc = list_segments(j, rec);
    if (rc)
        goto fail;
    rc = finish_compaction(j, rec);
    if (rc)
        goto fail;

    if (j->nsegs == 0) {
        int committed;
        rc = create_segment(j, 1, 0, &j->fd, &committed);
        if (rc)
            goto fail;
        rc = push_seg(j, 1);
        if (rc)
            goto fail;
        j->size = FB_JOURNAL_SEG_HEADER_SIZE;
    } else {
        struct scan s = {0};
        for (size_t i = 0; i < j->nsegs; i++) {
            s.recovering = i + 1 == j->nsegs;
            rc = scan_segment(j, j->segs[i], &s, NULL, NULL);
            if (rc)
                goto fail;
        }
        char path[FJ_PATH_MAX];
        seg_path(j, j->segs[j->nsegs - 1], path);
        j->fd = j->sys->open(path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
        if (j->fd < 0) {
            seterr(j, "open %s: %s", path, strerror(errno));
            rc = FB_ERR_IO;
            goto fail;
        }
        if (s.torn) {
            /* Never synced (a sync would have completed the record), so
             * the engine never acted on it: cutting it loses nothing that
             * anyone outside has seen. */
            if (j->sys->ftruncate(j->fd, (off_t)s.good_end) != 0 || j->sys->fdatasync(j->fd) != 0) {
                seterr(j, "cut torn tail of %s at byte %" PRIu64 ": %s", path, s.good_end,
                       strerror(errno));
                rc = FB_ERR_IO;
                goto fail;
            }
            rec->torn = 1;
            rec->torn_offset = s.good_end;
            rec->torn_bytes = s.fsize - s.good_end;
            fmt_cut(rec->torn_file, sizeof rec->torn_file, "%s", path);
            fmt_cut(rec->reason, sizeof rec->reason,
                    "%s: torn last record at byte %" PRIu64 " (%s); cut %" PRIu64
                    " bytes, recovered to sequence number %" PRIu64,
                    path, s.good_end, fb_journal_decode_name(s.why), rec->torn_bytes, s.prev_seq);
        }
        j->size = s.good_end;
        j->last_seq = s.prev_seq;
        rec->records = s.records;
    }
    rec->last_seq = j->last_seq;
    rec->segments = (unsigned)j->nsegs;
    if (rec->finished_compaction && !rec->torn)
        fmt_cut(rec->reason, sizeof rec->reason,
                "%s: finished a compaction a crash interrupted (old segments deleted)", j->dir);
    *state = j;
    return FB_OK;
nomem:
    rc = FB_ERR_NOMEM;
    if (j)
        seterr(j, "out of memory");
fail:
    fmt_cut(errbuf, errlen, "journal: %s", j ? j->err : "out of memory");
    fj_free(j);
    return rc;
}

/* ---- writing ------------------------------------------------------------- */

/* Writes the pending records. A failure loses records the caller was told
 * were appended (though never acted on): the journal fails for good. */
static enum fb_err fj_flush(struct fj *j)
{
    if (!j->plen)
        return FB_OK;
    char path[FJ_PATH_MAX];
    seg_path(j, j->segs[j->nsegs - 1], path);
    enum fb_err rc = write_all(j, j->fd, j->pbuf, j->plen, path);
    if (rc) {
        /* cut a partial write off: a later record must never follow half
         * of one (recovery would take it for a torn tail) */
        (void)j->sys->ftruncate(j->fd, (off_t)(j->size - j->plen));
        j->failed = 1;
    }
    j->plen = 0;
    if (!rc && j->sys->write_behind && j->size - j->behind >= FJ_WRITE_BEHIND) {
        (void)j->sys->write_behind(j->fd, (off_t)j->behind, (off_t)(j->size - j->behind));
        j->behind = j->size;
    }
    return rc;
}

static enum fb_err fj_sync(void *state)
{
    struct fj *j = state;
    if (j->failed)
        return FB_ERR_STATE;
    enum fb_err rc = fj_flush(j);
    if (rc)
        return rc;
    if (!j->dirty)
        return FB_OK;
    if (j->sys->fdatasync(j->fd) != 0) {
        char path[FJ_PATH_MAX];
        seg_path(j, j->segs[j->nsegs - 1], path);
        seterr(j, "fdatasync %s: %s", path, strerror(errno));
        j->failed = 1;
        return FB_ERR_IO;
    }
    j->dirty = 0;
    return FB_OK;
}

static enum fb_err roll(struct fj *j)
{
    /* The old segment must be complete on disk before a higher one exists:
     * only the highest may ever end torn. */
    enum fb_err rc = fj_sync(j);
    if (rc)
        return rc;
    int fd, committed;
    uint64_t n = j->segs[j->nsegs - 1] + 1;
    rc = create_segment(j, n, 0, &fd, &committed);
    if (committed) {
        j->sys->close(j->fd);
        j->fd = fd;
        j->size = FB_JOURNAL_SEG_HEADER_SIZE;
        j->behind = 0;
        if (push_seg(j, n) != FB_OK || rc) {
            j->failed = 1; /* the segment exists but we cannot vouch for it */
            return rc ? rc : FB_ERR_NOMEM;
        }
    }
    return rc;
}

static enum fb_err fj_append(void *state, const struct fb_journal_record *r, int64_t now_ns,
                             uint64_t *seq)
{
    struct fj *j = state;
    enum fb_err rc;

    if (j->failed)
        return FB_ERR_STATE;
    if (r->len > FB_JOURNAL_MAX_PAYLOAD) {
        seterr(j, "record of %" PRIu32 " bytes: over the %u byte maximum", r->len,
               FB_JOURNAL_MAX_PAYLOAD);
        return FB_ERR_TOO_LARGE;
    }
    size_t n = fb_journal_record_size(r->len);
    if (j->size + n > j->segment_bytes && j->size > FB_JOURNAL_SEG_HEADER_SIZE) {
        rc = roll(j);
        if (rc)
            return rc;
    }
    if (j->plen + n > FJ_WRITE_BUF && (rc = fj_flush(j)) != FB_OK)
        return rc;
    if (fb_journal_encode(r, j->last_seq + 1, j->pbuf + j->plen, FJ_WRITE_BUF - j->plen) != n) {
        seterr(j, "record could not be encoded");
        return FB_ERR_INVALID;
    }
    j->plen += n;
    j->size += n;
    j->last_seq++;
    *seq = j->last_seq;
    if (!j->dirty) {
        j->dirty = 1;
        j->dirty_since = now_ns;
    }
    if (j->fsync == FB_JOURNAL_FSYNC_EVERY && !(r->flags & FB_JOURNAL_F_HINT))
        return fj_sync(j);
    return FB_OK;
}

/* The barrier. Under FSYNC_NEVER the engine's barriers cost nothing:
 * records reach the page cache before the bridge acts (a killed process
 * loses none), the kernel decides when they reach the disk. Rolling a
 * segment, compaction and close still fsync. */
static enum fb_err fj_barrier(void *state)
{
    struct fj *j = state;
    if (j->fsync == FB_JOURNAL_FSYNC_NEVER)
        return j->failed ? FB_ERR_STATE : fj_flush(j);
    return fj_sync(j);
}

static int64_t fj_next_deadline(void *state)
{
    struct fj *j = state;
    if (!j->dirty || j->failed || j->fsync == FB_JOURNAL_FSYNC_NEVER)
        return INT64_MAX;
    return j->dirty_since > INT64_MAX - j->group_ns ? INT64_MAX : j->dirty_since + j->group_ns;
}

static enum fb_err fj_tick(void *state, int64_t now_ns)
{
    struct fj *j = state;
    if (j->failed)
        return FB_ERR_STATE;
    if (j->dirty && now_ns >= fj_next_deadline(j))
        return fj_sync(j);
    return FB_OK;
}

/* ---- replay -------------------------------------------------------------- */

struct replay_ctx {
    fb_journal_replay_fn fn;
    void *user;
};

static enum fb_err replay_one(struct fj *j, void *ctx, const struct fb_journal_record *r)
{
    struct replay_ctx *c = ctx;
    (void)j;
    return c->fn(c->user, r);
}

static enum fb_err fj_replay(void *state, fb_journal_replay_fn fn, void *user)
{
    struct fj *j = state;
    struct replay_ctx c = {fn, user};
    struct scan s = {0};

    if (j->failed)
        return FB_ERR_STATE;
    enum fb_err frc = fj_flush(j); /* a reader sees every record appended */
    if (frc)
        return frc;
    for (size_t i = 0; i < j->nsegs; i++) {
        enum fb_err rc = scan_segment(j, j->segs[i], &s, replay_one, &c);
        if (rc)
            return rc;
    }
    return FB_OK;
}

/* ---- compaction ---------------------------------------------------------- */

struct compact_ctx {
    fb_journal_keep_fn keep;
    void *user;
    int fd;
    const char *path;
    size_t fill; /* bytes waiting in wbuf */
    uint64_t size;
};

static enum fb_err compact_flush(struct fj *j, struct compact_ctx *c)
{
    enum fb_err rc = write_all(j, c->fd, j->wbuf, c->fill, c->path);
    c->size += c->fill;
    c->fill = 0;
    return rc;
}

static enum fb_err compact_put(struct fj *j, struct compact_ctx *c,
                               const struct fb_journal_record *r, uint64_t seq)
{
    size_t n = fb_journal_record_size(r->len);
    if (c->fill + n > FJ_WRITE_BUF) {
        enum fb_err rc = compact_flush(j, c);
        if (rc)
            return rc;
    }
    if (fb_journal_encode(r, seq, j->wbuf + c->fill, FJ_WRITE_BUF - c->fill) != n) {
        seterr(j, "compaction: record of %" PRIu32 " bytes could not be encoded", r->len);
        return r->len > FB_JOURNAL_MAX_PAYLOAD ? FB_ERR_TOO_LARGE : FB_ERR_INVALID;
    }
    c->fill += n;
    return FB_OK;
}

static enum fb_err compact_one(struct fj *j, void *ctx, const struct fb_journal_record *r)
{
    struct compact_ctx *c = ctx;
    if (!c->keep || !c->keep(c->user, r))
        return FB_OK;
    return compact_put(j, c, r, r->seq);
}

static enum fb_err fj_compact(void *state, fb_journal_keep_fn keep, void *user,
                              const struct fb_journal_record *extras, size_t nextras)
{
    struct fj *j = state;
    char tmp[FJ_PATH_MAX], final[FJ_PATH_MAX];
    uint8_t hdr[FB_JOURNAL_SEG_HEADER_SIZE];
    struct compact_ctx c = {.keep = keep, .user = user, .fd = -1, .path = tmp};
    struct scan s = {0};
    uint64_t n = j->segs[j->nsegs - 1] + 1;
    uint64_t seq = j->last_seq;
    enum fb_err rc;

    if (j->failed)
        return FB_ERR_STATE;
    /* What is compacted must be what a restart would replay. */
    rc = fj_sync(j);
    if (rc)
        return rc;
    tmp_path(j, n, tmp);
    seg_path(j, n, final);
    c.fd = j->sys->open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (c.fd < 0) {
        seterr(j, "create %s: %s", tmp, strerror(errno));
        return FB_ERR_IO;
    }
    fb_journal_seg_header_encode(FB_JOURNAL_SEG_COMPACTED, hdr);
    memcpy(j->wbuf, hdr, sizeof hdr);
    c.fill = sizeof hdr;
    for (size_t i = 0; i < j->nsegs; i++) {
        rc = scan_segment(j, j->segs[i], &s, compact_one, &c);
        if (rc)
            goto abandon;
    }
    for (size_t i = 0; i < nextras; i++) {
        rc = compact_put(j, &c, &extras[i], ++seq);
        if (rc)
            goto abandon;
    }
    rc = compact_flush(j, &c);
    if (rc)
        goto abandon;
    if (j->sys->fdatasync(c.fd) != 0) {
        seterr(j, "fdatasync %s: %s", tmp, strerror(errno));
        rc = FB_ERR_IO;
        goto abandon;
    }
    /* The commit point. */
    if (j->sys->rename(tmp, final) != 0) {
        seterr(j, "rename %s: %s", tmp, strerror(errno));
        rc = FB_ERR_IO;
        goto abandon;
    }
    j->sys->close(j->fd);
    j->fd = c.fd;
    j->size = c.size;
    j->behind = 0;
    j->last_seq = seq;
    rc = sync_dir(j);
    if (rc) {
        /* Whether the rename is durable is unknown: either state is
         * consistent, and a restart will find one of them. */
        j->failed = 1;
        return rc;
    }
    /* Old segments: a failure here leaves files open() deletes. */
    for (size_t i = 0; i < j->nsegs; i++) {
        char path[FJ_PATH_MAX];
        seg_path(j, j->segs[i], path);
        j->sys->unlink(path);
    }
    j->segs[0] = n;
    j->nsegs = 1;
    /* A failure here only means an unlink may not be durable: the next
     * open() deletes what is left. */
    (void)sync_dir(j);
    return FB_OK;
abandon:
    j->sys->close(c.fd);
    j->sys->unlink(tmp);
    return rc;
}

/* ---- the rest ------------------------------------------------------------ */

static const char *fj_errmsg(void *state)
{
    struct fj *j = state;
    return j->err;
}

static enum fb_err fj_close(void *state)
{
    struct fj *j = state;
    enum fb_err rc = j->failed ? FB_ERR_STATE : fj_sync(j);
    fj_free(j);
    return rc;
}

const struct fb_journal_ops fb_journal_file = {
    {FB_JOURNAL_API_VERSION, "file"}, /* info */
    fj_open,                          /* open */
    fj_append,                        /* append */
    fj_barrier,                       /* sync */
    fj_next_deadline,                 /* next_deadline */
    fj_tick,                          /* tick */
    fj_replay,                        /* replay */
    fj_compact,                       /* compact */
    fj_errmsg,                        /* errmsg */
    fj_close,                         /* close */
};
