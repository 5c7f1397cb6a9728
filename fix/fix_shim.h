/*
 * fix_shim.h -- a C API over the QuickFIX C++ engine.
 *
 * Conventions (after leveldb's c.h):
 *  1. Only opaque handles cross this boundary (fb_fix_acceptor, fb_fix_msg).
 *     No QuickFIX type and no C++ exception ever does: every entry point
 *     catches everything and returns an enum fb_err.
 *  2. Errors: a function that can fail returns FB_OK or an error code and, if
 *     `errptr` is non-NULL, stores a malloc()ed message there (freeing any old
 *     one). The caller frees it with free(). On success *errptr is untouched.
 *  3. Strings are NUL-terminated; field values are always strings, exactly as
 *     they appeared on the wire, so no price or quantity passes through a
 *     double.
 *  4. Ownership: the acceptor copies everything it needs from the config
 *     structs during fb_fix_acceptor_new(); the caller may free them after.
 *     An fb_fix_msg is borrowed: valid only during the callback that got it.
 *  5. Threads: the acceptor runs one I/O thread of its own. All callbacks run
 *     on that thread, one at a time, while QuickFIX holds the session's lock:
 *     a callback must not block and must not wait on a lock that another
 *     thread holds while calling fb_fix_send() (quickfix issue 266).
 *     on_io_idle runs on that thread too, outside every session's lock.
 *     fb_fix_send() may be called from any thread, including from inside a
 *     callback.
 *
 * The shim owns the sockets (QuickFIX's own acceptor binds every interface):
 * it listens on the configured address only, does TLS and the source-address
 * allow-list itself, and authenticates a Logon *before* QuickFIX sees it, so
 * that a refused Logon carrying ResetSeqNumFlag(141)=Y resets nothing.
 */
#ifndef FB_FIX_SHIM_H
#define FB_FIX_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fb_fix_acceptor fb_fix_acceptor;
typedef struct fb_fix_msg fb_fix_msg;

enum fb_fix_reset {
    FB_FIX_RESET_ON_LOGON = 0, /* sequence numbers reset on every logon */
    FB_FIX_RESET_NEVER = 1,    /* never reset; the session never ends */
    FB_FIX_RESET_DAILY = 2     /* reset once a day at reset_time (UTC) */
};

enum fb_fix_store {
    FB_FIX_STORE_FILE = 0,  /* file store under data_dir (survives restarts) */
    FB_FIX_STORE_MEMORY = 1 /* in memory (tests) */
};

/* One FIX session the acceptor accepts. All strings are copied. */
struct fb_fix_session_cfg {
    const char *name;           /* label for logs, e.g. "oms1" */
    const char *begin_string;   /* "FIX.4.2" or "FIX.4.4" */
    const char *sender_comp_id; /* ours */
    const char *target_comp_id; /* the OMS's */
    const char *listen_addr;    /* e.g. "127.0.0.1" */
    uint16_t port;
    const char *dictionary; /* path of the QuickFIX data dictionary XML */
    enum fb_fix_reset reset;
    const char *reset_time; /* "HH:MM:SS" UTC, for FB_FIX_RESET_DAILY */
    /* Trading-session schedule ("HH:MM:SS" UTC; NULL for always). Outside
     * it logons are refused. start_day/end_day: NULL or "mon".."sun". */
    const char *start_time;
    const char *end_time;
    const char *start_day;
    const char *end_day;
    enum fb_fix_store store;
    const char *data_dir;      /* store and message log go below it */
    int log_messages;          /* write the FIX message log (554 redacted) */
    int max_latency_s;         /* SendingTime tolerance; 0 = QuickFIX default */
    int heartbeat_min_s;       /* a Logon's HeartBtInt must be within [min, max]; */
    int heartbeat_max_s;       /*   0 and 0 mean 1..300 */
    int logon_timeout_s;       /* 0 = default */
    /* Credentials. If username is NULL the Logon is not authenticated. The
     * password is either given in clear (password, resolved by the caller from
     * an environment variable) or as "sha256:SALTHEX:HASHHEX" in
     * password_hash, where HASH = SHA-256(SALT bytes || password). */
    const char *username;
    const char *password;
    const char *password_hash;
    /* TLS. If tls_cert is NULL the listener is plain TCP. Sessions sharing a
     * listen address and port must agree on TLS settings. */
    const char *tls_cert;
    const char *tls_key;
    const char *tls_ca;        /* CA for client certificates */
    int tls_require_client_cert;
    /* Source-address allow-list: entries like "127.0.0.1" or "10.0.0.0/8".
     * allow_count == 0 admits any address. */
    const char *const *allow;
    size_t allow_count;
};

/* What the application callback tells the engine to do with a message. */
enum fb_fix_app_result {
    FB_FIX_APP_OK = 0,            /* accepted (any answer is sent separately) */
    FB_FIX_APP_UNSUPPORTED = 1,   /* answer BusinessMessageReject 380=3 */
    /* Session-level Reject (35=3) naming *ref_tag, sent by the engine so the
     * sequence numbers and 45/371/372/373 stay exactly as FIX requires: */
    FB_FIX_APP_MISSING_TAG = 2,   /* 373=1 required tag missing */
    FB_FIX_APP_BAD_FORMAT = 3,    /* 373=6 incorrect data format */
    FB_FIX_APP_BAD_VALUE = 4      /* 373=5 value is incorrect for this tag */
};

struct fb_fix_callbacks {
    void *user;
    /* session_index is the index into the cfg array given at creation. */
    void (*on_logon)(void *user, size_t session_index);
    void (*on_logout)(void *user, size_t session_index);
    /* An application message that passed session-level validation. Must
     * only decode and enqueue. For the FB_FIX_APP_*_TAG/FORMAT/VALUE results
     * it sets *ref_tag. May be NULL (then every message gets 35=j). */
    enum fb_fix_app_result (*on_app)(void *user, size_t session_index, const fb_fix_msg *msg,
                                     int *ref_tag);
    /* The I/O thread has handled what one wake-up brought and is about to
     * wait again; it holds no session's lock here. Work the callbacks above
     * began may end here (once for a whole batch of messages). May be NULL. */
    void (*on_io_idle)(void *user);
};

/* Creates an acceptor for n sessions. Nothing listens until start. On error
 * returns NULL and sets *errptr. Free with fb_fix_acceptor_free(). */
fb_fix_acceptor *fb_fix_acceptor_new(const struct fb_fix_session_cfg *cfgs, size_t n,
                                     const struct fb_fix_callbacks *cb, char **errptr);

/* Binds the listeners and starts the I/O thread. */
enum fb_err fb_fix_acceptor_start(fb_fix_acceptor *a, char **errptr);

/* Sends Logout to every logged-on session, waits up to timeout_ms for the
 * counterparties' Logout, closes every connection, stops the I/O thread and
 * flushes the stores. Safe to call more than once. */
void fb_fix_acceptor_stop(fb_fix_acceptor *a, int timeout_ms);

/* Stops (if needed) and frees. NULL is allowed. */
void fb_fix_acceptor_free(fb_fix_acceptor *a);

/* The port actually bound for session i (useful when the config said 0). */
uint16_t fb_fix_acceptor_port(const fb_fix_acceptor *a, size_t session_index);

/* 1 if session i is logged on. */
int fb_fix_session_logged_on(fb_fix_acceptor *a, size_t session_index);

/* Next sequence numbers of session i (for tests and status pages). */
enum fb_err fb_fix_session_seqnums(fb_fix_acceptor *a, size_t session_index,
                                   uint64_t *next_sender, uint64_t *next_target);

/* One outbound field. value is copied. */
struct fb_fix_field {
    int tag;
    const char *value;
};

/*
 * Sends an application message of type msg_type (e.g. "8") with the body
 * fields in the given order; the engine fills the header and trailer (a
 * header tag among the fields, e.g. PossResend 97, goes to the header). Thread
 * safe. Returns FB_ERR_STATE if the session is not logged on (QuickFIX then
 * keeps the message in its store for resend, as FIX requires).
 */
enum fb_err fb_fix_send(fb_fix_acceptor *a, size_t session_index, const char *msg_type,
                        const struct fb_fix_field *fields, size_t nfields, char **errptr);

/*
 * Corks the calling thread: until fb_fix_uncork(), what it sends with
 * fb_fix_send() is stored and sequenced as usual but written to each
 * session's socket once, at uncork (one write for a batch of reports).
 * Other threads' messages keep their order with the queued ones. Nests;
 * the outermost uncork writes. Never fails.
 */
void fb_fix_cork(fb_fix_acceptor *a);
void fb_fix_uncork(fb_fix_acceptor *a);

/* --- Reading an inbound message (valid only inside on_app) --------------- */

/* MsgType (35). */
const char *fb_fix_msg_type(const fb_fix_msg *m);
/* When the bytes of m were read off its socket (ns since the epoch,
 * CLOCK_REALTIME): where the bridge's own latency for it starts. */
int64_t fb_fix_msg_read_ns(const fb_fix_msg *m);
/* Value of a header or body field, or NULL if absent. */
const char *fb_fix_msg_get(const fb_fix_msg *m, int tag);
/* Number of top-level body fields, and the i-th one (in message order).
 * Repeating groups are reached through fb_fix_msg_group_*. */
size_t fb_fix_msg_field_count(const fb_fix_msg *m);
int fb_fix_msg_field_at(const fb_fix_msg *m, size_t i, int *tag, const char **value);
/* Number of instances of the group counted by count_tag, and a field of
 * instance i (0-based), or NULL. */
size_t fb_fix_msg_group_count(const fb_fix_msg *m, int count_tag);
const char *fb_fix_msg_group_get(const fb_fix_msg *m, int count_tag, size_t i, int tag);
/* The whole message as received (SOH-delimited), e.g. for the journal. */
const char *fb_fix_msg_raw(const fb_fix_msg *m, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
