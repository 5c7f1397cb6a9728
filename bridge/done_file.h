/*
 * done_file.h -- the trading day's finished orders, on disk (issue #7).
 *
 * The engine collapses every finished order into a small record it needs
 * for the rest of the trading day (duplicate ClOrdIDs, status requests, late
 * cancels, /orders?state=all). Held in memory they cost ~430 bytes per
 * finished order, ~4 GiB at 10,000,000; here they are appended to
 * <data_dir>/done/<yyyymmdd>.fbd and read back with pread(2) on the rare
 * paths; their keys go to bridge/done_index.h, whose entries are a second
 * file of this kind (.fbk), so memory does not grow with them.
 *
 * Appends are buffered: fb_done_file_flush() writes what a step appended in
 * one write(2), as the journal's buffer does (bridge/journal_file.c), so the
 * engine thread does no more blocking I/O per order than it already does.
 * A record not written yet is read from the buffer. A write that fails
 * keeps its bytes in the buffer and is retried at the next flush: lookups
 * stay right, only memory grows.
 *
 * Crash safety: none needed, and none taken (no fsync). The file is a cache
 * of what the journal already holds: fb_done_file_open() truncates it and
 * the journal replay at start writes every finished order again (replay
 * collapses them as the live engine does). Files of other days in the
 * directory are removed at open and at rotation. Delete them at will while
 * the bridge is stopped.
 *
 * Not thread safe: the engine thread owns it.
 */
#ifndef FB_DONE_FILE_H
#define FB_DONE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/error.h"

/* Records start at multiples of this, so an offset fits 32 bits as a count
 * of units (32 GiB a day) in the engine's index. */
#define FB_DONE_ALIGN 8u

struct fb_done_file {
    int fd;                /* -1: closed */
    char dir[4096];        /* <data_dir>/done */
    char ext[8];           /* ".fbd": the file name's ending */
    char path[4200];       /* the current day's file */
    unsigned char *buf;    /* appended, not written yet: file offsets from written */
    size_t len, cap;
    uint64_t written;      /* bytes in the file */
    int warned;            /* a write failure was logged */
};

/* Creates <data_dir>/done if needed, removes every *<ext> there and opens
 * an empty <yyyymmdd><ext> for the UTC day of now_ns. ext is short (".fbd";
 * bridge/done_index.c keeps its ".fbk" beside it). f is closed (fd -1) on
 * failure. */
enum fb_err fb_done_file_open(struct fb_done_file *f, const char *data_dir, const char *ext,
                              int64_t now_ns, char *errbuf, size_t errlen) FB_WARN_UNUSED;
/* A new trading day: an empty file for the UTC day of now_ns, the old
 * one removed. On failure the old file is kept, emptied. */
enum fb_err fb_done_file_rotate(struct fb_done_file *f, int64_t now_ns) FB_WARN_UNUSED;
void fb_done_file_close(struct fb_done_file *f);

/* Appends len bytes (padded to FB_DONE_ALIGN); *off is where they start.
 * Only memory can fail (FB_ERR_NOMEM), or a day past 32 GiB
 * (FB_ERR_TOO_LARGE). Writes at once if the buffer is past 1 MiB. */
enum fb_err fb_done_file_append(struct fb_done_file *f, const void *rec, size_t len,
                                uint64_t *off) FB_WARN_UNUSED;
/* Room for len more bytes (padded), so that appends of that much cannot
 * fail: FB_ERR_NOMEM, or FB_ERR_TOO_LARGE past 32 GiB a day. */
enum fb_err fb_done_file_reserve(struct fb_done_file *f, size_t len) FB_WARN_UNUSED;
/* Writes the buffer (one write(2)). FB_ERR_IO if it failed: kept for later. */
enum fb_err fb_done_file_flush(struct fb_done_file *f);
/* len bytes at off, from the file (pread) or the buffer. FB_ERR_IO if the
 * file could not give them all. */
enum fb_err fb_done_file_read(struct fb_done_file *f, uint64_t off, void *dst,
                              size_t len) FB_WARN_UNUSED;
/* Bytes appended so far today (written or not): offsets below it are records. */
uint64_t fb_done_file_end(const struct fb_done_file *f);

#endif
