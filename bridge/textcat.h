/*
 * textcat.h -- short keys and ids built without snprintf: the engine makes
 * several per order (index keys, venue client order ids, OrderIDs), and a
 * format string parsed each time cost more than the rest of the key's work.
 *
 * Appends into a caller's buffer, which stays NUL-terminated; what does not
 * fit is cut, as snprintf would cut it. No allocation.
 */
#ifndef FB_TEXTCAT_H
#define FB_TEXTCAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fb_cat {
    char *buf;
    size_t size, len; /* size > 0 */
};

static inline struct fb_cat fb_cat_init(char *buf, size_t size)
{
    struct fb_cat c = {buf, size, 0};
    buf[0] = '\0';
    return c;
}

/* At most max bytes of s ("%.*s"). */
static inline void fb_cat_strn(struct fb_cat *c, const char *s, size_t max)
{
    size_t n = strnlen(s, max), room = c->size - 1 - c->len;
    if (n > room)
        n = room;
    memcpy(c->buf + c->len, s, n);
    c->len += n;
    c->buf[c->len] = '\0';
}

static inline void fb_cat_str(struct fb_cat *c, const char *s)
{
    fb_cat_strn(c, s, SIZE_MAX);
}

static inline void fb_cat_char(struct fb_cat *c, char ch)
{
    if (c->len + 1 < c->size) {
        c->buf[c->len++] = ch;
        c->buf[c->len] = '\0';
    }
}

/* v in decimal ("%llu"). */
static inline void fb_cat_u64(struct fb_cat *c, uint64_t v)
{
    char rev[20];
    size_t n = 0;
    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        fb_cat_char(c, rev[--n]);
}

/* v in decimal ("%lld"). */
static inline void fb_cat_i64(struct fb_cat *c, int64_t v)
{
    if (v < 0)
        fb_cat_char(c, '-');
    fb_cat_u64(c, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

#endif
