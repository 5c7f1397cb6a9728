/*
 * config.h -- the bridge's one YAML configuration file, loaded into typed
 * structs.
 *
 * Every key is one row of a table (config/keys.c); config/fixbridge.example.yaml
 * documents each of them. Loading is all or nothing: either *out gets a
 * complete, validated config, or nothing is returned and *errptr lists every
 * problem found (up to FB_CONFIG_MAX_ERRORS), one per line, each as
 *
 *     file:line:col: sessions[1].credentials.password_env: reason
 *
 * Secrets never enter the config: it holds only the *names* of environment
 * variables (password_env, api_key_env, api_secret_env). The loader never
 * reads those variables and no message or summary ever prints a value from
 * the file, so an error report is safe to paste into a ticket.
 *
 * Relative paths (data_dir, dictionary_dir, tls files, ca_file) are resolved
 * against the directory of the config file and stored resolved.
 *
 * Ownership: an fb_config and everything it points to belongs to the caller
 * of fb_config_load*() and is released by one fb_config_free(). It is never
 * modified after loading, so threads may read it concurrently.
 */
#ifndef FB_CONFIG_H
#define FB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bridge/decimal.h"
#include "bridge/error.h"
#include "bridge/fix_version.h"
#include "bridge/journal.h"
#include "bridge/log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many errors are reported; further ones are only counted. */
#define FB_CONFIG_MAX_ERRORS 20
/* A config file larger than this is refused (FB_ERR_TOO_LARGE). */
#define FB_CONFIG_MAX_BYTES (4u * 1024u * 1024u)

enum fb_reset_mode { FB_RESET_NEVER = 0, FB_RESET_ON_LOGON = 1, FB_RESET_DAILY = 2 };
enum fb_store_kind { FB_STORE_FILE = 0, FB_STORE_MEMORY = 1 };
enum fb_order_scope { FB_SCOPE_SESSION = 0, FB_SCOPE_ACCOUNT = 1 };
enum fb_venue_type { FB_VENUE_SIM = 0, FB_VENUE_BINANCE = 1, FB_VENUE_KRAKEN = 2 };
enum fb_fill_mode { FB_FILL_FULL = 0, FB_FILL_PARTIAL = 1 };
/* FB_DAY_NONE: no day given (the schedule repeats every day). */
enum fb_weekday {
    FB_DAY_NONE = 0,
    FB_DAY_MON = 1,
    FB_DAY_TUE,
    FB_DAY_WED,
    FB_DAY_THU,
    FB_DAY_FRI,
    FB_DAY_SAT,
    FB_DAY_SUN
};

/* What to do, at start, with an open venue order the journal does not know. */
enum fb_orphan_policy {
    FB_ORPHAN_REPORT = 0, /* log it, count it in /metrics, list it in /orphans */
    FB_ORPHAN_CANCEL = 1  /* the same, and cancel it at the venue */
};

struct fb_bridge_cfg {
    char *data_dir; /* resolved path */
    enum fb_log_level log_level;
    char *dictionary_dir; /* resolved path holding FIX42.xml / FIX44.xml */
    unsigned shutdown_timeout_ms;
    enum fb_journal_fsync journal_fsync; /* journal in <data_dir>/journal */
    unsigned journal_group_commit_ms;    /* group: most ms before the fsync */
    uint64_t journal_segment_bytes;      /* roll segment files beyond this */
    enum fb_orphan_policy orphan_orders; /* venue orders unknown to the journal */
    unsigned owed_fills_check_ms;        /* fills a venue's status counts, still missing */
};

struct fb_credentials_cfg {
    bool present; /* false: the session accepts a Logon without credentials */
    char *username;
    char *password_env;  /* name of an environment variable, or NULL */
    char *password_hash; /* "sha256:<salt hex>:<64 hex>", or NULL; exactly one is set */
};

struct fb_tls_cfg {
    bool present; /* false: plain TCP */
    char *cert;   /* resolved paths */
    char *key;
    char *ca; /* NULL unless given */
    bool require_client_cert;
};

/* A UTC trading window. Times are seconds since midnight. */
struct fb_schedule_cfg {
    bool present; /* false: the session is always open */
    uint32_t start_time;
    uint32_t end_time;
    enum fb_weekday start_day; /* both FB_DAY_NONE or both set */
    enum fb_weekday end_day;
};

/* One allow-list entry: an address is a /32 or /128. */
struct fb_cidr {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network byte order; first 4 bytes for AF_INET */
    unsigned prefix;  /* 0..32 or 0..128 */
};

/* sessions[].throttle: token buckets on what the OMS sends (bridge/throttle.h).
 * A rate of 0 is no limit. */
struct fb_session_throttle_cfg {
    unsigned messages_per_s;    /* every application message */
    unsigned orders_per_s;      /* NewOrderSingle and OrderCancelReplaceRequest */
    unsigned burst;             /* bucket size, tokens */
    unsigned latency_budget_ms; /* longest an order is held before it is rejected */
};

struct fb_session_cfg {
    char *name;
    enum fb_fix_version fix_version;
    char *sender_comp_id;
    char *target_comp_id;
    char *listen;  /* an IPv4 or IPv6 literal */
    unsigned port; /* 0: any free port */
    unsigned heartbeat_min_s;
    unsigned heartbeat_max_s;
    enum fb_reset_mode reset;
    uint32_t reset_time; /* seconds since midnight UTC; used iff reset == FB_RESET_DAILY */
    struct fb_schedule_cfg schedule;
    enum fb_store_kind store;
    bool message_log;
    unsigned max_latency_s;
    unsigned logon_timeout_s;
    char *account; /* NULL: no default Account(1) */
    enum fb_order_scope order_scope;
    bool cancel_on_disconnect;
    unsigned cancel_on_disconnect_grace_ms;
    struct fb_credentials_cfg credentials;
    struct fb_tls_cfg tls;
    struct fb_cidr *allow; /* nallow == 0: any source address */
    size_t nallow;
    struct fb_session_throttle_cfg throttle;
};

struct fb_market_cfg {
    char *symbol;
    char *base;
    char *quote;
    struct fb_dec reference_price; /* > 0 */
    struct fb_dec tick_size;       /* > 0 */
    struct fb_dec step_size;       /* > 0 */
    struct fb_dec min_qty;         /* >= 0 */
    struct fb_dec max_qty;         /* >= 0; 0 = no maximum */
    struct fb_dec min_notional;    /* >= 0 */
    unsigned volatility_bps;
    unsigned spread_bps;
};

/* venues[].throttle: token buckets on what the bridge sends to the venue. */
struct fb_venue_throttle_cfg {
    unsigned requests_per_s;    /* request weight per second; 0 = no limit */
    unsigned orders_per_s;      /* new orders and replaces; 0 = no limit */
    unsigned burst;             /* bucket size, tokens */
    unsigned latency_budget_ms; /* longest a request is held before it is refused */
};

/* venues[].breaker: the venue's circuit breaker (bridge/breaker.h). */
struct fb_breaker_cfg {
    unsigned consecutive_failures; /* 0 = off */
    unsigned error_rate_pct;       /* 0 = off */
    unsigned window_s;
    unsigned min_samples;
    unsigned cooldown_ms;
    unsigned max_cooldown_ms; /* cool-down doubles per failed probe up to this */
    unsigned half_open_probes;
    unsigned slow_ms; /* a success this slow counts as a failure; 0 = off */
};

struct fb_venue_cfg {
    char *name;
    enum fb_venue_type type;
    /* type sim */
    uint64_t seed;
    struct fb_dec maker_fee_rate;
    struct fb_dec taker_fee_rate;
    enum fb_fill_mode fill;
    unsigned partial_fill_parts;
    unsigned tick_ms;
    unsigned ack_latency_ms;
    struct fb_market_cfg *markets;
    size_t nmarkets;
    /* type binance / kraken (NULL / defaults otherwise) */
    char *base_url;
    char *api_key_env; /* names of environment variables, never values */
    char *api_secret_env;
    char *ca_file; /* resolved path, or NULL: the system CA store */
    unsigned connect_timeout_ms;
    unsigned request_timeout_ms;
    unsigned poll_interval_ms;
    unsigned recv_window_ms; /* binance only */
    struct fb_venue_throttle_cfg throttle;
    struct fb_breaker_cfg breaker;
};

struct fb_route_cfg {
    char *symbol;         /* FIX Symbol(55) */
    char *ex_destination; /* ExDestination(100), or NULL: any */
    char *venue;          /* names a venues[] entry */
    char *venue_symbol;
};

/* The loopback admin and observability endpoint (absent: not started). */
struct fb_admin_cfg {
    bool present;
    char *listen;        /* an IPv4 or IPv6 literal, default 127.0.0.1 */
    unsigned port;       /* 0: any free port (written to --ports-file as "admin") */
    char *token_env;     /* name of the variable holding the bearer token, or NULL */
    bool sim_control;    /* allow /sim/... test controls of sim venues */
};

/* policy: what a market order becomes (see fixbridge.example.yaml). */
enum fb_market_orders {
    FB_MKT_CONVERT_TO_IOC_LIMIT = 0, /* IOC limit at reference +/- slippage_bps */
    FB_MKT_REFUSE = 1,
    FB_MKT_ALLOW = 2 /* sent as market orders, uncapped */
};

/* One bit per policy limit key, for fb_policy_limits_cfg.set. */
enum fb_policy_key {
    FB_PK_MAX_ORDER_QTY = 0,
    FB_PK_MAX_ORDER_NOTIONAL,
    FB_PK_MAX_OPEN_ORDERS,
    FB_PK_MAX_POSITION,
    FB_PK_ALLOWED_ORD_TYPES,
    FB_PK_ALLOWED_TIFS,
    FB_PK_ALLOW_POST_ONLY,
    FB_PK_COLLAR_BPS,
    FB_PK_MIN_PRICE,
    FB_PK_MAX_PRICE,
    FB_PK_MARKET_ORDERS,
    FB_PK_SLIPPAGE_BPS,
    FB_PK_REFERENCE_MAX_AGE_MS,
    FB_PK_LAST /* not a true key, never use this */
};

/*
 * One block of pre-trade limits. In policy.default every key is set (from
 * the file or its default); in an override only the keys given are, and
 * `set` says which (1u << FB_PK_*), so the rest fall through to less
 * specific layers.
 */
struct fb_policy_limits_cfg {
    uint32_t set;
    struct fb_dec max_order_qty;      /* > 0 */
    struct fb_dec max_order_notional; /* > 0, in the quote currency */
    unsigned max_open_orders;         /* >= 1 */
    struct fb_dec max_position;       /* > 0, |net position| bound, base units */
    unsigned allowed_ord_types;       /* 1u << enum fb_ord_type */
    unsigned allowed_tifs;            /* 1u << enum fb_tif */
    bool allow_post_only;
    unsigned collar_bps;     /* 0 = no collar */
    struct fb_dec min_price; /* 0 = none */
    struct fb_dec max_price; /* 0 = none */
    enum fb_market_orders market_orders;
    unsigned slippage_bps;
    unsigned reference_max_age_ms;
};

/* policy.overrides[]: limits for orders matching every selector given. */
struct fb_policy_override_cfg {
    char *venue;   /* venues[].name, or NULL: any */
    char *session; /* sessions[].name, or NULL: any */
    char *account; /* Account(1), or NULL: any */
    char *symbol;  /* FIX Symbol(55) of a route, or NULL: any */
    struct fb_policy_limits_cfg limits;
};

struct fb_policy_cfg {
    struct fb_policy_limits_cfg def; /* policy.default */
    struct fb_policy_override_cfg *overrides;
    size_t noverrides;
};

struct fb_config {
    struct fb_bridge_cfg bridge;
    struct fb_admin_cfg admin;
    struct fb_session_cfg *sessions;
    size_t nsessions;
    struct fb_venue_cfg *venues;
    size_t nvenues;
    struct fb_route_cfg *routes;
    size_t nroutes;
    struct fb_policy_cfg policy; /* pre-trade limits (bridge/policy.h) */
    char *path; /* the file it came from, as given (or the filename passed to _string) */
};

/*
 * Loads and validates the config file at path. On success stores a new
 * config in *out (free with fb_config_free()). On failure returns
 * FB_ERR_CONFIG (invalid content), FB_ERR_IO, FB_ERR_TOO_LARGE or
 * FB_ERR_NOMEM, leaves *out untouched and, if errptr is non-NULL, stores a
 * malloc()ed text with all errors, one per line (freeing any old *errptr;
 * the caller frees it with free()).
 */
enum fb_err fb_config_load(const char *path, struct fb_config **out, char **errptr) FB_WARN_UNUSED;

/*
 * Same, from text in memory. filename_for_errors prefixes messages (and
 * becomes cfg->path); base_dir is where relative paths resolve (NULL: the
 * current directory).
 */
enum fb_err fb_config_load_string(const char *text, const char *filename_for_errors,
                                  const char *base_dir, struct fb_config **out,
                                  char **errptr) FB_WARN_UNUSED;

/* Frees cfg and everything it owns. NULL is fine. */
void fb_config_free(struct fb_config *cfg);

/* The venue called name, or NULL. Borrowed from cfg. */
const struct fb_venue_cfg *fb_config_find_venue(const struct fb_config *cfg, const char *name);

/*
 * Writes a human-readable summary of cfg to out, one "key = value" line per
 * setting, defaults included (for `fixbridge check-config`). Secrets are
 * never printed: environment variables appear by name, a password hash as
 * "(set)". Returns FB_ERR_IO if writing fails.
 */
enum fb_err fb_config_dump(const struct fb_config *cfg, FILE *out) FB_WARN_UNUSED;

/* Text names for the enums above ("FIX.4.4", "on_logon", "sim", ...). */
const char *fb_fix_version_name(enum fb_fix_version v);
const char *fb_venue_type_name(enum fb_venue_type t);

#ifdef __cplusplus
}
#endif
#endif
