/*
 * A non-blocking HTTP client for venue adapters, over a libcurl multi handle.
 *
 * One struct fb_http per venue: its own connection cache (keep-alive reuse
 * for that venue's host), its own connect and total timeouts, its own CA
 * file. The engine thread drives it: fb_http_submit() only queues;
 * fb_http_run() calls curl_multi_perform (which never waits) and delivers
 * completions through each request's callback; fb_http_next_deadline()
 * says when run() is next due. Nothing here ever sleeps or polls with a
 * timeout. Name resolution is libcurl's threaded resolver (Debian's build).
 *
 * Transport outcomes are classified for the caller's retry logic:
 *   FB_HTTP_RESPONSE   a complete HTTP response (any status);
 *   FB_HTTP_NOT_SENT   failed before a request byte could have left (DNS,
 *                      TCP connect, TLS handshake/verification, or a
 *                      timeout before the connection was ready): safe to
 *                      resend;
 *   FB_HTTP_UNKNOWN    timeout or dropped connection after the request may
 *                      have been sent: the server may have acted;
 *   FB_HTTP_TOO_LARGE  the response exceeded max_response and was aborted
 *                      (the server did act; its answer is lost).
 *
 * Never a silent resend (REFERENCE.md Part H.1): libcurl re-sends a request
 * on its own when a *reused* keep-alive connection dies before any response
 * byte. So the body of every non-idempotent request (POST, PUT, DELETE) goes
 * through a read callback with no seek callback: libcurl cannot rewind it,
 * and fails the transfer (CURLE_SEND_FAIL_REWIND, outcome unknown) where it
 * would have resent. Such requests reuse the warm connection like GETs.
 * HTTP/1.1 only, so that reasoning holds (no h2 multiplexing).
 *
 * A request's `written` callback tells when its last body byte was handed
 * to the socket: the adapters' FIX-in -> REST figure.
 *
 * TLS peer and host verification are always on; ca_file replaces the
 * system store (testnets, the local simulator).
 *
 * Header values (API keys) are never logged; libcurl's verbose mode is
 * never enabled.
 */
#ifndef FB_HTTP_H
#define FB_HTTP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FB_HTTP_MAX_RESPONSE_DEFAULT (4u * 1024u * 1024u) /* body bytes */
#define FB_HTTP_MAX_HEADERS 16384                         /* header block bytes */
#define FB_HTTP_POLL_MS_DEFAULT 2

struct fb_http_params {
    const char *ca_file;     /* NULL: the system store; copied */
    const char *user_agent;  /* NULL: "fixbridge"; copied */
    long connect_timeout_ms; /* > 0 */
    long request_timeout_ms; /* > 0: whole request, connect included */
    size_t max_response;     /* body bytes; 0: FB_HTTP_MAX_RESPONSE_DEFAULT */
    long poll_ms;            /* run() cadence while transfers are active;
                                0: FB_HTTP_POLL_MS_DEFAULT */
};

enum fb_http_method { FB_HTTP_GET = 0, FB_HTTP_POST = 1, FB_HTTP_PUT = 2, FB_HTTP_DELETE = 3 };

enum fb_http_outcome {
    FB_HTTP_RESPONSE = 0,
    FB_HTTP_NOT_SENT = 1,
    FB_HTTP_UNKNOWN = 2,
    FB_HTTP_TOO_LARGE = 3
};

/* What a completion callback sees; valid only during the callback. */
struct fb_http_response {
    enum fb_http_outcome outcome;
    long status;      /* HTTP status (RESPONSE), else 0 */
    const char *body; /* NUL-terminated; "" when none */
    size_t body_len;
    const char *headers; /* the last header block, raw lines; "" when none */
    size_t headers_len;
    int curl_code;     /* CURLcode, 0 on RESPONSE */
    const char *error; /* short static text; "" on RESPONSE */
};

typedef void (*fb_http_done_fn)(void *user, const struct fb_http_response *r);

struct fb_http_request {
    enum fb_http_method method;
    const char *url;  /* absolute, query already encoded; copied */
    const char *body; /* form body or NULL; copied */
    size_t body_len;
    const char *const *headers; /* "Name: value" lines; copied */
    size_t n_headers;
    fb_http_done_fn done; /* called exactly once, from fb_http_run() */
    void *user;
    /* (optional) Called from fb_http_run() once the whole request (body
     * included) has been written to the socket, with written_ns the time
     * after the write; never for a request that failed before that. */
    void (*written)(void *user, int64_t written_ns);
};

struct fb_http;

/* FB_ERR_INVALID for bad params, FB_ERR_NOMEM, FB_ERR_INTERNAL (libcurl). */
enum fb_err fb_http_create(const struct fb_http_params *p, struct fb_http **out) FB_WARN_UNUSED;
/* Aborts what is in flight without calling any callback; NULL is a no-op.
 * Not from inside a callback. */
void fb_http_destroy(struct fb_http *h);

/* Queues a request; it starts on the next fb_http_run(). May be called
 * from inside a callback. */
enum fb_err fb_http_submit(struct fb_http *h, const struct fb_http_request *req) FB_WARN_UNUSED;
/* Advances every transfer without blocking and calls the callbacks of
 * those that finished. now_ns only paces next_deadline. */
enum fb_err fb_http_run(struct fb_http *h, int64_t now_ns) FB_WARN_UNUSED;
/*
 * The sockets to watch, with the events libcurl wants (up to max into fds);
 * returns how many there are (may be more than max) and sets *gen, which
 * changes whenever the set does. Calling it says the caller polls them and
 * calls run() when one is ready: from then on next_deadline() holds only
 * libcurl's own timers, not the poll_ms cadence.
 */
size_t fb_http_poll_fds(struct fb_http *h, struct pollfd *fds, size_t max, uint64_t *gen);
/* When run() is next due; INT64_MAX when idle. */
int64_t fb_http_next_deadline(const struct fb_http *h);
/* Requests queued or in flight. */
size_t fb_http_active(const struct fb_http *h);

/*
 * Finds header `name` (case-insensitive: venues send lower case; Part H.3) in
 * r's last header block. Returns 1 and sets val and vlen (not NUL-terminated,
 * trimmed) if found, else 0.
 */
int fb_http_header(const struct fb_http_response *r, const char *name, const char **val,
                   size_t *vlen);
/*
 * Iterates the header lines: start with *pos = 0; returns 1 and the next
 * name/value (not NUL-terminated, trimmed) until the block ends, then 0.
 */
int fb_http_header_next(const struct fb_http_response *r, size_t *pos, const char **name,
                        size_t *nlen, const char **val, size_t *vlen);

#ifdef __cplusplus
}
#endif
#endif
