/*
 * A Kraken nonce source: strictly increasing per API key, across restarts
 * and clock steps (REFERENCE.md B.3).
 *
 * Nonces are microseconds since the epoch when the clock allows, else
 * last + 1: next = max(now_us, last + 1). To survive a restart without a
 * file write per nonce, the source persists a lease: a value L such that
 * every nonce it has issued is < L. It writes L = next + FB_NONCE_LEASE_US
 * (fsync + rename, so a crash leaves the old or the new value, never a torn
 * one) only when next reaches the current lease, i.e. about once a minute
 * under steady use; after a restart it starts at max(now_us, L). A clock
 * stepped back therefore never repeats a nonce, in or across runs.
 *
 * Time is injected (now_ns); one thread owns a struct fb_nonce. Two
 * processes must not share a key's nonce file (Kraken keeps one counter
 * per key: give each process its own key).
 */
#ifndef FB_NONCE_H
#define FB_NONCE_H

#include <stdint.h>

#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FB_NONCE_LEASE_US 60000000ULL /* 60 s of microseconds */
#define FB_NONCE_PATH_MAX 512

struct fb_nonce {
    char path[FB_NONCE_PATH_MAX]; /* <dir>/<name>.nonce */
    uint64_t last;                /* last nonce issued (0: none) */
    uint64_t lease;               /* persisted: every issued nonce is < lease */
};

/*
 * Opens (or creates on first use) the nonce state for `name` (1..64 chars
 * of [A-Za-z0-9._-], e.g. the venue name) under the existing directory dir.
 * FB_ERR_INVALID for a bad name, FB_ERR_PARSE for a corrupt file (never
 * silently restarted from zero), FB_ERR_IO for I/O errors.
 */
enum fb_err fb_nonce_open(struct fb_nonce *n, const char *dir, const char *name) FB_WARN_UNUSED;

/* The next nonce (> every nonce issued before for this file). May write the
 * lease file; FB_ERR_IO if that fails, in which case no nonce is issued. */
enum fb_err fb_nonce_next(struct fb_nonce *n, int64_t now_ns, uint64_t *out) FB_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif
