/*
 * fix_raw.h -- small pure helpers over raw FIX text (SOH-delimited), used
 * where the bridge must look at a message before QuickFIX does: the Logon
 * guard, and redaction before anything is written to a log.
 *
 * No allocation, no I/O; safe from any thread.
 */
#ifndef FB_FIX_RAW_H
#define FB_FIX_RAW_H

#include <stddef.h>

#include "bridge/error.h"
#include "fix/fix_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Finds the first field `tag` in msg[0..len). Returns 1 and points *val and *vlen
 * at its value (not NUL-terminated) if present, else 0. */
int fb_fix_raw_get(const char *msg, size_t len, int tag, const char **val, size_t *vlen);

/*
 * Copies msg to out (capacity outlen, always NUL-terminated, truncated if
 * needed) with the value of every secret field replaced by three asterisks: Password
 * (554), NewPassword (925), RawData (96, may carry credentials in Logon) and
 * SecureData (91). Returns the length written.
 */
size_t fb_fix_redact(const char *msg, size_t len, char *out, size_t outlen);

/*
 * Decides whether a Logon may reach the FIX engine for the session cfg.
 * Checks HeartBtInt (108) within [hb_min, hb_max] and, if cfg->username is
 * set, Username (553) and Password (554) against cfg->password or
 * cfg->password_hash. Returns FB_OK, or FB_ERR_AUTH / FB_ERR_INVALID with a
 * reason for the Logout's Text written to reason (never contains the secret).
 */
enum fb_err fb_logon_check(const struct fb_fix_session_cfg *cfg, int hb_min, int hb_max,
                           const char *msg, size_t len, char *reason, size_t reasonlen);

/* Verifies password against "sha256:SALTHEX:HASHHEX". 1 if it matches. */
int fb_password_hash_matches(const char *spec, const char *password, size_t pwlen);

#ifdef __cplusplus
}
#endif
#endif
