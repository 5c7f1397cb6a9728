/*
 * done_index.h -- where a finished order's keys lead, in fixed memory (issue #7).
 *
 * The engine appends every finished order to the day's file
 * (bridge/done_file.h) and must still find it by any ClOrdID it used: every
 * NewOrderSingle asks "was this ClOrdID used today?" (the duplicate check),
 * and status requests and late cancels ask for the order itself. An
 * in-memory hash table of every key grows with the day (~44 bytes per
 * finished order, 440 MiB at 10,000,000); this index does not grow at all:
 *
 *  - a blocked Bloom filter (FB_DONE_BLOOM_BYTES) answers "never put" for
 *    almost every new key without reading anything: one cache line per
 *    lookup, no false "never";
 *  - a table of FB_DONE_HEADS chain heads, one per bucket of the key's
 *    hash, points at the newest entry of the bucket in an append-only file
 *    of 16-byte entries (the key's hash, its record's offset, the previous
 *    entry of the bucket) beside the records, <data_dir>/done/<day>.fbk,
 *    read back with pread(2) only when the filter says "maybe".
 *
 * The cost moves to the rare paths: a key that was put is found after
 * about keys/FB_DONE_HEADS entry reads (~10 at 10,000,000 keys, page-cache
 * hits). The filter's false "maybe" rate rises with the day (~0.5% at
 * 10,000,000 keys, ~15% at 40,000,000), and with it the reads, never the
 * memory or the answers: a candidate is only a candidate, the caller
 * compares the keys in the record.
 *
 * The arrays are calloc'd at open and their pages become resident as keys
 * touch them, FB_DONE_BLOOM_BYTES + 4 * FB_DONE_HEADS bytes at most (20 MiB).
 * Crash safety as the records' file: a cache, rebuilt by the journal replay.
 * Not thread safe: the engine thread owns it.
 */
#ifndef FB_DONE_INDEX_H
#define FB_DONE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/done_file.h"
#include "bridge/error.h"

#define FB_DONE_BLOOM_BYTES (16u << 20) /* a power of two */
#define FB_DONE_HEADS (1u << 20)        /* a power of two */

struct fb_done_index {
    struct fb_done_file entries; /* struct fb_done_entry, appended */
    uint64_t *bloom;             /* FB_DONE_BLOOM_BYTES */
    uint32_t *heads;             /* entry number + 1 of each bucket's newest; 0 none */
    uint64_t n;                  /* keys put today */
};

/* Where a lookup stands: the key's hash and the next entry to read. */
struct fb_done_cursor {
    uint64_t h;
    uint32_t next; /* entry number + 1; 0: no more */
};

/* The arrays, and an empty <data_dir>/done/<day>.fbk (older ones removed).
 * On failure x is closed and errbuf says why. */
enum fb_err fb_done_index_open(struct fb_done_index *x, const char *data_dir, int64_t now_ns,
                               char *errbuf, size_t errlen) FB_WARN_UNUSED;
/* A new trading day: no key is in the index any more. */
enum fb_err fb_done_index_rotate(struct fb_done_index *x, int64_t now_ns) FB_WARN_UNUSED;
void fb_done_index_close(struct fb_done_index *x);

/* Room for n more puts, so they cannot fail (memory, or 32 GiB of entries). */
enum fb_err fb_done_index_reserve(struct fb_done_index *x, size_t n) FB_WARN_UNUSED;
/* Key hash h (never 0) -> the record at rec_off (bytes, a multiple of
 * FB_DONE_ALIGN below 32 GiB). Fails as fb_done_file_append. */
enum fb_err fb_done_index_put(struct fb_done_index *x, uint64_t h, uint64_t rec_off) FB_WARN_UNUSED;
/* Writes the entries appended since the last flush (one write(2)). */
enum fb_err fb_done_index_flush(struct fb_done_index *x);

/* Starts a lookup of hash h: no read, and none to come if the filter says
 * h was never put. */
void fb_done_index_seek(const struct fb_done_index *x, uint64_t h, struct fb_done_cursor *c);
/* The next candidate, newest first: 1 and *rec_off (bytes) for a record put
 * under hash h, 0 when there is none left, -1 if an entry could not be
 * read (logged; the answer is then unknown, and the lookup over). */
int fb_done_index_next(struct fb_done_index *x, struct fb_done_cursor *c, uint64_t *rec_off);

#endif
