/*
 * fix_initiator.h -- a C API over a QuickFIX SocketInitiator: one FIX
 * session that connects out, for `fixbridge client` and for tests that play
 * the OMS against the bridge.
 *
 * Conventions (after leveldb's c.h, as in fix_shim.h):
 *  1. Only opaque handles cross this boundary (fb_fix_initiator,
 *     fb_fix_imsg). No QuickFIX type and no C++ exception ever does: every
 *     entry point catches everything and returns an enum fb_err (or NULL).
 *  2. Errors: a function that can fail returns FB_OK or an error code and, if
 *     `errptr` is non-NULL, stores a malloc()ed message there (freeing any old
 *     one). The caller frees it with free(). On success *errptr is untouched.
 *  3. Strings are NUL-terminated; field values are always strings, exactly as
 *     they appeared on the wire, so no price or quantity passes through a
 *     double.
 *  4. Ownership: fb_fix_initiator_new() copies everything it needs from the
 *     config struct (the password included); the caller may free it after.
 *     An fb_fix_imsg and every string read from it are borrowed: valid only
 *     during the callback that got it.
 *  5. Threads: QuickFIX runs one I/O thread per initiator. All callbacks run
 *     on it, one at a time, while QuickFIX holds the session's lock: a
 *     callback must not block and must not wait on a lock that another
 *     thread holds while calling fb_fix_initiator_send() (quickfix issue
 *     266). fb_fix_initiator_send() may be called from any thread.
 *  6. Secrets: the Password(554) is added to the Logon in toAdmin and never
 *     logged. Text handed to on_raw has every 554 (and NewPassword 925)
 *     value replaced by "***". There is no message log on disk.
 *
 * Messages are plain: the store is in memory (a client keeps no state
 * between runs, so it normally logs on with ResetSeqNumFlag(141)=Y), and
 * with dictionary == NULL nothing inbound is validated, so the client shows
 * exactly what the counterparty sent.
 */
#ifndef FB_FIX_INITIATOR_H
#define FB_FIX_INITIATOR_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fb_fix_initiator fb_fix_initiator;
typedef struct fb_fix_imsg fb_fix_imsg;

/* The one session the initiator runs. All strings are copied. */
struct fb_fix_initiator_cfg {
    const char *begin_string;   /* "FIX.4.2" or "FIX.4.4" */
    const char *sender_comp_id; /* ours (the OMS's) */
    const char *target_comp_id; /* the bridge's */
    const char *host;           /* IPv4/IPv6 literal or name */
    uint16_t port;
    int heartbeat_s;      /* HeartBtInt(108); 0 = 30 */
    int reset_on_logon;   /* nonzero: reset sequence numbers, send 141=Y */
    int reconnect_s;      /* delay between connection attempts; 0 = 1 */
    int logon_timeout_s;  /* 0 = QuickFIX default (10) */
    const char *dictionary; /* data dictionary XML path; NULL: no validation */
    /* Optional credentials, sent on Logon as Username(553)/Password(554).
     * username NULL: none. password is the clear text (resolved by the
     * caller, e.g. from an environment variable); NULL: Username only. */
    const char *username;
    const char *password;
};

struct fb_fix_initiator_callbacks {
    void *user;
    void (*on_logon)(void *user);
    /* Called when a logged-on (or logging-on) session ends, also when the
     * counterparty refused the Logon. */
    void (*on_logout)(void *user);
    /* An inbound application message. May be NULL. */
    void (*on_app)(void *user, const fb_fix_imsg *msg);
    /* An inbound session-level message (Logon, Logout, Reject, Heartbeat,
     * TestRequest, ResendRequest, SequenceReset). May be NULL. */
    void (*on_admin)(void *user, const fb_fix_imsg *msg);
    /* Engine diagnostics, for a verbose mode. May be NULL. direction is
     * '<' for an inbound message, '>' for an outbound one and '-' for an
     * event ("Connecting to ...", "Connection failed"). Messages come
     * SOH-delimited with secrets redacted. */
    void (*on_raw)(void *user, char direction, const char *text);
};

/* Creates an initiator; nothing connects until start. On error returns NULL
 * and sets *errptr. Free with fb_fix_initiator_free(). */
fb_fix_initiator *fb_fix_initiator_new(const struct fb_fix_initiator_cfg *cfg,
                                       const struct fb_fix_initiator_callbacks *cb,
                                       char **errptr);

/* Starts the I/O thread, which connects (and reconnects every reconnect_s
 * seconds) and logs on. Returns before the logon; watch on_logon or poll
 * fb_fix_initiator_logged_on(). */
enum fb_err fb_fix_initiator_start(fb_fix_initiator *ini, char **errptr);

/* 1 if the session is logged on. */
int fb_fix_initiator_logged_on(fb_fix_initiator *ini);

/* Sends Logout, waits up to timeout_ms for the counterparty's Logout, then
 * disconnects and stops the I/O thread. Safe to call more than once and
 * before start. Must not be called from a callback. */
void fb_fix_initiator_stop(fb_fix_initiator *ini, int timeout_ms);

/* Stops (if needed) and frees. NULL is allowed. */
void fb_fix_initiator_free(fb_fix_initiator *ini);

/* One outbound field. value is copied. */
struct fb_fix_ifield {
    int tag;
    const char *value;
};

/*
 * Sends a message of type msg_type (e.g. "D") with the given body fields;
 * the engine fills the header and trailer. Thread safe. Returns FB_ERR_STATE
 * if the session is not logged on (nothing is sent), FB_ERR_INVALID for a
 * bad tag or an empty value.
 */
enum fb_err fb_fix_initiator_send(fb_fix_initiator *ini, const char *msg_type,
                                  const struct fb_fix_ifield *fields, size_t nfields,
                                  char **errptr);

/* --- Reading an inbound message (valid only inside the callback) --------- */

/* MsgType (35). */
const char *fb_fix_imsg_type(const fb_fix_imsg *m);
/* Value of a header, body or trailer field, or NULL if absent. */
const char *fb_fix_imsg_get(const fb_fix_imsg *m, int tag);
/* Number of top-level body fields, and the i-th one. Returns 0 on success,
 * -1 if i is out of range. */
size_t fb_fix_imsg_field_count(const fb_fix_imsg *m);
int fb_fix_imsg_field_at(const fb_fix_imsg *m, size_t i, int *tag, const char **value);
/* The whole message, SOH-delimited, with Password(554)/NewPassword(925)
 * values replaced by "***". *len gets its length. */
const char *fb_fix_imsg_raw(const fb_fix_imsg *m, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
