/*
 * journal.h -- the append-only order journal: what the engine writes before
 * it acts outside (sends to a venue, sends an ExecutionReport), and what it
 * replays after a restart, so that every order is accounted for exactly once
 * however the process died.
 *
 * Three layers, each in its own file:
 *   - the record codec (journal.c, pure): bytes <-> struct fb_journal_record;
 *   - the storage interface (struct fb_journal_ops, below) and its registry
 *     by name (journal.c), in the manner of adapters/venue.h and curl's vtls,
 *     so a PostgreSQL backend for a standby bridge can be added without
 *     touching the engine;
 *   - the first backend, "file" (journal_file.c): segment files in a
 *     directory, normally <data_dir>/journal.
 *
 * The journal does not interpret payloads: the engine defines record types
 * and payload bytes. It guarantees order (sequence numbers strictly
 * increase), integrity (every record is checksummed) and durability once a
 * sync barrier has returned.
 *
 * Threading: a journal is owned by one thread (the engine thread); no
 * function may be called concurrently on the same journal. Time is
 * injected: the journal reads no clock.
 *
 * How the engine uses it
 * ----------------------
 *   on start:
 *     struct fb_journal_cfg jc = {.dir = path, .fsync = cfg->bridge.journal_fsync,
 *         .group_commit_ms = cfg->bridge.journal_group_commit_ms,
 *         .segment_bytes = cfg->bridge.journal_segment_bytes};
 *     fb_journal_path(cfg->bridge.data_dir, path, sizeof path);
 *     rc = fb_journal_open("file", &jc, &j, &rec, errbuf, sizeof errbuf);
 *         -> FB_ERR_CORRUPT / FB_ERR_UNSUPPORTED: refuse to start, print errbuf
 *         -> rec.torn: log rec.reason (a crash cut the last record; it was
 *            never synced, so the engine never acted on it)
 *     rc = fb_journal_replay(j, on_record, e);   rebuild orders, then reconcile
 *
 *   per batch of work (journal before act):
 *     for each state change:  fb_journal_append(j, &r, now, &seq);
 *     fb_journal_sync(j);                         one barrier for the batch
 *     then send to venues / send ExecutionReports.
 *   A failed append or sync means "not durable": do not act on it; the
 *   journal refuses further appends (FB_ERR_STATE) and the bridge should
 *   stop, and restart to recover.
 *
 *   in the poll loop (group commit): wait at most until
 *   fb_journal_next_deadline(j), then call fb_journal_tick(j, now).
 *
 *   at the day boundary (or when the journal grows): fb_journal_compact(j,
 *   keep, e, extras, n) with keep() choosing the records of non-terminal
 *   orders and extras holding a compact record of the day's ClOrdIDs.
 *
 *   on stop: fb_journal_close(j) (syncs first).
 */
#ifndef FB_JOURNAL_H
#define FB_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- on-disk record format (version 1) -------------------------------- */
/*
 * All integers little-endian, written byte by byte (never a struct dump).
 *
 *   off size  field
 *     0    4  magic "FBJR"
 *     4    2  format version (1)
 *     6    2  record type (the engine's)
 *     8    2  flags (the engine's)
 *    10    2  reserved, 0
 *    12    4  payload length, 0..FB_JOURNAL_MAX_PAYLOAD
 *    16    8  sequence number, strictly increasing over the whole journal
 *    24    8  timestamp, ns since the epoch UTC (signed)
 *    32    4  header CRC-32C of bytes 0..31
 *    36    n  payload
 *  36+n    4  record CRC-32C of bytes 0..35+n (header and payload)
 *
 * The header has its own CRC so that the length can be trusted before the
 * payload is read: without it a flipped bit in a middle record's length
 * would look like a record running past the end of the file, i.e. like a
 * torn tail, and recovery would silently drop every record after it.
 */
#define FB_JOURNAL_FORMAT_VERSION 1
#define FB_JOURNAL_MAX_PAYLOAD (64u * 1024u)
#define FB_JOURNAL_HEADER_SIZE 36u
#define FB_JOURNAL_TRAILER_SIZE 4u
#define FB_JOURNAL_RECORD_OVERHEAD (FB_JOURNAL_HEADER_SIZE + FB_JOURNAL_TRAILER_SIZE)
#define FB_JOURNAL_MAX_RECORD (FB_JOURNAL_RECORD_OVERHEAD + FB_JOURNAL_MAX_PAYLOAD)

/*
 * Segment file header, first bytes of every segment file:
 *
 *   off size  field
 *     0    8  magic "FBJSEG\r\n"
 *     8    2  format version (1)
 *    10    2  segment flags: FB_JOURNAL_SEG_COMPACTED
 *    12    4  CRC-32C of bytes 0..11
 */
#define FB_JOURNAL_SEG_HEADER_SIZE 16u
/* The segment was written by compaction and replaces every segment with a
 * lower number (they are deleted when found). */
#define FB_JOURNAL_SEG_COMPACTED 0x0001u

/* Limits of journal_segment_bytes (config) and fb_journal_cfg.segment_bytes. */
#define FB_JOURNAL_SEGMENT_MIN (1ull << 20)
#define FB_JOURNAL_SEGMENT_MAX (1ull << 32)
#define FB_JOURNAL_SEGMENT_DEFAULT (64ull << 20)

/* Record flag: a hint nothing acts on (e.g. "reports up to here were
 * sent"). Losing it in a crash costs a harmless repeat, so even under
 * FSYNC_EVERY its append does not wait for an fsync of its own: it becomes
 * durable with the next barrier, or group_commit_ms later. */
#define FB_JOURNAL_F_HINT 0x0001u

/* One record. When reading (replay, compaction) every pointer is borrowed
 * and valid only during the callback. When appending, seq is ignored: the
 * journal assigns it. */
struct fb_journal_record {
    uint64_t seq;
    uint16_t type;
    uint16_t flags;         /* FB_JOURNAL_F_*; stored with the record */
    int64_t time_ns;
    const uint8_t *payload; /* len bytes; may be NULL when len is 0 */
    uint32_t len;           /* <= FB_JOURNAL_MAX_PAYLOAD */
};

/* ---- record codec (pure; for backends and tests) ---------------------- */

enum fb_journal_decode {
    FB_JDEC_OK = 0,         /* a whole, valid record */
    FB_JDEC_SHORT = 1,      /* fewer bytes than the record needs (a torn tail
                               if at the end of the file) */
    FB_JDEC_BAD_MAGIC = 2,  /* no record starts here */
    FB_JDEC_BAD_HEADER = 3, /* header CRC mismatch or reserved bits set */
    FB_JDEC_VERSION = 4,    /* a valid header of another format version */
    FB_JDEC_TOO_LARGE = 5,  /* valid header, length over FB_JOURNAL_MAX_PAYLOAD */
    FB_JDEC_BAD_CRC = 6,    /* record CRC mismatch: payload or trailer damaged */
    FB_JDEC_LAST            /* not a true value, never use this */
};

/* Record size for a payload of len bytes. */
size_t fb_journal_record_size(uint32_t len);

/* Writes r with sequence number seq to buf. Returns the bytes written, or 0
 * if r->len is over FB_JOURNAL_MAX_PAYLOAD or size is too small. */
size_t fb_journal_encode(const struct fb_journal_record *r, uint64_t seq, uint8_t *buf,
                         size_t size);

/*
 * Reads one record from buf[0..avail). On FB_JDEC_OK fills *out (payload
 * points into buf) and *used (the record's size). *version gets the header's
 * format version once the header is valid (for FB_JDEC_VERSION messages);
 * it may be NULL.
 */
enum fb_journal_decode fb_journal_decode(const uint8_t *buf, size_t avail,
                                         struct fb_journal_record *out, size_t *used,
                                         unsigned *version);

/* A static description of a decode result, for error messages. */
const char *fb_journal_decode_name(enum fb_journal_decode d);

/* Segment file header (16 bytes). decode returns FB_JDEC_OK, _SHORT,
 * _BAD_MAGIC, _BAD_HEADER or _VERSION (*version set). */
void fb_journal_seg_header_encode(uint16_t seg_flags, uint8_t buf[FB_JOURNAL_SEG_HEADER_SIZE]);
enum fb_journal_decode fb_journal_seg_header_decode(const uint8_t *buf, size_t avail,
                                                    uint16_t *seg_flags, unsigned *version);

/* ---- configuration ---------------------------------------------------- */

enum fb_journal_fsync {
    FB_JOURNAL_FSYNC_EVERY = 0, /* each append is durable when it returns */
    FB_JOURNAL_FSYNC_GROUP = 1, /* appends are written; durable at the next
                                   fb_journal_sync() or group_commit_ms later */
    FB_JOURNAL_FSYNC_NEVER = 2, /* appends are written (a killed process loses
                                   none); fb_journal_sync() does not fsync, so
                                   a power loss or kernel crash may lose the
                                   latest. Segment rolls, compaction and close
                                   still fsync. */
    FB_JOURNAL_FSYNC_LAST       /* not a true value, never use this */
};

/*
 * The system calls the file backend makes, so tests can count them, fail the
 * Nth one, or "crash" (fail everything from some point on). NULL in the
 * config means the real ones. Each slot has the POSIX signature and
 * contract (return -1 and set errno on failure).
 */
struct fb_journal_sys {
    int (*open)(const char *path, int flags, mode_t mode);
    ssize_t (*write)(int fd, const void *buf, size_t n);
    ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
    int (*fdatasync)(int fd); /* makes a segment's appended records durable */
    int (*fsync)(int fd);     /* makes a directory's renames/unlinks durable */
    int (*ftruncate)(int fd, off_t len);
    int (*rename)(const char *from, const char *to);
    int (*unlink)(const char *path);
    int (*close)(int fd);
    /* Optional (NULL: never called): starts writing a range of a segment
     * back without waiting, so the fdatasync that rolling a segment needs
     * finds it mostly on disk. A hint: its failure changes nothing. */
    int (*write_behind)(int fd, off_t off, off_t len);
};

/* The real system calls. */
extern const struct fb_journal_sys fb_journal_sys_posix;

struct fb_journal_cfg {
    const char *dir;                  /* file: the directory (created if missing) */
    enum fb_journal_fsync fsync;      /* default (zero) FB_JOURNAL_FSYNC_EVERY */
    unsigned group_commit_ms;         /* GROUP: most ms a written record waits for its
                                         fsync; 1..1000 (0 means 2) */
    uint64_t segment_bytes;           /* roll to a new segment beyond this size;
                                         FB_JOURNAL_SEGMENT_MIN..MAX (0: default) */
    const struct fb_journal_sys *sys; /* NULL: fb_journal_sys_posix */
};

/* What open() found and repaired. */
struct fb_journal_recovery {
    uint64_t records;        /* valid records found */
    uint64_t last_seq;       /* highest sequence number, 0 if none */
    unsigned segments;       /* segment files in use */
    int torn;                /* 1: the last record was torn and cut off */
    uint64_t torn_offset;    /* byte offset in torn_file where the cut was made */
    uint64_t torn_bytes;     /* bytes removed */
    char torn_file[256];     /* the segment's path */
    char reason[512];        /* one line for the log, "" if nothing happened */
    int finished_compaction; /* 1: a compaction interrupted by a crash was
                                completed (old segments deleted) */
    unsigned removed_tmp;    /* leftover temporary files removed */
};

/* ---- the storage interface -------------------------------------------- */

/* Bumped when a slot is added or a contract changes; the registry refuses
 * a backend built against another version. */
#define FB_JOURNAL_API_VERSION 1

/* Called once per record, in sequence order. Returning anything but FB_OK
 * stops the iteration, and the caller gets that code back. */
typedef enum fb_err (*fb_journal_replay_fn)(void *user, const struct fb_journal_record *r);
/* Compaction: return 1 to keep r in the new journal, 0 to drop it. */
typedef int (*fb_journal_keep_fn)(void *user, const struct fb_journal_record *r);

struct fb_journal_ops {
    struct {
        unsigned api_version; /* FB_JOURNAL_API_VERSION */
        const char *name;     /* registry name: "file" */
    } info;
    /* Opens (creating if needed) and recovers: validates every record,
     * removes a torn tail, finishes an interrupted compaction. Fills *rec.
     * On error writes one line naming the file and byte offset to errbuf. */
    enum fb_err (*open)(const struct fb_journal_cfg *cfg, void **state,
                        struct fb_journal_recovery *rec, char *errbuf, size_t errlen);
    /* Writes one record (r->seq ignored) and stores its sequence number in
     * *seq; durable on return under FSYNC_EVERY. now_ns starts the group
     * commit delay. */
    enum fb_err (*append)(void *state, const struct fb_journal_record *r, int64_t now_ns,
                          uint64_t *seq);
    /* Barrier: every record appended so far is durable on return. */
    enum fb_err (*sync)(void *state);
    /* When tick() must next run (ns, same clock as append's time_ns);
     * INT64_MAX when nothing waits. */
    int64_t (*next_deadline)(void *state);
    /* Does the group commit that is due by now_ns. */
    enum fb_err (*tick)(void *state, int64_t now_ns);
    /* Calls fn for every record, oldest first. */
    enum fb_err (*replay)(void *state, fb_journal_replay_fn fn, void *user);
    /* Replaces the journal by the records keep() chooses plus extras. */
    enum fb_err (*compact)(void *state, fb_journal_keep_fn keep, void *user,
                           const struct fb_journal_record *extras, size_t nextras);
    /* The last error as one line ("" if none); owned by the state. */
    const char *(*errmsg)(void *state);
    /* Syncs and frees; state is gone afterwards. */
    enum fb_err (*close)(void *state);
};

extern const struct fb_journal_ops fb_journal_file;

/* The backend registered under name, or NULL. */
const struct fb_journal_ops *fb_journal_find(const char *name);

/* ---- public API (dispatches to the backend) --------------------------- */

struct fb_journal; /* opaque */

/*
 * Opens the journal with the backend named backend ("file"). On FB_OK *out
 * is a journal to close with fb_journal_close() and *rec (if non-NULL) says
 * what recovery did. On error *out is NULL and errbuf holds one line:
 *   FB_ERR_CORRUPT      a damaged record that is not the last one (names the
 *                       file and byte offset); never repaired by guessing
 *   FB_ERR_UNSUPPORTED  a segment or record of an unknown format version
 *   FB_ERR_STATE        another process has the journal open
 *   FB_ERR_NOT_FOUND    no backend of that name
 *   FB_ERR_IO, FB_ERR_NOMEM, FB_ERR_INVALID (bad cfg)
 */
enum fb_err fb_journal_open(const char *backend, const struct fb_journal_cfg *cfg,
                            struct fb_journal **out, struct fb_journal_recovery *rec, char *errbuf,
                            size_t errlen) FB_WARN_UNUSED;

/*
 * Appends r (r->seq is ignored) and stores its sequence number in *seq
 * (may be NULL). now_ns is the clock for group commit, and the record's
 * timestamp when r->time_ns is 0. Errors:
 * FB_ERR_TOO_LARGE (payload), FB_ERR_IO (nothing was added: a partial write
 * is cut off again), FB_ERR_STATE (the journal failed earlier).
 */
enum fb_err fb_journal_append(struct fb_journal *j, const struct fb_journal_record *r,
                              int64_t now_ns, uint64_t *seq) FB_WARN_UNUSED;
/* The barrier: returns once every record appended so far is durable. Cheap
 * when nothing is pending (always so under FSYNC_EVERY). */
enum fb_err fb_journal_sync(struct fb_journal *j) FB_WARN_UNUSED;
/* Group commit timer: see the slots above. */
int64_t fb_journal_next_deadline(struct fb_journal *j);
enum fb_err fb_journal_tick(struct fb_journal *j, int64_t now_ns) FB_WARN_UNUSED;
enum fb_err fb_journal_replay(struct fb_journal *j, fb_journal_replay_fn fn,
                              void *user) FB_WARN_UNUSED;
/*
 * Rewrites the journal to hold only the records keep() returns 1 for (in
 * their order, with their sequence numbers) followed by extras (new
 * sequence numbers). Crash-safe at every step: after a crash, open() finds
 * either the old journal or the new one, never a mix. keep may be NULL
 * (keep nothing). On error the old journal is in force, unless the error
 * came after the switch, in which case the journal is failed and a restart
 * finishes the job.
 */
enum fb_err fb_journal_compact(struct fb_journal *j, fb_journal_keep_fn keep, void *user,
                               const struct fb_journal_record *extras,
                               size_t nextras) FB_WARN_UNUSED;
/* The last error as one line, "" if none. Owned by j. */
const char *fb_journal_errmsg(struct fb_journal *j);
/* Syncs, closes and frees j (NULL is fine). Returns the sync's result. */
enum fb_err fb_journal_close(struct fb_journal *j);

/* "<data_dir>/journal" into buf. FB_ERR_TOO_LARGE if it does not fit. */
enum fb_err fb_journal_path(const char *data_dir, char *buf, size_t size) FB_WARN_UNUSED;

/* "every" / "group". */
const char *fb_journal_fsync_name(enum fb_journal_fsync f);

#ifdef __cplusplus
}
#endif
#endif
