/*
 * route.h -- FIX Symbol(55) + ExDestination(100) -> venue and venue symbol.
 *
 * The config loader fills a plain array of struct fb_route; fb_route_table_new
 * copies it into a sorted table, so a lookup is a binary search (O(log n), no
 * allocation): it sits on the order hot path.
 *
 * Matching rules:
 *  - a route with an ex_destination matches only a message whose
 *    ExDestination(100) equals it exactly;
 *  - a route without one (NULL) is the symbol's default, used when the
 *    message carries no ExDestination;
 *  - an ExDestination no route names is a miss, never a fall-back to the
 *    default: the OMS asked for a destination we do not have.
 *
 * Pure: no I/O, no globals. A built table is immutable, so lookups from any
 * number of threads are safe.
 */
#ifndef FB_ROUTE_H
#define FB_ROUTE_H

#include <stddef.h>

#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One configured route. Strings are borrowed only during
 * fb_route_table_new(), which copies them. */
struct fb_route {
    const char *symbol;         /* FIX Symbol(55), e.g. "BTC/USDT" */
    const char *ex_destination; /* ExDestination(100) it serves; NULL = default */
    size_t venue_index;         /* index into the configured venues */
    const char *venue_symbol;   /* the venue's name, e.g. "BTCUSDT" */
};

/* Opaque: built by fb_route_table_new, freed by fb_route_table_free. */
struct fb_route_table;

/* Longest symbol, ex_destination or venue_symbol a route may have (bytes,
 * NUL not included); equal to FB_SYMBOL_LEN in bridge/order.h so that every
 * routed symbol fits an intent. */
#define FB_ROUTE_NAME_MAX 32

/*
 * Builds a table from n routes. Every venue_index must be < venue_count.
 * Refuses (FB_ERR_CONFIG, reason in err) an empty symbol or venue symbol, an
 * empty ex_destination (use NULL), names longer than FB_ROUTE_NAME_MAX and two
 * routes with the same symbol and ex_destination. err (errlen bytes) gets a
 * NUL-terminated reason that names the route by its index ("routes[3]: ...").
 * On success *out owns copies of all strings; free with fb_route_table_free.
 * n == 0 is allowed (every lookup then misses).
 */
enum fb_err fb_route_table_new(const struct fb_route *routes, size_t n, size_t venue_count,
                               struct fb_route_table **out, char *err,
                               size_t errlen) FB_WARN_UNUSED;

/* Frees t; NULL is a no-op. */
void fb_route_table_free(struct fb_route_table *t);

/* Number of routes in t. */
size_t fb_route_table_size(const struct fb_route_table *t);

enum fb_route_status {
    FB_ROUTE_FOUND = 0,          /* *hit is filled */
    FB_ROUTE_UNKNOWN_SYMBOL = 1, /* no route at all for the symbol */
    FB_ROUTE_NO_DESTINATION = 2, /* symbol known, ExDestination names no route */
    FB_ROUTE_NO_DEFAULT = 3      /* symbol known only with ExDestinations, none given */
};

/* What a lookup found. Pointers point into the table and live as long as it. */
struct fb_route_hit {
    size_t route_index; /* index in the array given to fb_route_table_new */
    size_t venue_index;
    const char *venue_symbol;
};

/*
 * Finds the route for symbol and ex_destination (NULL or "" = none given).
 * hit may be NULL when only the status matters.
 */
enum fb_route_status fb_route_lookup(const struct fb_route_table *t, const char *symbol,
                                     const char *ex_destination, struct fb_route_hit *hit);

#ifdef __cplusplus
}
#endif
#endif
