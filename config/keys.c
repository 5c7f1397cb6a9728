/*
 * keys.c -- every config key, one row each. Adding a key means adding a
 * row here, a field in config.h and its documentation in
 * fixbridge.example.yaml (a test checks the example names every key).
 *
 * Defaults are YAML text run through the same parser as the file, so a
 * default can never be a value the file itself could not hold.
 */
#include <stddef.h>

#include "config/schema.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const journal_fsyncs[] = {"every", "group", "never", NULL}; /* enum fb_journal_fsync */
static const char *const fix_versions[] = {"FIX.4.2", "FIX.4.4", NULL};
static const char *const reset_modes[] = {"never", "on_logon", "daily", NULL};
static const char *const store_kinds[] = {"file", "memory", NULL};
static const char *const order_scopes[] = {"session", "account", NULL};
static const char *const venue_types[] = {"sim", "binance", "kraken", NULL};
static const char *const fill_modes[] = {"full", "partial", NULL};
static const char *const orphan_policies[] = {"report", "cancel", NULL};
static const char *const weekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL};
/* In enum fb_ord_type / enum fb_tif order: bit i is names[i]. */
static const char *const ord_type_names[] = {"market",      "limit",
                                             "stop",        "stop_limit",
                                             "take_profit", "take_profit_limit",
                                             NULL};
static const char *const tif_names[] = {"day", "gtc", "ioc", "fok", "gtd", NULL};
static const char *const market_orders_modes[] = {"convert_to_ioc_limit", "refuse", "allow",
                                                  NULL};

#define SIM CFG_V(FB_VENUE_SIM)
#define REST (CFG_V(FB_VENUE_BINANCE) | CFG_V(FB_VENUE_KRAKEN))
#define BINANCE CFG_V(FB_VENUE_BINANCE)
#define REQ CFG_REQUIRED

/* ---- bridge: ---- */
#define ST struct fb_bridge_cfg
static const struct cfg_key bridge_keys[] = {
    {.name = "data_dir",
     .type = CFG_PATH,
     .min = 1,
     .max = 4096,
     .def = "data",
     .off = offsetof(ST, data_dir),
     .doc = "journal, FIX store and logs"},
    {.name = "log_level",
     .type = CFG_ENUM,
     .names = log_levels,
     .def = "info",
     .off = offsetof(ST, log_level),
     .doc = "least severe level logged"},
    {.name = "dictionary_dir",
     .type = CFG_PATH,
     .min = 1,
     .max = 4096,
     .def = FB_SOURCE_DIR "/spec",
     .off = offsetof(ST, dictionary_dir),
     .doc = "directory of FIX42.xml / FIX44.xml"},
    {.name = "shutdown_timeout_ms",
     .type = CFG_UINT,
     .min = 0,
     .max = 60000,
     .def = "2000",
     .off = offsetof(ST, shutdown_timeout_ms),
     .doc = "grace period on shutdown"},
    {.name = "journal_fsync",
     .type = CFG_ENUM,
     .names = journal_fsyncs,
     .def = "group",
     .off = offsetof(ST, journal_fsync),
     .doc = "fsync the order journal in groups (before the bridge acts), after every record, "
            "or never (survives a killed bridge, not a power loss)"},
    {.name = "journal_group_commit_ms",
     .type = CFG_UINT,
     .min = 1,
     .max = 1000,
     .def = "2",
     .off = offsetof(ST, journal_group_commit_ms),
     .doc = "group: most delay before written records are fsynced"},
    {.name = "journal_segment_bytes",
     .type = CFG_U64,
     .min = FB_JOURNAL_SEGMENT_MIN,
     .max = FB_JOURNAL_SEGMENT_MAX,
     .def = "67108864",
     .off = offsetof(ST, journal_segment_bytes),
     .doc = "journal segment file size limit"},
    {.name = "orphan_orders",
     .type = CFG_ENUM,
     .names = orphan_policies,
     .def = "report",
     .off = offsetof(ST, orphan_orders),
     .doc = "venue orders the journal does not know, found at start: report or cancel"},
    {.name = "owed_fills_check_ms",
     .type = CFG_UINT,
     .min = 100,
     .max = 3600000,
     .def = "30000",
     .off = offsetof(ST, owed_fills_check_ms),
     .doc = "how long fills a venue's order status counts may stay missing before the bridge "
            "warns, counts it in /metrics and asks the venue again (and again each time)"},
};
#undef ST
static const struct cfg_table bridge_table = {.what = "bridge",
                                              .keys = bridge_keys,
                                              .nkeys = N(bridge_keys),
                                              .size = sizeof(struct fb_bridge_cfg)};

/* ---- sessions[].credentials: ---- */
#define ST struct fb_credentials_cfg
static const struct cfg_key credentials_keys[] = {
    {.name = "username",
     .type = CFG_COMPID,
     .flags = REQ,
     .min = 1,
     .max = 128,
     .off = offsetof(ST, username),
     .doc = "Username(553) the OMS must send"},
    {.name = "password_env",
     .type = CFG_ENVNAME,
     .min = 1,
     .max = 128,
     .off = offsetof(ST, password_env),
     .doc = "environment variable holding the password"},
    {.name = "password_hash",
     .type = CFG_PWHASH,
     .flags = CFG_SECRETISH,
     .min = 1,
     .max = 1024,
     .off = offsetof(ST, password_hash),
     .doc = "sha256:<salt hex>:<sha256(salt||password) hex>"},
    {.name = "password",
     .type = CFG_FORBIDDEN,
     .doc = "passwords never go in the config file; use password_env or password_hash"},
};
#undef ST
static const struct cfg_table credentials_table = {.what = "credentials",
                                                   .keys = credentials_keys,
                                                   .nkeys = N(credentials_keys),
                                                   .size = sizeof(struct fb_credentials_cfg),
                                                   .check = cfg_check_credentials};

/* ---- sessions[].tls: ---- */
#define ST struct fb_tls_cfg
static const struct cfg_key tls_keys[] = {
    {.name = "cert",
     .type = CFG_PATH,
     .flags = REQ,
     .min = 1,
     .max = 4096,
     .off = offsetof(ST, cert),
     .doc = "server certificate chain (PEM)"},
    {.name = "key",
     .type = CFG_PATH,
     .flags = REQ,
     .min = 1,
     .max = 4096,
     .off = offsetof(ST, key),
     .doc = "server private key (PEM)"},
    {.name = "ca",
     .type = CFG_PATH,
     .min = 1,
     .max = 4096,
     .off = offsetof(ST, ca),
     .doc = "CAs that sign client certificates"},
    {.name = "require_client_cert",
     .type = CFG_BOOL,
     .def = "false",
     .off = offsetof(ST, require_client_cert),
     .doc = "refuse clients without a valid certificate"},
};
#undef ST
static const struct cfg_table tls_table = {.what = "tls",
                                           .keys = tls_keys,
                                           .nkeys = N(tls_keys),
                                           .size = sizeof(struct fb_tls_cfg),
                                           .check = cfg_check_tls};

/* ---- sessions[].schedule: ---- */
#define ST struct fb_schedule_cfg
static const struct cfg_key schedule_keys[] = {
    {.name = "start_time",
     .type = CFG_TIME,
     .flags = REQ,
     .off = offsetof(ST, start_time),
     .doc = "window opens, HH:MM:SS UTC"},
    {.name = "end_time",
     .type = CFG_TIME,
     .flags = REQ,
     .off = offsetof(ST, end_time),
     .doc = "window closes, HH:MM:SS UTC"},
    {.name = "start_day",
     .type = CFG_ENUM,
     .names = weekdays,
     .min = FB_DAY_MON,
     .off = offsetof(ST, start_day),
     .doc = "first day of a weekly window"},
    {.name = "end_day",
     .type = CFG_ENUM,
     .names = weekdays,
     .min = FB_DAY_MON,
     .off = offsetof(ST, end_day),
     .doc = "last day of a weekly window"},
};
#undef ST
static const struct cfg_table schedule_table = {.what = "schedule",
                                                .keys = schedule_keys,
                                                .nkeys = N(schedule_keys),
                                                .size = sizeof(struct fb_schedule_cfg),
                                                .check = cfg_check_schedule};

/* ---- sessions[].throttle: ---- */
#define ST struct fb_session_throttle_cfg
static const struct cfg_key session_throttle_keys[] = {
    {.name = "messages_per_s",
     .type = CFG_UINT,
     .min = 0,
     .max = 1000000,
     .def = "500",
     .off = offsetof(ST, messages_per_s),
     .doc = "application messages per second; 0 = no limit"},
    {.name = "orders_per_s",
     .type = CFG_UINT,
     .min = 0,
     .max = 1000000,
     .def = "100",
     .off = offsetof(ST, orders_per_s),
     .doc = "new orders and replaces per second; 0 = no limit"},
    {.name = "burst",
     .type = CFG_UINT,
     .min = 1,
     .max = 1000000,
     .def = "50",
     .off = offsetof(ST, burst),
     .doc = "messages (and orders) accepted back to back after a quiet spell"},
    {.name = "latency_budget_ms",
     .type = CFG_UINT,
     .min = 0,
     .max = 60000,
     .def = "200",
     .off = offsetof(ST, latency_budget_ms),
     .doc = "longest an order over the rate is held before it is rejected; 0 = reject at once"},
};
#undef ST
static const struct cfg_table session_throttle_table = {.what = "session throttle",
                                                        .keys = session_throttle_keys,
                                                        .nkeys = N(session_throttle_keys),
                                                        .size =
                                                            sizeof(struct fb_session_throttle_cfg),
                                                        .check = cfg_check_session_throttle};

/* ---- sessions[]: ---- */
#define ST struct fb_session_cfg
static const struct cfg_key session_keys[] = {
    {.name = "name",
     .type = CFG_NAME,
     .flags = REQ,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, name),
     .doc = "unique label"},
    {.name = "fix_version",
     .type = CFG_ENUM,
     .flags = REQ,
     .names = fix_versions,
     .off = offsetof(ST, fix_version),
     .doc = "BeginString(8)"},
    {.name = "sender_comp_id",
     .type = CFG_COMPID,
     .flags = REQ,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, sender_comp_id),
     .doc = "our SenderCompID(49)"},
    {.name = "target_comp_id",
     .type = CFG_COMPID,
     .flags = REQ,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, target_comp_id),
     .doc = "the OMS's CompID"},
    {.name = "listen",
     .type = CFG_IPADDR,
     .min = 1,
     .max = 64,
     .def = "127.0.0.1",
     .off = offsetof(ST, listen),
     .doc = "address to listen on"},
    {.name = "port",
     .type = CFG_UINT,
     .flags = REQ,
     .min = 0,
     .max = 65535,
     .off = offsetof(ST, port),
     .doc = "TCP port; 0 = any free port"},
    {.name = "heartbeat_min_s",
     .type = CFG_UINT,
     .min = 1,
     .max = 3600,
     .def = "1",
     .off = offsetof(ST, heartbeat_min_s),
     .doc = "smallest HeartBtInt(108) accepted"},
    {.name = "heartbeat_max_s",
     .type = CFG_UINT,
     .min = 1,
     .max = 3600,
     .def = "300",
     .off = offsetof(ST, heartbeat_max_s),
     .doc = "largest HeartBtInt(108) accepted"},
    {.name = "reset",
     .type = CFG_ENUM,
     .names = reset_modes,
     .def = "never",
     .off = offsetof(ST, reset),
     .doc = "when sequence numbers reset"},
    {.name = "reset_time",
     .type = CFG_TIME,
     .off = offsetof(ST, reset_time),
     .doc = "daily reset time, HH:MM:SS UTC"},
    {.name = "schedule",
     .type = CFG_MAP,
     .flags = CFG_OPTIONAL,
     .sub = &schedule_table,
     .off = offsetof(ST, schedule),
     .off_aux = offsetof(ST, schedule.present),
     .doc = "trading window"},
    {.name = "store",
     .type = CFG_ENUM,
     .names = store_kinds,
     .def = "file",
     .off = offsetof(ST, store),
     .doc = "message store"},
    {.name = "message_log",
     .type = CFG_BOOL,
     .def = "true",
     .off = offsetof(ST, message_log),
     .doc = "log every FIX message"},
    {.name = "max_latency_s",
     .type = CFG_UINT,
     .min = 1,
     .max = 3600,
     .def = "120",
     .off = offsetof(ST, max_latency_s),
     .doc = "SendingTime(52) tolerance"},
    {.name = "logon_timeout_s",
     .type = CFG_UINT,
     .min = 1,
     .max = 300,
     .def = "10",
     .off = offsetof(ST, logon_timeout_s),
     .doc = "time allowed for the Logon"},
    {.name = "account",
     .type = CFG_COMPID,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, account),
     .doc = "default Account(1)"},
    {.name = "order_scope",
     .type = CFG_ENUM,
     .names = order_scopes,
     .def = "session",
     .off = offsetof(ST, order_scope),
     .doc = "whose orders the session may act on"},
    {.name = "cancel_on_disconnect",
     .type = CFG_BOOL,
     .def = "false",
     .off = offsetof(ST, cancel_on_disconnect),
     .doc = "cancel open orders on disconnect"},
    {.name = "cancel_on_disconnect_grace_ms",
     .type = CFG_UINT,
     .min = 0,
     .max = 600000,
     .def = "2000",
     .off = offsetof(ST, cancel_on_disconnect_grace_ms),
     .doc = "how long a disconnected session may take to log on again before its orders are canceled"},
    {.name = "credentials",
     .type = CFG_MAP,
     .flags = CFG_OPTIONAL,
     .sub = &credentials_table,
     .off = offsetof(ST, credentials),
     .off_aux = offsetof(ST, credentials.present),
     .doc = "Logon authentication"},
    {.name = "tls",
     .type = CFG_MAP,
     .flags = CFG_OPTIONAL,
     .sub = &tls_table,
     .off = offsetof(ST, tls),
     .off_aux = offsetof(ST, tls.present),
     .doc = "TLS on the listener"},
    {.name = "password",
     .type = CFG_FORBIDDEN,
     .doc = "passwords never go in the config file; use credentials.password_env or "
            "credentials.password_hash"},
    {.name = "allow",
     .type = CFG_CIDRS,
     .min = 1,
     .max = 1024,
     .off = offsetof(ST, allow),
     .off_aux = offsetof(ST, nallow),
     .doc = "source addresses allowed"},
    {.name = "throttle",
     .type = CFG_MAP,
     .sub = &session_throttle_table,
     .off = offsetof(ST, throttle),
     .doc = "rate limits on what the OMS sends"},
};
#undef ST
static const struct cfg_table session_table = {.what = "session",
                                               .keys = session_keys,
                                               .nkeys = N(session_keys),
                                               .size = sizeof(struct fb_session_cfg),
                                               .check = cfg_check_session};

/* ---- venues[].markets[]: ---- */
#define ST struct fb_market_cfg
static const struct cfg_key market_keys[] = {
    {.name = "symbol",
     .type = CFG_COMPID,
     .flags = REQ,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, symbol),
     .doc = "venue symbol"},
    {.name = "base",
     .type = CFG_COMPID,
     .flags = REQ,
     .min = 1,
     .max = 32,
     .off = offsetof(ST, base),
     .doc = "base asset"},
    {.name = "quote",
     .type = CFG_COMPID,
     .flags = REQ,
     .min = 1,
     .max = 32,
     .off = offsetof(ST, quote),
     .doc = "quote asset"},
    {.name = "reference_price",
     .type = CFG_DEC,
     .flags = REQ,
     .min = 1,
     .off = offsetof(ST, reference_price),
     .doc = "starting mid price"},
    {.name = "tick_size",
     .type = CFG_DEC,
     .flags = REQ,
     .min = 1,
     .off = offsetof(ST, tick_size),
     .doc = "price increment"},
    {.name = "step_size",
     .type = CFG_DEC,
     .flags = REQ,
     .min = 1,
     .off = offsetof(ST, step_size),
     .doc = "quantity increment"},
    {.name = "min_qty",
     .type = CFG_DEC,
     .def = "0",
     .off = offsetof(ST, min_qty),
     .doc = "smallest quantity"},
    {.name = "max_qty",
     .type = CFG_DEC,
     .def = "0",
     .off = offsetof(ST, max_qty),
     .doc = "largest quantity, 0 = none"},
    {.name = "min_notional",
     .type = CFG_DEC,
     .def = "0",
     .off = offsetof(ST, min_notional),
     .doc = "smallest price * quantity"},
    {.name = "volatility_bps",
     .type = CFG_UINT,
     .min = 0,
     .max = 10000,
     .def = "5",
     .off = offsetof(ST, volatility_bps),
     .doc = "largest move per tick"},
    {.name = "spread_bps",
     .type = CFG_UINT,
     .min = 0,
     .max = 10000,
     .def = "2",
     .off = offsetof(ST, spread_bps),
     .doc = "bid/ask spread"},
};
#undef ST
static const struct cfg_table market_table = {.what = "market",
                                              .keys = market_keys,
                                              .nkeys = N(market_keys),
                                              .size = sizeof(struct fb_market_cfg),
                                              .check = cfg_check_market};

/* ---- venues[].throttle: ---- */
/* The same keys for every venue type; only the defaults differ: a REST
 * venue enforces its own limits (and bans an IP that ignores them), the
 * in-process sim has none to protect. */
#define VENUE_THROTTLE_ROWS(REQS, ORDERS, BURST, BUDGET)                                           \
    {.name = "requests_per_s",                                                                     \
     .type = CFG_UINT,                                                                             \
     .min = 0,                                                                                     \
     .max = 1000000,                                                                               \
     .def = REQS,                                                                                  \
     .off = offsetof(struct fb_venue_throttle_cfg, requests_per_s),                                \
     .doc = "request weight per second sent to the venue; 0 = no limit"},                          \
    {.name = "orders_per_s",                                                                       \
     .type = CFG_UINT,                                                                             \
     .min = 0,                                                                                     \
     .max = 1000000,                                                                               \
     .def = ORDERS,                                                                                \
     .off = offsetof(struct fb_venue_throttle_cfg, orders_per_s),                                  \
     .doc = "new orders and replaces per second sent to the venue; 0 = no limit"},                 \
    {.name = "burst",                                                                              \
     .type = CFG_UINT,                                                                             \
     .min = 1,                                                                                     \
     .max = 1000000,                                                                               \
     .def = BURST,                                                                                 \
     .off = offsetof(struct fb_venue_throttle_cfg, burst),                                         \
     .doc = "requests (and orders) sent back to back after a quiet spell"},                        \
    {.name = "latency_budget_ms",                                                                  \
     .type = CFG_UINT,                                                                             \
     .min = 0,                                                                                     \
     .max = 60000,                                                                                 \
     .def = BUDGET,                                                                                \
     .off = offsetof(struct fb_venue_throttle_cfg, latency_budget_ms),                             \
     .doc = "longest a request over the rate is held before it is refused; 0 = refuse at once"}

static const struct cfg_key rest_throttle_keys[] = {
    VENUE_THROTTLE_ROWS("20", "10", "10", "250"),
};
static const struct cfg_table rest_throttle_table = {.what = "venue throttle",
                                                     .keys = rest_throttle_keys,
                                                     .nkeys = N(rest_throttle_keys),
                                                     .size = sizeof(struct fb_venue_throttle_cfg),
                                                     .check = cfg_check_venue_throttle};
static const struct cfg_key sim_throttle_keys[] = {
    VENUE_THROTTLE_ROWS("0", "0", "100", "250"),
};
static const struct cfg_table sim_throttle_table = {.what = "venue throttle",
                                                    .keys = sim_throttle_keys,
                                                    .nkeys = N(sim_throttle_keys),
                                                    .size = sizeof(struct fb_venue_throttle_cfg),
                                                    .check = cfg_check_venue_throttle};

/* ---- venues[].breaker: ---- */
#define ST struct fb_breaker_cfg
static const struct cfg_key breaker_keys[] = {
    {.name = "consecutive_failures",
     .type = CFG_UINT,
     .min = 0,
     .max = 1000,
     .def = "5",
     .off = offsetof(ST, consecutive_failures),
     .doc = "failures in a row that open the breaker; 0 = off"},
    {.name = "error_rate_pct",
     .type = CFG_UINT,
     .min = 0,
     .max = 100,
     .def = "50",
     .off = offsetof(ST, error_rate_pct),
     .doc = "failure percentage over window_s that opens the breaker; 0 = off"},
    {.name = "window_s",
     .type = CFG_UINT,
     .min = 1,
     .max = 3600,
     .def = "60",
     .off = offsetof(ST, window_s),
     .doc = "sliding window of the error rate"},
    {.name = "min_samples",
     .type = CFG_UINT,
     .min = 1,
     .max = 100000,
     .def = "20",
     .off = offsetof(ST, min_samples),
     .doc = "answers the window needs before its error rate counts"},
    {.name = "cooldown_ms",
     .type = CFG_UINT,
     .min = 100,
     .max = 3600000,
     .def = "10000",
     .off = offsetof(ST, cooldown_ms),
     .doc = "how long the breaker stays open before it probes"},
    {.name = "max_cooldown_ms",
     .type = CFG_UINT,
     .min = 100,
     .max = 3600000,
     .def = "300000",
     .off = offsetof(ST, max_cooldown_ms),
     .doc = "the cool-down doubles after each failed probe, up to this"},
    {.name = "half_open_probes",
     .type = CFG_UINT,
     .min = 1,
     .max = 100,
     .def = "3",
     .off = offsetof(ST, half_open_probes),
     .doc = "probe requests let through, and successes needed to close"},
    {.name = "slow_ms",
     .type = CFG_UINT,
     .min = 0,
     .max = 600000,
     .def = "2000",
     .off = offsetof(ST, slow_ms),
     .doc = "an answer this slow counts as a failure; 0 = off"},
};
#undef ST
static const struct cfg_table breaker_table = {.what = "breaker",
                                               .keys = breaker_keys,
                                               .nkeys = N(breaker_keys),
                                               .size = sizeof(struct fb_breaker_cfg),
                                               .check = cfg_check_breaker};

/* ---- venues[]: ---- */
#define ST struct fb_venue_cfg
static const struct cfg_key venue_keys[] = {
    {.name = "name",
     .type = CFG_NAME,
     .flags = REQ,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, name),
     .doc = "unique label routes refer to"},
    {.name = "type",
     .type = CFG_ENUM,
     .flags = REQ,
     .names = venue_types,
     .off = offsetof(ST, type),
     .doc = "adapter"},
    {.name = "seed",
     .type = CFG_U64,
     .variants = SIM,
     .min = 0,
     .max = 0,
     .def = "1",
     .off = offsetof(ST, seed),
     .doc = "random seed of the price process"},
    {.name = "maker_fee_rate",
     .type = CFG_DEC,
     .variants = SIM,
     .def = "0",
     .off = offsetof(ST, maker_fee_rate),
     .doc = "fee rate on passive fills"},
    {.name = "taker_fee_rate",
     .type = CFG_DEC,
     .variants = SIM,
     .def = "0",
     .off = offsetof(ST, taker_fee_rate),
     .doc = "fee rate on aggressive fills"},
    {.name = "fill",
     .type = CFG_ENUM,
     .variants = SIM,
     .names = fill_modes,
     .def = "full",
     .off = offsetof(ST, fill),
     .doc = "fill in one or several parts"},
    {.name = "partial_fill_parts",
     .type = CFG_UINT,
     .variants = SIM,
     .min = 1,
     .max = 100,
     .def = "3",
     .off = offsetof(ST, partial_fill_parts),
     .doc = "parts when fill is partial"},
    {.name = "tick_ms",
     .type = CFG_UINT,
     .variants = SIM,
     .min = 1,
     .max = 60000,
     .def = "100",
     .off = offsetof(ST, tick_ms),
     .doc = "price process step"},
    {.name = "ack_latency_ms",
     .type = CFG_UINT,
     .variants = SIM,
     .min = 0,
     .max = 60000,
     .def = "0",
     .off = offsetof(ST, ack_latency_ms),
     .doc = "delay before acknowledging"},
    {.name = "markets",
     .type = CFG_LIST,
     .flags = REQ,
     .variants = SIM,
     .min = 1,
     .max = 1024,
     .sub = &market_table,
     .off = offsetof(ST, markets),
     .off_aux = offsetof(ST, nmarkets),
     .doc = "instruments"},
    {.name = "base_url",
     .type = CFG_URL,
     .flags = REQ,
     .variants = REST,
     .min = 1,
     .max = 2048,
     .off = offsetof(ST, base_url),
     .doc = "REST endpoint"},
    {.name = "api_key_env",
     .type = CFG_ENVNAME,
     .flags = REQ,
     .variants = REST,
     .min = 1,
     .max = 128,
     .off = offsetof(ST, api_key_env),
     .doc = "environment variable with the key"},
    {.name = "api_secret_env",
     .type = CFG_ENVNAME,
     .flags = REQ,
     .variants = REST,
     .min = 1,
     .max = 128,
     .off = offsetof(ST, api_secret_env),
     .doc = "environment variable with the secret"},
    {.name = "ca_file",
     .type = CFG_PATH,
     .variants = REST,
     .min = 1,
     .max = 4096,
     .off = offsetof(ST, ca_file),
     .doc = "CA bundle instead of the system store"},
    {.name = "connect_timeout_ms",
     .type = CFG_UINT,
     .variants = REST,
     .min = 1,
     .max = 60000,
     .def = "2000",
     .off = offsetof(ST, connect_timeout_ms),
     .doc = "TCP+TLS connect timeout"},
    {.name = "request_timeout_ms",
     .type = CFG_UINT,
     .variants = REST,
     .min = 1,
     .max = 120000,
     .def = "5000",
     .off = offsetof(ST, request_timeout_ms),
     .doc = "whole-request timeout"},
    {.name = "poll_interval_ms",
     .type = CFG_UINT,
     .variants = REST,
     .min = 10,
     .max = 600000,
     .def = "1000",
     .off = offsetof(ST, poll_interval_ms),
     .doc = "order status polling"},
    {.name = "recv_window_ms",
     .type = CFG_UINT,
     .variants = BINANCE,
     .min = 1,
     .max = 60000,
     .def = "5000",
     .off = offsetof(ST, recv_window_ms),
     .doc = "Binance recvWindow"},
    {.name = "throttle",
     .type = CFG_MAP,
     .variants = REST,
     .sub = &rest_throttle_table,
     .off = offsetof(ST, throttle),
     .doc = "rate limits on what the bridge sends to the venue"},
    {.name = "throttle",
     .type = CFG_MAP,
     .variants = SIM,
     .sub = &sim_throttle_table,
     .off = offsetof(ST, throttle),
     .doc = "rate limits on what the bridge sends to the venue (none by default)"},
    {.name = "breaker",
     .type = CFG_MAP,
     .sub = &breaker_table,
     .off = offsetof(ST, breaker),
     .doc = "circuit breaker"},
    {.name = "api_key",
     .type = CFG_FORBIDDEN,
     .doc = "keys never go in the config file; use api_key_env"},
    {.name = "api_secret",
     .type = CFG_FORBIDDEN,
     .doc = "secrets never go in the config file; use api_secret_env"},
};
#undef ST
static const struct cfg_table venue_table = {.what = "venue",
                                             .keys = venue_keys,
                                             .nkeys = N(venue_keys),
                                             .size = sizeof(struct fb_venue_cfg),
                                             .variant_key = "type",
                                             .variant_names = venue_types,
                                             .check = cfg_check_venue};

/* ---- routes[]: ---- */
#define ST struct fb_route_cfg
static const struct cfg_key route_keys[] = {
    {.name = "symbol",
     .type = CFG_COMPID,
     .flags = REQ,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, symbol),
     .doc = "FIX Symbol(55)"},
    {.name = "ex_destination",
     .type = CFG_COMPID,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, ex_destination),
     .doc = "ExDestination(100)"},
    {.name = "venue",
     .type = CFG_NAME,
     .flags = REQ,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, venue),
     .doc = "venue name"},
    {.name = "venue_symbol",
     .type = CFG_COMPID,
     .flags = REQ,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, venue_symbol),
     .doc = "the venue's symbol"},
};
#undef ST
static const struct cfg_table route_table = {.what = "route",
                                             .keys = route_keys,
                                             .nkeys = N(route_keys),
                                             .size = sizeof(struct fb_route_cfg)};

/* ---- admin: ---- */
#define ST struct fb_admin_cfg
static const struct cfg_key admin_keys[] = {
    {.name = "listen",
     .type = CFG_IPADDR,
     .min = 1,
     .max = 64,
     .def = "127.0.0.1",
     .off = offsetof(ST, listen),
     .doc = "address the admin endpoint binds (keep it on loopback)"},
    {.name = "port",
     .type = CFG_UINT,
     .flags = REQ,
     .min = 0,
     .max = 65535,
     .off = offsetof(ST, port),
     .doc = "admin HTTP port; 0 = any free port"},
    {.name = "token_env",
     .type = CFG_ENVNAME,
     .min = 1,
     .max = 128,
     .off = offsetof(ST, token_env),
     .doc = "variable holding the bearer token requests must carry"},
    {.name = "sim_control",
     .type = CFG_BOOL,
     .def = "false",
     .off = offsetof(ST, sim_control),
     .doc = "allow the /sim test controls (paper venues only)"},
};
#undef ST
static const struct cfg_table admin_table = {.what = "admin",
                                             .keys = admin_keys,
                                             .nkeys = N(admin_keys),
                                             .size = sizeof(struct fb_admin_cfg)};

/* ---- policy: ---- */
/* In enum fb_policy_key order; config/checks.c marks which an override sets. */
const char *const cfg_policy_key_names[FB_PK_LAST + 1] = {
    "max_order_qty", "max_order_notional", "max_open_orders", "max_position",
    "allowed_ord_types", "allowed_tifs", "allow_post_only", "collar_bps",
    "min_price", "max_price", "market_orders", "slippage_bps",
    "reference_max_age_ms", NULL};

/*
 * The limit rows, shared by policy.default (with defaults, PFX empty) and
 * policy.overrides[] (no defaults: a key not given falls through to a less
 * specific layer; PFX "limits.").
 */
#define PL_DEF(x) x
#define PL_NODEF(x) NULL
#define POLICY_LIMIT_ROWS(ST, PFX, D)                                                              \
    {.name = "max_order_qty",                                                                      \
     .type = CFG_DEC,                                                                              \
     .min = 1,                                                                                     \
     .def = D("10"),                                                                               \
     .off = offsetof(ST, PFX max_order_qty),                                                       \
     .doc = "largest OrderQty (base units)"},                                                      \
    {.name = "max_order_notional",                                                                 \
     .type = CFG_DEC,                                                                              \
     .min = 1,                                                                                     \
     .def = D("1000000"),                                                                          \
     .off = offsetof(ST, PFX max_order_notional),                                                  \
     .doc = "largest OrderQty * price (quote currency)"},                                          \
    {.name = "max_open_orders",                                                                    \
     .type = CFG_UINT,                                                                             \
     .min = 1,                                                                                     \
     .max = 1000000,                                                                               \
     .def = D("500"),                                                                              \
     .off = offsetof(ST, PFX max_open_orders),                                                     \
     .doc = "most open orders in the scope"},                                                      \
    {.name = "max_position",                                                                       \
     .type = CFG_DEC,                                                                              \
     .min = 1,                                                                                     \
     .def = D("50"),                                                                               \
     .off = offsetof(ST, PFX max_position),                                                        \
     .doc = "largest net position, long or short (base units)"},                                   \
    {.name = "allowed_ord_types",                                                                  \
     .type = CFG_FLAGS,                                                                            \
     .min = 1,                                                                                     \
     .max = 6,                                                                                     \
     .names = ord_type_names,                                                                      \
     .def = D("market limit stop stop_limit take_profit take_profit_limit"),                       \
     .off = offsetof(ST, PFX allowed_ord_types),                                                   \
     .doc = "OrdType(40) values accepted"},                                                        \
    {.name = "allowed_tifs",                                                                       \
     .type = CFG_FLAGS,                                                                            \
     .min = 1,                                                                                     \
     .max = 5,                                                                                     \
     .names = tif_names,                                                                           \
     .def = D("day gtc ioc fok gtd"),                                                              \
     .off = offsetof(ST, PFX allowed_tifs),                                                        \
     .doc = "TimeInForce(59) values accepted"},                                                    \
    {.name = "allow_post_only",                                                                    \
     .type = CFG_BOOL,                                                                             \
     .def = D("true"),                                                                             \
     .off = offsetof(ST, PFX allow_post_only),                                                     \
     .doc = "accept ExecInst(18) 6, participate don't initiate"},                                  \
    {.name = "collar_bps",                                                                         \
     .type = CFG_UINT,                                                                             \
     .min = 0,                                                                                     \
     .max = 10000,                                                                                 \
     .def = D("500"),                                                                              \
     .off = offsetof(ST, PFX collar_bps),                                                          \
     .doc = "limit price band around the reference; 0 = no collar"},                               \
    {.name = "min_price",                                                                          \
     .type = CFG_DEC,                                                                              \
     .def = D("0"),                                                                                \
     .off = offsetof(ST, PFX min_price),                                                           \
     .doc = "lowest Price/StopPx; 0 = none"},                                                      \
    {.name = "max_price",                                                                          \
     .type = CFG_DEC,                                                                              \
     .def = D("0"),                                                                                \
     .off = offsetof(ST, PFX max_price),                                                           \
     .doc = "highest Price/StopPx; 0 = none"},                                                     \
    {.name = "market_orders",                                                                      \
     .type = CFG_ENUM,                                                                             \
     .names = market_orders_modes,                                                                 \
     .def = D("convert_to_ioc_limit"),                                                             \
     .off = offsetof(ST, PFX market_orders),                                                       \
     .doc = "what a market order becomes"},                                                        \
    {.name = "slippage_bps",                                                                       \
     .type = CFG_UINT,                                                                             \
     .min = 0,                                                                                     \
     .max = 9999,                                                                                  \
     .def = D("50"),                                                                               \
     .off = offsetof(ST, PFX slippage_bps),                                                        \
     .doc = "cap of a converted market order, from the reference"},                                \
    {.name = "reference_max_age_ms",                                                               \
     .type = CFG_UINT,                                                                             \
     .min = 1,                                                                                     \
     .max = 3600000,                                                                               \
     .def = D("5000"),                                                                             \
     .off = offsetof(ST, PFX reference_max_age_ms),                                                \
     .doc = "older reference prices fail collar and slippage checks"}

static const struct cfg_key policy_default_keys[] = {
    POLICY_LIMIT_ROWS(struct fb_policy_limits_cfg, , PL_DEF),
};
static const struct cfg_table policy_default_table = {.what = "policy",
                                                      .keys = policy_default_keys,
                                                      .nkeys = N(policy_default_keys),
                                                      .size = sizeof(struct fb_policy_limits_cfg),
                                                      .check = cfg_check_policy_default};

#define ST struct fb_policy_override_cfg
static const struct cfg_key policy_override_keys[] = {
    {.name = "venue",
     .type = CFG_NAME,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, venue),
     .doc = "only orders routed to this venue"},
    {.name = "session",
     .type = CFG_NAME,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, session),
     .doc = "only orders from this session"},
    {.name = "account",
     .type = CFG_COMPID,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, account),
     .doc = "only orders for this Account(1)"},
    {.name = "symbol",
     .type = CFG_COMPID,
     .min = 1,
     .max = 64,
     .off = offsetof(ST, symbol),
     .doc = "only orders for this FIX Symbol(55)"},
    POLICY_LIMIT_ROWS(ST, limits., PL_NODEF),
};
#undef ST
static const struct cfg_table policy_override_table = {
    .what = "policy override",
    .keys = policy_override_keys,
    .nkeys = N(policy_override_keys),
    .size = sizeof(struct fb_policy_override_cfg),
    .check = cfg_check_policy_override,
    .set_names = cfg_policy_key_names,
    .set_off = offsetof(struct fb_policy_override_cfg, limits.set)};

#define ST struct fb_policy_cfg
static const struct cfg_key policy_keys[] = {
    {.name = "default",
     .type = CFG_MAP,
     .sub = &policy_default_table,
     .off = offsetof(ST, def),
     .doc = "limits for every order"},
    {.name = "overrides",
     .type = CFG_LIST,
     .min = 0,
     .max = 4096,
     .sub = &policy_override_table,
     .off = offsetof(ST, overrides),
     .off_aux = offsetof(ST, noverrides),
     .doc = "narrower limits by venue, session, account, symbol"},
};
#undef ST
static const struct cfg_table policy_table = {.what = "policy",
                                              .keys = policy_keys,
                                              .nkeys = N(policy_keys),
                                              .size = sizeof(struct fb_policy_cfg)};

/* ---- the file ---- */
#define ST struct fb_config
static const struct cfg_key root_keys[] = {
    {.name = "bridge",
     .type = CFG_MAP,
     .sub = &bridge_table,
     .off = offsetof(ST, bridge),
     .doc = "process-wide settings"},
    {.name = "admin",
     .type = CFG_MAP,
     .flags = CFG_OPTIONAL,
     .sub = &admin_table,
     .off = offsetof(ST, admin),
     .off_aux = offsetof(ST, admin.present),
     .doc = "loopback admin and metrics endpoint"},
    {.name = "sessions",
     .type = CFG_LIST,
     .flags = REQ,
     .min = 1,
     .max = 256,
     .sub = &session_table,
     .off = offsetof(ST, sessions),
     .off_aux = offsetof(ST, nsessions),
     .doc = "FIX sessions accepted"},
    {.name = "venues",
     .type = CFG_LIST,
     .flags = REQ,
     .min = 1,
     .max = 64,
     .sub = &venue_table,
     .off = offsetof(ST, venues),
     .off_aux = offsetof(ST, nvenues),
     .doc = "execution venues"},
    {.name = "routes",
     .type = CFG_LIST,
     .flags = REQ,
     .min = 1,
     .max = 4096,
     .sub = &route_table,
     .off = offsetof(ST, routes),
     .off_aux = offsetof(ST, nroutes),
     .doc = "symbol routing"},
    {.name = "policy",
     .type = CFG_MAP,
     .sub = &policy_table,
     .off = offsetof(ST, policy),
     .doc = "pre-trade limits"},
};
#undef ST
const struct cfg_table cfg_root_table = {.what = "config",
                                         .keys = root_keys,
                                         .nkeys = N(root_keys),
                                         .size = sizeof(struct fb_config),
                                         .check = cfg_check_root,
                                         .check_despite_errors = true};

const char *fb_fix_version_name(enum fb_fix_version v)
{
    return (unsigned)v < N(fix_versions) - 1 ? fix_versions[v] : "?";
}

const char *fb_venue_type_name(enum fb_venue_type t)
{
    return (unsigned)t < N(venue_types) - 1 ? venue_types[t] : "?";
}
