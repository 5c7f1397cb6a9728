#include "bridge/done_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One entry of the .fbk file. */
struct fb_done_entry {
    uint64_t h;
    uint32_t rec;  /* the record's offset in FB_DONE_ALIGN units */
    uint32_t prev; /* the bucket's previous entry: number + 1; 0 none */
};

#define BLOOM_LINE_WORDS 8u /* 512 bits: one cache line */
#define BLOOM_LINES (FB_DONE_BLOOM_BYTES / (BLOOM_LINE_WORDS * 8u))
#define BLOOM_PROBES 4

/* The filter's bits are taken from a second mix of h, so that they do not
 * follow the bucket (h's low bits): keys of one bucket spread over the
 * filter. */
static uint64_t bloom_mix(uint64_t h)
{
    h ^= h >> 31;
    h *= 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    return h;
}

/* The filter's line for h; *bits gets BLOOM_PROBES 9-bit positions in it. */
static uint64_t *bloom_line(const struct fb_done_index *x, uint64_t h, uint64_t *bits)
{
    uint64_t g = bloom_mix(h);
    *bits = g;
    return x->bloom + (size_t)((g >> 40) & (BLOOM_LINES - 1)) * BLOOM_LINE_WORDS;
}

static void bloom_add(struct fb_done_index *x, uint64_t h)
{
    uint64_t bits, *line = bloom_line(x, h, &bits);
    for (int i = 0; i < BLOOM_PROBES; i++, bits >>= 9)
        line[(bits >> 6) & 7] |= 1ULL << (bits & 63);
}

static int bloom_maybe(const struct fb_done_index *x, uint64_t h)
{
    uint64_t bits;
    const uint64_t *line = bloom_line(x, h, &bits);
    for (int i = 0; i < BLOOM_PROBES; i++, bits >>= 9) {
        if (!(line[(bits >> 6) & 7] & (1ULL << (bits & 63))))
            return 0;
    }
    return 1;
}

enum fb_err fb_done_index_open(struct fb_done_index *x, const char *data_dir, int64_t now_ns,
                               char *errbuf, size_t errlen)
{
    enum fb_err rc;

    memset(x, 0, sizeof *x);
    x->entries.fd = -1;
    /* calloc: the pages become resident as keys touch them */
    x->bloom = calloc(FB_DONE_BLOOM_BYTES / 8, 8);
    x->heads = calloc(FB_DONE_HEADS, sizeof *x->heads);
    if (!x->bloom || !x->heads) {
        snprintf(errbuf, errlen, "finished-orders index: out of memory");
        rc = FB_ERR_NOMEM;
        goto fail;
    }
    rc = fb_done_file_open(&x->entries, data_dir, ".fbk", now_ns, errbuf, errlen);
    if (rc != FB_OK)
        goto fail;
    return FB_OK;
fail:
    fb_done_index_close(x);
    return rc;
}

enum fb_err fb_done_index_rotate(struct fb_done_index *x, int64_t now_ns)
{
    memset(x->bloom, 0, FB_DONE_BLOOM_BYTES);
    memset(x->heads, 0, FB_DONE_HEADS * sizeof *x->heads);
    x->n = 0;
    return fb_done_file_rotate(&x->entries, now_ns);
}

void fb_done_index_close(struct fb_done_index *x)
{
    fb_done_file_close(&x->entries);
    free(x->bloom);
    free(x->heads);
    x->bloom = NULL;
    x->heads = NULL;
    x->n = 0;
}

enum fb_err fb_done_index_reserve(struct fb_done_index *x, size_t n)
{
    if (n > SIZE_MAX / sizeof(struct fb_done_entry))
        return FB_ERR_TOO_LARGE;
    return fb_done_file_reserve(&x->entries, n * sizeof(struct fb_done_entry));
}

enum fb_err fb_done_index_put(struct fb_done_index *x, uint64_t h, uint64_t rec_off)
{
    size_t b = (size_t)(h & (FB_DONE_HEADS - 1));
    struct fb_done_entry en = {h, (uint32_t)(rec_off / FB_DONE_ALIGN), x->heads[b]};
    uint64_t off;
    enum fb_err rc = fb_done_file_append(&x->entries, &en, sizeof en, &off);

    if (rc != FB_OK)
        return rc;
    /* 32 GiB of 16-byte entries: the number + 1 fits 32 bits */
    x->heads[b] = (uint32_t)(off / sizeof en) + 1;
    bloom_add(x, h);
    x->n++;
    return FB_OK;
}

enum fb_err fb_done_index_flush(struct fb_done_index *x)
{
    return x->entries.len ? fb_done_file_flush(&x->entries) : FB_OK;
}

void fb_done_index_seek(const struct fb_done_index *x, uint64_t h, struct fb_done_cursor *c)
{
    c->h = h;
    c->next = x->n && bloom_maybe(x, h) ? x->heads[h & (FB_DONE_HEADS - 1)] : 0;
}

int fb_done_index_next(struct fb_done_index *x, struct fb_done_cursor *c, uint64_t *rec_off)
{
    struct fb_done_entry en;

    while (c->next) {
        if (fb_done_file_read(&x->entries, (uint64_t)(c->next - 1) * sizeof en, &en,
                              sizeof en) != FB_OK) {
            c->next = 0;
            return -1;
        }
        /* entries only point back: a chain cannot loop unless the file
         * lies, and then it ends here */
        c->next = en.prev < c->next ? en.prev : 0;
        if (en.h == c->h) {
            *rec_off = (uint64_t)en.rec * FB_DONE_ALIGN;
            return 1;
        }
    }
    return 0;
}
