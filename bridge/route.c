#include "bridge/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct route_entry {
    const char *symbol;
    const char *dest; /* NULL for the symbol's default route */
    const char *venue_symbol;
    size_t venue_index;
    size_t route_index;
};

/* Entries sorted by (symbol, dest) with the default (NULL dest) first in
 * each symbol's run; strings live in one block owned by the table. */
struct fb_route_table {
    struct route_entry *entries;
    size_t n;
    char *strings;
};

/* NULL sorts before every destination so a symbol's run starts with its
 * default route. */
static int route_key_cmp(const char *sym_a, const char *dest_a, const char *sym_b,
                         const char *dest_b)
{
    int c = strcmp(sym_a, sym_b);
    if (c != 0)
        return c;
    if (dest_a == NULL || dest_b == NULL)
        return (dest_a != NULL) - (dest_b != NULL);
    return strcmp(dest_a, dest_b);
}

static int route_entry_cmp(const void *a, const void *b)
{
    const struct route_entry *x = a;
    const struct route_entry *y = b;
    return route_key_cmp(x->symbol, x->dest, y->symbol, y->dest);
}

/* Checks one configured name; returns 0 and writes err when it is unusable. */
static int route_name_ok(const char *s, int may_be_null, const char *what, size_t i, char *err,
                         size_t errlen)
{
    if (s == NULL) {
        if (may_be_null)
            return 1;
        snprintf(err, errlen, "routes[%zu]: %s is missing", i, what);
        return 0;
    }
    if (s[0] == '\0') {
        snprintf(err, errlen, "routes[%zu]: %s is empty", i, what);
        return 0;
    }
    if (strlen(s) > FB_ROUTE_NAME_MAX) {
        snprintf(err, errlen, "routes[%zu]: %s '%.40s...' is longer than %d characters", i, what, s,
                 FB_ROUTE_NAME_MAX);
        return 0;
    }
    return 1;
}

static char *route_copy(char **pos, const char *s)
{
    size_t len;
    char *dst = *pos;

    if (s == NULL)
        return NULL;
    len = strlen(s) + 1;
    memcpy(dst, s, len);
    *pos += len;
    return dst;
}

enum fb_err fb_route_table_new(const struct fb_route *routes, size_t n, size_t venue_count,
                               struct fb_route_table **out, char *err, size_t errlen)
{
    enum fb_err rc = FB_OK;
    struct fb_route_table *t = NULL;
    size_t bytes = 0;
    char *pos;

    if (out == NULL || err == NULL || errlen == 0 || (routes == NULL && n > 0))
        return FB_ERR_INVALID;
    *out = NULL;
    err[0] = '\0';

    for (size_t i = 0; i < n; i++) {
        const struct fb_route *r = &routes[i];
        if (!route_name_ok(r->symbol, 0, "symbol", i, err, errlen) ||
            !route_name_ok(r->ex_destination, 1, "ex_destination", i, err, errlen) ||
            !route_name_ok(r->venue_symbol, 0, "venue_symbol", i, err, errlen)) {
            rc = FB_ERR_CONFIG;
            goto out;
        }
        if (r->venue_index >= venue_count) {
            snprintf(err, errlen, "routes[%zu]: venue index %zu is out of range (%zu venues)", i,
                     r->venue_index, venue_count);
            rc = FB_ERR_CONFIG;
            goto out;
        }
        bytes += strlen(r->symbol) + 1 + strlen(r->venue_symbol) + 1;
        if (r->ex_destination != NULL)
            bytes += strlen(r->ex_destination) + 1;
    }

    t = calloc(1, sizeof *t);
    if (t == NULL) {
        rc = FB_ERR_NOMEM;
        goto out;
    }
    /* +1 keeps both allocations non-empty for n == 0. */
    t->entries = calloc(n + 1, sizeof *t->entries);
    t->strings = malloc(bytes + 1);
    if (t->entries == NULL || t->strings == NULL) {
        rc = FB_ERR_NOMEM;
        goto out;
    }
    t->n = n;
    pos = t->strings;
    for (size_t i = 0; i < n; i++) {
        struct route_entry *e = &t->entries[i];
        e->symbol = route_copy(&pos, routes[i].symbol);
        e->dest = route_copy(&pos, routes[i].ex_destination);
        e->venue_symbol = route_copy(&pos, routes[i].venue_symbol);
        e->venue_index = routes[i].venue_index;
        e->route_index = i;
    }
    qsort(t->entries, n, sizeof *t->entries, route_entry_cmp);

    for (size_t i = 1; i < n; i++) {
        const struct route_entry *a = &t->entries[i - 1];
        const struct route_entry *b = &t->entries[i];
        if (route_entry_cmp(a, b) == 0) {
            size_t first = a->route_index < b->route_index ? a->route_index : b->route_index;
            size_t second = a->route_index < b->route_index ? b->route_index : a->route_index;
            if (b->dest != NULL)
                snprintf(err, errlen,
                         "routes[%zu]: duplicates routes[%zu] (symbol %s, ex_destination %s)",
                         second, first, b->symbol, b->dest);
            else
                snprintf(err, errlen,
                         "routes[%zu]: duplicates routes[%zu] (second default route for %s)",
                         second, first, b->symbol);
            rc = FB_ERR_CONFIG;
            goto out;
        }
    }
    *out = t;
    t = NULL;
out:
    fb_route_table_free(t);
    return rc;
}

void fb_route_table_free(struct fb_route_table *t)
{
    if (t == NULL)
        return;
    free(t->entries);
    free(t->strings);
    free(t);
}

size_t fb_route_table_size(const struct fb_route_table *t)
{
    return t == NULL ? 0 : t->n;
}

/* First entry not less than (symbol, dest). */
static size_t route_lower_bound(const struct fb_route_table *t, const char *symbol,
                                const char *dest)
{
    size_t lo = 0;
    size_t hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct route_entry *e = &t->entries[mid];
        if (route_key_cmp(e->symbol, e->dest, symbol, dest) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

enum fb_route_status fb_route_lookup(const struct fb_route_table *t, const char *symbol,
                                     const char *ex_destination, struct fb_route_hit *hit)
{
    const char *dest =
        (ex_destination != NULL && ex_destination[0] != '\0') ? ex_destination : NULL;
    size_t i;
    const struct route_entry *e;

    if (t == NULL || symbol == NULL || t->n == 0)
        return FB_ROUTE_UNKNOWN_SYMBOL;
    i = route_lower_bound(t, symbol, dest);
    e = i < t->n ? &t->entries[i] : NULL;
    if (e != NULL && route_key_cmp(e->symbol, e->dest, symbol, dest) == 0) {
        if (hit != NULL) {
            hit->route_index = e->route_index;
            hit->venue_index = e->venue_index;
            hit->venue_symbol = e->venue_symbol;
        }
        return FB_ROUTE_FOUND;
    }
    /* Not found: the symbol's run, if any, starts at its lower bound with a
     * NULL destination (sorted first). */
    i = route_lower_bound(t, symbol, NULL);
    if (i >= t->n || strcmp(t->entries[i].symbol, symbol) != 0)
        return FB_ROUTE_UNKNOWN_SYMBOL;
    return dest != NULL ? FB_ROUTE_NO_DESTINATION : FB_ROUTE_NO_DEFAULT;
}
