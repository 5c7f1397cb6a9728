/*
 * journal.c -- the journal's record codec (pure), its backend registry and
 * the public functions, which only dispatch to the backend. See journal.h
 * for the format and the contracts.
 */
#include "bridge/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/crc32c.h"

/* ---- byte packing ------------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- record codec ------------------------------------------------------ */

static const uint8_t rec_magic[4] = {'F', 'B', 'J', 'R'};
static const uint8_t seg_magic[8] = {'F', 'B', 'J', 'S', 'E', 'G', '\r', '\n'};

size_t fb_journal_record_size(uint32_t len)
{
    return FB_JOURNAL_RECORD_OVERHEAD + (size_t)len;
}

size_t fb_journal_encode(const struct fb_journal_record *r, uint64_t seq, uint8_t *buf, size_t size)
{
    if (r->len > FB_JOURNAL_MAX_PAYLOAD || (r->len && !r->payload))
        return 0;
    size_t total = fb_journal_record_size(r->len);
    if (size < total)
        return 0;
    memcpy(buf, rec_magic, 4);
    put16(buf + 4, FB_JOURNAL_FORMAT_VERSION);
    put16(buf + 6, r->type);
    put16(buf + 8, r->flags);
    put16(buf + 10, 0);
    put32(buf + 12, r->len);
    put64(buf + 16, seq);
    put64(buf + 24, (uint64_t)r->time_ns);
    put32(buf + 32, fb_crc32c(0, buf, 32));
    if (r->len)
        memcpy(buf + FB_JOURNAL_HEADER_SIZE, r->payload, r->len);
    size_t body = FB_JOURNAL_HEADER_SIZE + r->len;
    put32(buf + body, fb_crc32c(0, buf, body));
    return total;
}

enum fb_journal_decode fb_journal_decode(const uint8_t *buf, size_t avail,
                                         struct fb_journal_record *out, size_t *used,
                                         unsigned *version)
{
    /* The magic is checked on what is there, so a stray byte at the end of
     * a file is told apart from the start of a record cut short. */
    size_t m = avail < 4 ? avail : 4;
    if (memcmp(buf, rec_magic, m) != 0)
        return FB_JDEC_BAD_MAGIC;
    if (avail < FB_JOURNAL_HEADER_SIZE)
        return FB_JDEC_SHORT;
    if (get32(buf + 32) != fb_crc32c(0, buf, 32))
        return FB_JDEC_BAD_HEADER;
    unsigned v = get16(buf + 4);
    if (version)
        *version = v;
    /* Version before anything else in the header: a later format may use
     * the reserved field or allow longer payloads. */
    if (v != FB_JOURNAL_FORMAT_VERSION)
        return FB_JDEC_VERSION;
    if (get16(buf + 10) != 0)
        return FB_JDEC_BAD_HEADER;
    uint32_t len = get32(buf + 12);
    if (len > FB_JOURNAL_MAX_PAYLOAD)
        return FB_JDEC_TOO_LARGE;
    size_t body = FB_JOURNAL_HEADER_SIZE + len;
    if (avail < body + FB_JOURNAL_TRAILER_SIZE)
        return FB_JDEC_SHORT;
    if (get32(buf + body) != fb_crc32c(0, buf, body))
        return FB_JDEC_BAD_CRC;
    out->type = get16(buf + 6);
    out->flags = get16(buf + 8);
    out->len = len;
    out->seq = get64(buf + 16);
    out->time_ns = (int64_t)get64(buf + 24);
    out->payload = buf + FB_JOURNAL_HEADER_SIZE;
    *used = body + FB_JOURNAL_TRAILER_SIZE;
    return FB_JDEC_OK;
}

const char *fb_journal_decode_name(enum fb_journal_decode d)
{
    /* No default: -Wswitch reports a value added without a text. */
    switch (d) {
    case FB_JDEC_OK:
        return "valid record";
    case FB_JDEC_SHORT:
        return "record cut short by the end of the file";
    case FB_JDEC_BAD_MAGIC:
        return "no record header (bad magic)";
    case FB_JDEC_BAD_HEADER:
        return "damaged record header (header checksum mismatch)";
    case FB_JDEC_VERSION:
        return "unknown format version";
    case FB_JDEC_TOO_LARGE:
        return "record length over the maximum";
    case FB_JDEC_BAD_CRC:
        return "record checksum mismatch";
    case FB_JDEC_LAST:
        break;
    }
    return "?";
}

void fb_journal_seg_header_encode(uint16_t seg_flags, uint8_t buf[FB_JOURNAL_SEG_HEADER_SIZE])
{
    memcpy(buf, seg_magic, 8);
    put16(buf + 8, FB_JOURNAL_FORMAT_VERSION);
    put16(buf + 10, seg_flags);
    put32(buf + 12, fb_crc32c(0, buf, 12));
}

enum fb_journal_decode fb_journal_seg_header_decode(const uint8_t *buf, size_t avail,
                                                    uint16_t *seg_flags, unsigned *version)
{
    size_t m = avail < 8 ? avail : 8;
    if (memcmp(buf, seg_magic, m) != 0)
        return FB_JDEC_BAD_MAGIC;
    if (avail < FB_JOURNAL_SEG_HEADER_SIZE)
        return FB_JDEC_SHORT;
    if (get32(buf + 12) != fb_crc32c(0, buf, 12))
        return FB_JDEC_BAD_HEADER;
    unsigned v = get16(buf + 8);
    if (version)
        *version = v;
    if (v != FB_JOURNAL_FORMAT_VERSION)
        return FB_JDEC_VERSION;
    *seg_flags = get16(buf + 10);
    return FB_JDEC_OK;
}

/* ---- registry ---------------------------------------------------------- */

static const struct fb_journal_ops *const registry[] = {
    &fb_journal_file,
    /* a PostgreSQL backend for a standby bridge goes here */
    NULL,
};

const struct fb_journal_ops *fb_journal_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; registry[i]; i++) {
        /* A backend built against other contracts is treated as absent. */
        if (registry[i]->info.api_version != FB_JOURNAL_API_VERSION)
            continue;
        if (strcmp(registry[i]->info.name, name) == 0)
            return registry[i];
    }
    return NULL;
}

/* ---- dispatch ---------------------------------------------------------- */

struct fb_journal {
    const struct fb_journal_ops *ops;
    void *state;
};

enum fb_err fb_journal_open(const char *backend, const struct fb_journal_cfg *cfg,
                            struct fb_journal **out, struct fb_journal_recovery *rec, char *errbuf,
                            size_t errlen)
{
    struct fb_journal_recovery scratch;
    struct fb_journal *j = NULL;
    enum fb_err rc;

    *out = NULL;
    if (errlen)
        errbuf[0] = '\0';
    if (!rec)
        rec = &scratch;
    memset(rec, 0, sizeof *rec);
    const struct fb_journal_ops *ops = fb_journal_find(backend);
    if (!ops) {
        snprintf(errbuf, errlen, "journal: no backend named %s", backend ? backend : "(null)");
        return FB_ERR_NOT_FOUND;
    }
    j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(errbuf, errlen, "journal: out of memory");
        return FB_ERR_NOMEM;
    }
    j->ops = ops;
    rc = ops->open(cfg, &j->state, rec, errbuf, errlen);
    if (rc) {
        free(j);
        return rc;
    }
    *out = j;
    return FB_OK;
}

enum fb_err fb_journal_append(struct fb_journal *j, const struct fb_journal_record *r,
                              int64_t now_ns, uint64_t *seq)
{
    uint64_t ignored;
    struct fb_journal_record copy = *r;
    if (copy.time_ns == 0)
        copy.time_ns = now_ns;
    return j->ops->append(j->state, &copy, now_ns, seq ? seq : &ignored);
}

enum fb_err fb_journal_sync(struct fb_journal *j)
{
    return j->ops->sync(j->state);
}

int64_t fb_journal_next_deadline(struct fb_journal *j)
{
    return j->ops->next_deadline ? j->ops->next_deadline(j->state) : INT64_MAX;
}

enum fb_err fb_journal_tick(struct fb_journal *j, int64_t now_ns)
{
    return j->ops->tick ? j->ops->tick(j->state, now_ns) : FB_OK;
}

enum fb_err fb_journal_replay(struct fb_journal *j, fb_journal_replay_fn fn, void *user)
{
    return j->ops->replay(j->state, fn, user);
}

enum fb_err fb_journal_compact(struct fb_journal *j, fb_journal_keep_fn keep, void *user,
                               const struct fb_journal_record *extras, size_t nextras)
{
    if (!j->ops->compact)
        return FB_ERR_UNSUPPORTED;
    return j->ops->compact(j->state, keep, user, extras, nextras);
}

const char *fb_journal_errmsg(struct fb_journal *j)
{
    return j->ops->errmsg(j->state);
}

enum fb_err fb_journal_close(struct fb_journal *j)
{
    if (!j)
        return FB_OK;
    enum fb_err rc = j->ops->close(j->state);
    free(j);
    return rc;
}

enum fb_err fb_journal_path(const char *data_dir, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/journal", data_dir);
    if (n < 0 || (size_t)n >= size)
        return FB_ERR_TOO_LARGE;
    return FB_OK;
}

const char *fb_journal_fsync_name(enum fb_journal_fsync f)
{
    switch (f) {
    case FB_JOURNAL_FSYNC_EVERY:
        return "every";
    case FB_JOURNAL_FSYNC_GROUP:
        return "group";
    case FB_JOURNAL_FSYNC_NEVER:
        return "never";
    case FB_JOURNAL_FSYNC_LAST:
        break;
    }
    return "?";
}
