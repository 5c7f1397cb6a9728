/*
 * vsim_http: what the venue simulators (vsim_binance, vsim_kraken) share --
 * the loopback HTTP server (libmicrohttpd, one thread per connection so a
 * delayed answer holds up only its own connection, TCP_NODELAY: REFERENCE.md
 * H.5), request parameters (query + form body, percent-decoded) and the
 * queue of injected faults with its "kind=K&count=N&on=OP&ms=..&retry_after=.."
 * syntax. What an answer says (JSON, error codes) is each venue's own.
 *
 * Threading: the handler runs on a connection thread; it takes its venue's
 * lock itself. The server sleeps (delay) and drops connections outside any
 * lock the handler held.
 */
#ifndef FB_VSIM_HTTP_H
#define FB_VSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adapters/sim.h"
#include "adapters/sim_book.h"
#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FB_VSIM_URI_MAX 4096
#define FB_VSIM_BODY_MAX 8192 /* a longer body is refused (too_large) */
#define FB_VSIM_FAULTS_MAX 16
#define FB_VSIM_FAULT_COUNT_MAX 1000000
#define FB_VSIM_FAULT_MS_MAX 600000 /* 10 minutes */
#define FB_VSIM_FAULT_RETRY_MAX 3600

/* What a simulator is started with (fb_vsim_start, fb_vsim_kraken_start). */
struct fb_vsim_params {
    struct fb_sim_params sim; /* markets, seed, tick_ms, fees, fill mode */
    const char *api_key;      /* values (the caller reads the environment) */
    const char *api_secret;
    uint16_t port; /* 0: any free port */
};

/* The checks every simulator's start makes on p: an API key and secret
 * (non-empty, shorter than key_cap and secret_cap, the sizes of the
 * simulator's copies), 1 to FB_SIM_MARKETS_MAX markets and tick_ms >= 1.
 * FB_ERR_INVALID with a reason in err. */
enum fb_err fb_vsim_params_check(const struct fb_vsim_params *p, size_t key_cap,
                                 size_t secret_cap, char *err, size_t errlen) FB_WARN_UNUSED;

#define VS_PARAMS_MAX 40
#define VS_KEY_MAX 47
#define VS_VAL_MAX 767

/* Decoded request parameters (query wins over body for a repeated key). */
struct vs_params {
    size_t n;
    struct {
        char k[VS_KEY_MAX + 1];
        char v[VS_VAL_MAX + 1];
        bool read;
    } kv[VS_PARAMS_MAX];
};

enum fb_vsim_perr {
    FB_VSIM_P_OK = 0,
    FB_VSIM_P_BAD,  /* a key or value too long to decode */
    FB_VSIM_P_DUP,  /* the same key twice in one source */
    FB_VSIM_P_MANY  /* more than VS_PARAMS_MAX keys */
};

/* Adds the pairs of s (a query or a form body); earlier sources win for
 * a key repeated across sources (add the query first). */
enum fb_vsim_perr fb_vsim_params_add(struct vs_params *p, const char *s) FB_WARN_UNUSED;
/* The value of k (NULL if absent or empty); marks k read. */
const char *fb_vsim_param(struct vs_params *p, const char *k);
/* How many of p's keys are in the NULL-terminated names. */
size_t fb_vsim_params_known(const struct vs_params *p, const char *const *names);
/* The first of p's keys not in names, or NULL. */
const char *fb_vsim_params_unknown(const struct vs_params *p, const char *const *names);

/* ---- what the venues' answers are built from ----
 * The JSON and the syntax rules are each venue's; these are the pieces
 * they write the same way. */

/* Copies at most cap - 1 bytes of src into dst, always terminated. */
void fb_vsim_copy_str(char *dst, size_t cap, const char *src);
/* A plain decimal: 1 to 20 integer digits, then optionally '.' and 1 to
 * max_frac digits (no sign, no exponent). */
bool fb_vsim_dec_syntax(const char *s, size_t max_frac);
/* d as a JSON string, as fb_dec_format writes it. New reference. */
struct json_t *fb_vsim_jdec(struct fb_dec d);
/* j as compact JSON, keys in insertion order: a malloc'd string, or NULL
 * (j NULL or out of memory). Takes j's reference. */
char *fb_vsim_dumps(struct json_t *j);

/* ---- requests and orders per client order id (duplicate detection) ---- */

struct vs_count {
    char id[FB_VENUE_CLORDID_MAX + 1];
    uint32_t posts, orders; /* new-order requests received, orders made */
};

struct fb_vsim_counts {
    struct vs_count *a;
    size_t n, cap;
};

/* id's entry, added (zeroed) if new; NULL on out of memory. */
struct vs_count *fb_vsim_count(struct fb_vsim_counts *c, const char *id);
/* [{"clientOrderId","posts","orders"}...], only id's if only != NULL.
 * New reference. */
struct json_t *fb_vsim_counts_json(const struct fb_vsim_counts *c, const char *only);
void fb_vsim_counts_free(struct fb_vsim_counts *c);

/* ---- arrivals: when each new-order request reached the server ----
 * For fbbench (README "Performance", part c): the benchmark pairs each
 * newClientOrderId's arrival with the time it sent the FIX order. Append
 * only (a retried POST is a second entry), capped so a long-lived
 * simulator's memory stays bounded. CLOCK_MONOTONIC: system-wide, so the
 * benchmark on the same host compares it with its own clock. */

#define FB_VSIM_ARRIVALS_MAX (1u << 20)

struct fb_vsim_arrival {
    char id[FB_VENUE_CLORDID_MAX + 1];
    int64_t line_ns, complete_ns;
};

struct fb_vsim_arrivals {
    struct fb_vsim_arrival *a;
    size_t n, cap;
    uint64_t dropped; /* past FB_VSIM_ARRIVALS_MAX */
};

void fb_vsim_arrival_add(struct fb_vsim_arrivals *v, const char *id, int64_t line_ns,
                         int64_t complete_ns);
/* {EXTRA"clock":"CLOCK_MONOTONIC","dropped":N,"arrivals":[[id,line_ns,complete_ns],...]}
 * (extra: "" or members ending in ','). A malloc'd string, NULL on out of memory. */
char *fb_vsim_arrivals_text(const struct fb_vsim_arrivals *v, const char *extra);
void fb_vsim_arrivals_free(struct fb_vsim_arrivals *v);

/* ---- the book's clock ---- */

/* splitmix64: the simulators' deterministic random numbers. */
uint64_t fb_vsim_splitmix(uint64_t *state);
/* Price walk (volatility_bps) and a matching pass per market, one step per
 * p->tick_ms up to now_ns, caught up lazily on the next request (a gap of
 * over 1000 steps is skipped). *next_tick_ns == 0 starts the clock. */
void fb_vsim_tick(struct fb_sim_book *b, const struct fb_sim_params *p, uint64_t *rng,
                  int64_t *next_tick_ns, int64_t now_ns);

/* The control endpoint's price move (POST /__sim/price): market m's
 * touch set around px (its spread_bps), then a matching pass. */
enum fb_err fb_vsim_move_price(struct fb_sim_book *b, const struct fb_sim_params *p, size_t m,
                               struct fb_dec px, int64_t now_ns) FB_WARN_UNUSED;
/* Its answer: {"symbol","price","bid","ask"} of market m. New reference. */
struct json_t *fb_vsim_price_json(const struct fb_sim_book *b, size_t m, const char *symbol);

/* ---- faults ---- */

/* Every kind any simulator knows; each accepts those in its name table. */
enum vs_fault_kind {
    VS_F_5XX_AFTER = 0,    /* run the request, answer 5xx */
    VS_F_5XX_BEFORE,       /* answer 5xx without running it */
    VS_F_DELAY_AFTER,      /* run it, answer after ms */
    VS_F_DROP_AFTER,       /* run it, close the connection without an answer */
    VS_F_MALFORMED_AFTER,  /* run it, answer half the JSON */
    VS_F_429,              /* HTTP 429 with Retry-After, not run */
    VS_F_1007_AFTER,       /* Binance: run it, answer -1007 */
    VS_F_UNAVAIL_AFTER,    /* Kraken: run it, answer EService:Unavailable */
    VS_F_RATE_LIMIT,       /* Kraken: EAPI:Rate limit exceeded, not run */
    VS_F_ORDER_RATE_LIMIT, /* Kraken: EOrder:Rate limit exceeded, not run */
    VS_F_HIDE_TRADES       /* Binance: run it; the order it makes keeps its trades out of
                            * myTrades for ms after each trade (on=new or replace) */
};

enum vs_on { VS_ON_NEW = 0, VS_ON_CANCEL, VS_ON_REPLACE, VS_ON_QUERY, VS_ON_ANY };

struct vs_fault {
    enum vs_fault_kind kind;
    enum vs_on on;
    uint32_t count;
    uint32_t ms;
    uint32_t retry_after;
};

struct fb_vsim_fault_name {
    const char *name;
    enum vs_fault_kind kind;
};

struct fb_vsim_faults {
    struct vs_fault f[FB_VSIM_FAULTS_MAX];
    size_t n;
};

/* Queues the fault p describes (kind= one of names[0..n_names), or
 * "clear" to empty the queue); defaults count 1, on=new, ms 3000,
 * retry_after 1. count is 1..FB_VSIM_FAULT_COUNT_MAX, ms
 * 0..FB_VSIM_FAULT_MS_MAX (hide_trades: at least 1), retry_after
 * 0..FB_VSIM_FAULT_RETRY_MAX, all in decimal digits. FB_ERR_INVALID with
 * a reason in err. */
enum fb_err fb_vsim_fault_add(struct fb_vsim_faults *q, struct vs_params *p,
                              const struct fb_vsim_fault_name *names, size_t n_names, char *err,
                              size_t errlen) FB_WARN_UNUSED;
/* Takes one use of the first queued fault for op, if any. */
bool fb_vsim_fault_take(struct fb_vsim_faults *q, enum vs_on op, struct vs_fault *out);

/* ---- the server ---- */

struct fb_vsim_request {
    const char *method;
    const char *path;  /* without the query */
    const char *query; /* after '?', "" if none */
    const char *body;  /* NUL-terminated, "" if none */
    size_t body_len;
    bool too_large; /* the body went over FB_VSIM_BODY_MAX and was cut */
    void *conn;     /* for fb_vsim_header() */
    /* Arrivals (fbbench's FIX-in -> REST measure): CLOCK_MONOTONIC ns when
     * the server had read the request line, and when the whole request. */
    int64_t line_ns, complete_ns;
};

/* A request header's value (case-insensitive name), or NULL. */
const char *fb_vsim_header(const struct fb_vsim_request *rq, const char *name);

#define FB_VSIM_HEADERS_MAX 6

struct fb_vsim_reply {
    unsigned http;      /* 0: 500 */
    char *body;         /* malloc'd by the handler, freed by the server; NULL: "{}" */
    bool not_json;      /* text/plain instead of application/json */
    uint32_t delay_ms;  /* wait this long before answering */
    bool drop;          /* close the connection without answering */
    size_t n_headers;
    struct {
        char name[32];
        char value[32];
    } headers[FB_VSIM_HEADERS_MAX];
};

/* Adds a header to r (ignored past FB_VSIM_HEADERS_MAX). */
void fb_vsim_reply_header(struct fb_vsim_reply *r, const char *name, const char *value);

typedef void (*fb_vsim_handler)(void *user, const struct fb_vsim_request *rq,
                                struct fb_vsim_reply *rp);

struct fb_vsim_http;

/* Binds 127.0.0.1:port (0: any free port) and serves h(user, ...). */
enum fb_err fb_vsim_http_start(uint16_t port, fb_vsim_handler h, void *user,
                               struct fb_vsim_http **out, char *err, size_t errlen) FB_WARN_UNUSED;
uint16_t fb_vsim_http_port(const struct fb_vsim_http *s);
/* Stops serving: cuts delays short, waits for connection threads, frees. */
void fb_vsim_http_stop(struct fb_vsim_http *s);

#ifdef __cplusplus
}
#endif
#endif
