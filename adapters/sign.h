/*
 * Request signing for the REST venues (pure: no I/O, no clock; the only
 * state is an fb_sign_key its owner keeps).
 *
 * Binance (REFERENCE.md A.4): hex(HMAC-SHA256(secret, query || body)) over
 * exactly the bytes sent, after percent-encoding. Kraken (B.2):
 * base64(HMAC-SHA512(base64decode(secret), path || SHA256(nonce || postdata))).
 *
 * Secrets are only read; nothing here logs them, and only an fb_sign_key
 * keeps one (as its HMAC state), until it is freed.
 */
#ifndef FB_SIGN_H
#define FB_SIGN_H

#include <stddef.h>

#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FB_SIGN_BINANCE_HEX_LEN 64 /* hex HMAC-SHA256, NUL not included */
#define FB_SIGN_KRAKEN_B64_LEN 88  /* base64 HMAC-SHA512, NUL not included */

/*
 * Percent-encodes n bytes of in per REFERENCE.md A.4: every byte except
 * A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex). Writes at most cap bytes
 * including a NUL and returns the encoded length; FB_ERR_TOO_LARGE (out
 * holds "") when it does not fit. *outlen may be NULL.
 */
enum fb_err fb_pct_encode(const char *in, size_t n, char *out, size_t cap,
                          size_t *outlen) FB_WARN_UNUSED;

/*
 * Binance HMAC signature. The signed payload is query followed directly by
 * body (no separator; either may be empty). out receives 64 lower-case hex
 * characters and a NUL. FB_ERR_INVALID on NULL arguments or an empty secret.
 */
enum fb_err fb_sign_binance(const char *secret, const char *query, size_t qlen, const char *body,
                            size_t blen, char out[FB_SIGN_BINANCE_HEX_LEN + 1]) FB_WARN_UNUSED;

/*
 * A Binance secret made ready to sign with: the HMAC-SHA256 state after the
 * key, computed once. Signing from scratch fetches the algorithm, allocates
 * a context and hashes the padded key twice for every request (~1.5 µs of
 * the order path); with a key, a request hashes only its payload. The key
 * holds secret material (fb_sign_key_free cleanses it) and is changed by
 * each signature: one thread at a time.
 */
struct fb_sign_key;

/* FB_ERR_INVALID on NULL or an empty secret, FB_ERR_INTERNAL (OpenSSL). */
enum fb_err fb_sign_key_new(const char *secret, struct fb_sign_key **out) FB_WARN_UNUSED;
/* NULL is a no-op. */
void fb_sign_key_free(struct fb_sign_key *k);

/* fb_sign_binance with a prepared key: the same 64 hex characters. */
enum fb_err fb_sign_binance_key(struct fb_sign_key *k, const char *query, size_t qlen,
                                const char *body, size_t blen,
                                char out[FB_SIGN_BINANCE_HEX_LEN + 1]) FB_WARN_UNUSED;

/*
 * Kraken API-Sign. secret_b64 is the API secret as Kraken gives it (standard
 * base64); path is the URI path ("/0/private/AddOrder"); nonce is the
 * decimal text also present as nonce= in postdata. out receives 88 base64
 * characters and a NUL. FB_ERR_INVALID on bad base64 or NULL arguments.
 */
enum fb_err fb_sign_kraken(const char *secret_b64, const char *path, const char *nonce,
                           const char *postdata, size_t plen,
                           char out[FB_SIGN_KRAKEN_B64_LEN + 1]) FB_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif
