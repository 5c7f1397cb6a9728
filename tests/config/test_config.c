/*
 * Tests for config/: one row per bad config with the exact error text, and
 * the shipped configs load.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/schema.h"

#ifndef FB_SOURCE_DIR
#error "FB_SOURCE_DIR must be defined"
#endif

/* Building blocks; each ends in a newline so line numbers stay countable. */
#define SESS "  - {name: a, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: O, port: 0}\n"
#define S1                                                                                         \
    "sessions:\n  - name: a\n    fix_version: FIX.4.4\n    sender_comp_id: FB\n"                   \
    "    target_comp_id: O\n    port: 0\n" /* 6 lines */
#define MKT                                                                                        \
    "      - {symbol: X, base: B, quote: Q, reference_price: 1, tick_size: 1, step_size: 1}\n"
#define V1 "venues:\n  - name: p\n    type: sim\n    markets:\n" MKT /* 5 lines */
#define R1 "routes:\n  - {symbol: X, venue: p, venue_symbol: X}\n"   /* 2 lines */
#define REST_VENUE(type)                                                                           \
    "venues:\n  - name: p\n    type: " type "\n    base_url: https://x.test\n"                     \
    "    api_key_env: K\n    api_secret_env: S\n"

struct bad_case {
    const char *name;
    const char *text;
    const char *want; /* every error line, exactly */
};

static const struct bad_case bad_cases[] = {
    {"unknown top-level key", "bogus: 1\n" S1 V1 R1, "t.yaml:1:1: bogus: unknown key in config\n"},
    {"unknown session key",
     "sessions:\n  - {name: a, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: O, "
     "port: 0, hearbeat_max_s: 5}\n" V1 R1,
     "t.yaml:2:85: sessions[0].hearbeat_max_s: unknown key in session\n"},
    {"port not an integer",
     "sessions:\n  - name: a\n    fix_version: FIX.4.4\n    sender_comp_id: FB\n"
     "    target_comp_id: O\n    port: abc\n" V1 R1,
     "t.yaml:6:11: sessions[0].port: expected an integer\n"},
    {"port out of range",
     "sessions:\n  - name: a\n    fix_version: FIX.4.4\n    sender_comp_id: FB\n"
     "    target_comp_id: O\n    port: 70000\n" V1 R1,
     "t.yaml:6:11: sessions[0].port: must be between 0 and 65535\n"},
    {"port negative",
     "sessions:\n  - name: a\n    fix_version: FIX.4.4\n    sender_comp_id: FB\n"
     "    target_comp_id: O\n    port: -1\n" V1 R1,
     "t.yaml:6:11: sessions[0].port: must be between 0 and 65535\n"},
    {"port fraction",
     "sessions:\n  - name: a\n    fix_version: FIX.4.4\n    sender_comp_id: FB\n"
     "    target_comp_id: O\n    port: 98.5\n" V1 R1,
     "t.yaml:6:11: sessions[0].port: expected an integer, not a fraction\n"},
    {"port overflows 64 bits",
     "sessions:\n  - name: a\n    fix_version: FIX.4.4\n    sender_comp_id: FB\n"
     "    target_comp_id: O\n    port: 99999999999999999999999\n" V1 R1,
     "t.yaml:6:11: sessions[0].port: must be between 0 and 65535\n"},
    {"port quoted",
     "sessions:\n  - name: a\n    fix_version: FIX.4.4\n    sender_comp_id: FB\n"
     "    target_comp_id: O\n    port: \"9878\"\n" V1 R1,
     "t.yaml:6:11: sessions[0].port: expected an integer, got a quoted string\n"},
    {"missing required key",
     "sessions:\n  - {name: a, fix_version: FIX.4.4, target_comp_id: O, port: 0}\n" V1 R1,
     "t.yaml:2:5: sessions[0].sender_comp_id: missing required key\n"},
    {"duplicate key",
     "sessions:\n  - name: a\n    fix_version: FIX.4.4\n    sender_comp_id: FB\n"
     "    target_comp_id: O\n    port: 1\n    port: 2\n" V1 R1,
     "t.yaml:7:5: sessions[0].port: duplicate key (first given at line 6)\n"},
    {"bad enum",
     "sessions:\n  - {name: a, fix_version: FIX.5.0, sender_comp_id: FB, target_comp_id: O, "
     "port: 0}\n" V1 R1,
     "t.yaml:2:28: sessions[0].fix_version: must be one of: FIX.4.2, FIX.4.4\n"},
    {"bad log level", "bridge: {log_level: loud}\n" S1 V1 R1,
     "t.yaml:1:21: bridge.log_level: must be one of: debug, info, warn, error\n"},
    {"bad journal fsync", "bridge: {journal_fsync: always}\n" S1 V1 R1,
     "t.yaml:1:25: bridge.journal_fsync: must be one of: every, group, never\n"},
    {"journal group commit zero", "bridge: {journal_group_commit_ms: 0}\n" S1 V1 R1,
     "t.yaml:1:35: bridge.journal_group_commit_ms: must be between 1 and 1000\n"},
    {"journal group commit too long", "bridge: {journal_group_commit_ms: 1001}\n" S1 V1 R1,
     "t.yaml:1:35: bridge.journal_group_commit_ms: must be between 1 and 1000\n"},
    {"journal segment too small", "bridge: {journal_segment_bytes: 1048575}\n" S1 V1 R1,
     "t.yaml:1:33: bridge.journal_segment_bytes: must be between 1048576 and 4294967296\n"},
    {"journal segment too large", "bridge: {journal_segment_bytes: 4294967297}\n" S1 V1 R1,
     "t.yaml:1:33: bridge.journal_segment_bytes: must be between 1048576 and 4294967296\n"},
    {"journal segment in MiB", "bridge: {journal_segment_bytes: 64MiB}\n" S1 V1 R1,
     "t.yaml:1:33: bridge.journal_segment_bytes: expected an integer\n"},
    {"missing sessions", V1 R1, "t.yaml:1:1: sessions: missing required key\n"},
    {"empty sessions", "sessions: []\n" V1 R1,
     "t.yaml:1:11: sessions: must have 1 to 256 entries\n"},
    {"sessions not a list", "sessions: {name: a}\n" V1 R1,
     "t.yaml:1:11: sessions: expected a list, got a mapping\n"},
    {"heartbeat min above max",
     "sessions:\n  - {name: a, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: O, "
     "port: 0, heartbeat_min_s: 30, heartbeat_max_s: 10}\n" V1 R1,
     "t.yaml:2:102: sessions[0].heartbeat_min_s: must not exceed heartbeat_max_s\n"},
    {"daily reset without time",
     "sessions:\n  - {name: a, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: O, "
     "port: 0, reset: daily}\n" V1 R1,
     "t.yaml:2:5: sessions[0].reset_time: required when reset is daily\n"},
    {"reset time without daily",
     "sessions:\n  - {name: a, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: O, "
     "port: 0, reset_time: \"01:00:00\"}\n" V1 R1,
     "t.yaml:2:85: sessions[0].reset_time: only valid when reset is daily\n"},
    {"bad reset time",
     "sessions:\n  - {name: a, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: O, "
     "port: 0, reset: daily, reset_time: \"24:00:00\"}\n" V1 R1,
     "t.yaml:2:111: sessions[0].reset_time: expected a time HH:MM:SS (UTC)\n"},
    {"schedule start_day alone",
     S1 "    schedule: {start_time: \"08:00:00\", end_time: \"17:00:00\", start_day: mon}\n" V1 R1,
     "t.yaml:7:15: sessions[0].schedule.end_day: start_day and end_day are given together or "
     "not at all\n"},
    {"schedule missing end_time", S1 "    schedule: {start_time: \"08:00:00\"}\n" V1 R1,
     "t.yaml:7:15: sessions[0].schedule.end_time: missing required key\n"},
    {"schedule empty window",
     S1 "    schedule: {start_time: \"08:00:00\", end_time: \"08:00:00\"}\n" V1 R1,
     "t.yaml:7:50: sessions[0].schedule.end_time: equals start_time, which leaves no trading "
     "window\n"},
    {"literal password", S1 "    credentials: {username: u, password: hunter2}\n" V1 R1,
     "t.yaml:7:32: sessions[0].credentials.password: passwords never go in the config file; "
     "use password_env or password_hash\n"},
    {"literal password on the session", S1 "    password: hunter2\n" V1 R1,
     "t.yaml:7:5: sessions[0].password: passwords never go in the config file; use "
     "credentials.password_env or credentials.password_hash\n"},
    {"password env and hash",
     S1 "    credentials:\n      username: u\n      password_env: P\n"
        "      password_hash: \"sha256:00:" /* 64 hex */
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n" V1 R1,
     "t.yaml:10:7: sessions[0].credentials.password_hash: give password_env or password_hash, "
     "not both\n"},
    {"password neither", S1 "    credentials: {username: u}\n" V1 R1,
     "t.yaml:7:18: sessions[0].credentials.password_env: one of password_env or password_hash "
     "is required\n"},
    {"password hash shape",
     S1 "    credentials: {username: u, password_hash: \"sha256:zz:00\"}\n" V1 R1,
     "t.yaml:7:47: sessions[0].credentials.password_hash: expected sha256:<salt hex>:<64 hex "
     "digits>\n"},
    {"second session, nested path",
     S1 "  - name: b\n    fix_version: FIX.4.2\n    sender_comp_id: FB\n    target_comp_id: O\n"
        "    port: 0\n    credentials:\n      username: u\n      password_env: \"my password\"\n" V1
            R1,
     "t.yaml:14:21: sessions[1].credentials.password_env: expected the name of an environment "
     "variable (letters, digits and '_', not starting with a digit)\n"},
    {"tls client cert without ca",
     S1 "    tls: {cert: c.pem, key: k.pem, require_client_cert: true}\n" V1 R1,
     "t.yaml:7:10: sessions[0].tls.ca: required when require_client_cert is true\n"},
    {"tls missing key", S1 "    tls: {cert: c.pem}\n" V1 R1,
     "t.yaml:7:10: sessions[0].tls.key: missing required key\n"},
    {"listen host name", S1 "    listen: localhost\n" V1 R1,
     "t.yaml:7:13: sessions[0].listen: expected an IPv4 or IPv6 address literal\n"},
    {"allow entries",
     S1 "    allow: [10.0.0.0/33, 10.0.0.1/8, \"::1/129\", 300.1.1.1, 10.0.0.0/]\n" V1 R1,
     "t.yaml:7:13: sessions[0].allow[0]: prefix length must be 0..32\n"
     "t.yaml:7:26: sessions[0].allow[1]: address has bits set beyond the prefix length\n"
     "t.yaml:7:38: sessions[0].allow[2]: prefix length must be 0..128\n"
     "t.yaml:7:49: sessions[0].allow[3]: expected an IPv4/IPv6 address or CIDR\n"
     "t.yaml:7:60: sessions[0].allow[4]: expected a prefix length after '/'\n"},
    {"bad bool", S1 "    message_log: maybe\n" V1 R1,
     "t.yaml:7:18: sessions[0].message_log: expected a boolean (true, false, yes or no)\n"},
    {"bad name",
     "sessions:\n  - {name: \"a b\", fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: O, "
     "port: 0}\n" V1 R1,
     "t.yaml:2:12: sessions[0].name: may contain only letters, digits, '_', '.' and '-'\n"},
    {"name too long",
     "sessions:\n  - {name: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, fix_version: FIX.4.4, "
     "sender_comp_id: FB, target_comp_id: O, port: 0}\n" V1 R1,
     "t.yaml:2:12: sessions[0].name: must be 1 to 64 characters long\n"},
    {"order scope account without account", S1 "    order_scope: account\n" V1 R1,
     "t.yaml:7:18: sessions[0].account: required when order_scope is account\n"},
    {"duplicate sessions", "sessions:\n" SESS SESS V1 R1,
     "t.yaml:3:12: sessions[1].name: duplicate session name (also sessions[0])\n"
     "t.yaml:3:73: sessions[1].target_comp_id: same fix_version, sender_comp_id and "
     "target_comp_id as sessions[0]\n"},
    {"one port, two tls settings",
     "sessions:\n"
     "  - {name: a, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: O, port: 9}\n"
     "  - {name: b, fix_version: FIX.4.4, sender_comp_id: FB, target_comp_id: P, port: 9,"
     " tls: {cert: c, key: k}}\n" V1 R1,
     "t.yaml:3:82: sessions[1].tls: shares listen address and port with sessions[0] but not its "
     "tls settings\n"},
    {"sim key on binance", S1 REST_VENUE("binance") "    seed: 7\n" R1,
     "t.yaml:13:5: venues[0].seed: only valid for type sim\n"},
    {"binance key on kraken", S1 REST_VENUE("kraken") "    recv_window_ms: 7\n" R1,
     "t.yaml:13:5: venues[0].recv_window_ms: only valid for type binance\n"},
    {"rest key on sim", S1 V1 "    api_key_env: K\n" R1,
     "t.yaml:12:5: venues[0].api_key_env: only valid for types binance, kraken\n"},
    {"binance without keys", S1 "venues:\n  - {name: p, type: binance}\n" R1,
     "t.yaml:8:5: venues[0].base_url: missing required key for type binance\n"
     "t.yaml:8:5: venues[0].api_key_env: missing required key for type binance\n"
     "t.yaml:8:5: venues[0].api_secret_env: missing required key for type binance\n"},
    {"literal api key", S1 REST_VENUE("kraken") "    api_key: abc\n" R1,
     "t.yaml:13:5: venues[0].api_key: keys never go in the config file; use api_key_env\n"},
    {"bad venue type", S1 "venues:\n  - {name: p, type: ftx, seed: 1}\n" R1,
     "t.yaml:8:21: venues[0].type: must be one of: sim, binance, kraken\n"},
    {"bad url",
     S1 "venues:\n  - name: p\n    type: binance\n    base_url: ftp://x\n"
        "    api_key_env: K\n    api_secret_env: S\n" R1,
     "t.yaml:10:15: venues[0].base_url: must start with http:// or https://\n"},
    {"sim without markets", S1 "venues:\n  - {name: p, type: sim}\n" R1,
     "t.yaml:8:5: venues[0].markets: missing required key for type sim\n"},
    {"decimals",
     S1 "venues:\n  - name: p\n    type: sim\n    markets:\n"
        "      - {symbol: X, base: B, quote: Q, reference_price: 1e-5, tick_size: \"-1\", "
        "step_size: 0, min_qty: \"x\"}\n" R1,
     "t.yaml:11:57: venues[0].markets[0].reference_price: expected a decimal such as \"0.01\" "
     "(digits, optional point; no exponent)\n"
     "t.yaml:11:74: venues[0].markets[0].tick_size: must be greater than 0\n"
     "t.yaml:11:91: venues[0].markets[0].step_size: must be greater than 0\n"
     "t.yaml:11:103: venues[0].markets[0].min_qty: expected a decimal such as \"0.01\" (digits, "
     "optional point; no exponent)\n"},
    {"negative fee", S1 V1 "    maker_fee_rate: \"-0.1\"\n" R1,
     "t.yaml:12:21: venues[0].maker_fee_rate: must not be negative\n"},
    {"duplicate market", S1 V1 MKT R1,
     "t.yaml:12:18: venues[0].markets[1].symbol: duplicate market symbol (also markets[0])\n"},
    {"min above max qty",
     S1 "venues:\n  - name: p\n    type: sim\n    markets:\n"
        "      - {symbol: X, base: B, quote: Q, reference_price: 1, tick_size: 1, step_size: 1, "
        "min_qty: 5, max_qty: 2}\n" R1,
     "t.yaml:11:97: venues[0].markets[0].min_qty: must not exceed max_qty\n"},
    {"reference price off the tick grid",
     S1 "venues:\n  - name: p\n    type: sim\n    markets:\n"
        "      - {symbol: X, base: B, quote: Q, reference_price: \"100.005\", tick_size: 0.01, "
        "step_size: 1}\n" R1,
     "t.yaml:11:57: venues[0].markets[0].reference_price: must be a multiple of tick_size\n"},
    {"route to unknown venue", S1 V1 "routes:\n  - {symbol: X, venue: q, venue_symbol: X}\n",
     "t.yaml:13:24: routes[0].venue: no venue with this name\n"},
    {"route to unknown market", S1 V1 "routes:\n  - {symbol: X, venue: p, venue_symbol: Y}\n",
     "t.yaml:13:41: routes[0].venue_symbol: not one of the markets of venue p\n"},
    {"duplicate route", S1 V1 R1 "  - {symbol: X, venue: p, venue_symbol: X}\n",
     "t.yaml:14:14: routes[1].symbol: same symbol and ex_destination as routes[0]\n"},
    {"duplicate venue",
     S1 V1
     "  - {name: p, type: binance, base_url: http://x, api_key_env: K, api_secret_env: S}\n" R1,
     "t.yaml:12:12: venues[1].name: duplicate venue name (also venues[0])\n"},
    {"errors from several sections at once",
     "bridge: {shutdown_timeout_ms: 60001}\n" S1 "    port: 1\n" V1 R1
     "  - {symbol: Z, venue: nowhere, venue_symbol: Z}\n",
     "t.yaml:1:31: bridge.shutdown_timeout_ms: must be between 0 and 60000\n"
     "t.yaml:8:5: sessions[0].port: duplicate key (first given at line 7)\n"
     "t.yaml:16:24: routes[1].venue: no venue with this name\n"},
    {"syntax error", "sessions: [\n", "t.yaml:2:1: did not find expected node content\n"},
    {"tab indentation", "sessions:\n\t- a\n",
     "t.yaml:2:1: found character that cannot start any token\n"},
    {"empty file", "# nothing\n", "t.yaml:1:1: the file holds no configuration\n"},
    {"root is a list", "- a\n", "t.yaml:1:1: expected a mapping, got a list\n"},
    {"alias", "x: &a 1\ny: *a\n", "t.yaml:2:4: YAML aliases are not supported\n"},
    {"two documents", S1 V1 R1 "---\n" S1, "t.yaml:14:1: only one YAML document is allowed\n"},
    {"null value", S1 "    account:\n" V1 R1, "t.yaml:7:13: sessions[0].account: has no value\n"},
    {"mapping where value expected", S1 "    account: {a: 1}\n" V1 R1,
     "t.yaml:7:14: sessions[0].account: expected a single value, got a mapping\n"},
    {"policy min_price above max_price",
     S1 V1 R1 "policy:\n  default: {min_price: \"100\", max_price: \"50\"}\n", "t.yaml:15:24: policy.default.min_price: 100 exceeds max_price 50\n"},
    {"policy collar out of range", S1 V1 R1 "policy:\n  default: {collar_bps: 10001}\n", "t.yaml:15:25: policy.default.collar_bps: must be between 0 and 10000\n"},
    {"policy slippage 0 with convert", S1 V1 R1 "policy:\n  default: {slippage_bps: 0}\n", "t.yaml:15:27: policy.default.slippage_bps: must be greater than 0 with market_orders "
     "convert_to_ioc_limit\n"},
    {"policy convert in an override, slippage 0 from the default",
     S1 V1 R1 "policy:\n  default: {market_orders: refuse, slippage_bps: 0}\n"
              "  overrides:\n    - {venue: p, market_orders: convert_to_ioc_limit}\n",
     "t.yaml:17:33: policy.overrides[0].market_orders: convert_to_ioc_limit needs slippage_bps "
     "> 0, not 0 set by policy.default\n"},
    {"policy slippage above collar", S1 V1 R1 "policy:\n  default: {collar_bps: 40}\n", "t.yaml:15:25: policy.default.collar_bps: slippage_bps 50 exceeds collar_bps 40, so the "
     "collar would refuse every converted market order\n"},
    {"policy decimals must be positive",
     S1 V1 R1 "policy:\n  default: {max_order_qty: \"0\", max_position: \"-1\", "
              "max_order_notional: 1e6}\n",
     "t.yaml:15:28: policy.default.max_order_qty: must be greater than 0\n"
     "t.yaml:15:47: policy.default.max_position: must be greater than 0\n"
     "t.yaml:15:73: policy.default.max_order_notional: expected a decimal such as \"0.01\" "
     "(digits, optional point; no exponent)\n"},
    {"policy unknown order type",
     S1 V1 R1 "policy:\n  default: {allowed_ord_types: [market, iceberg]}\n", "t.yaml:15:41: policy.default.allowed_ord_types[1]: must be one of: market, limit, stop, "
     "stop_limit, take_profit, take_profit_limit\n"},
    {"policy tif listed twice", S1 V1 R1 "policy:\n  default: {allowed_tifs: [day, day]}\n",
     "t.yaml:15:33: policy.default.allowed_tifs[1]: listed twice\n"},
    {"policy empty tif list", S1 V1 R1 "policy:\n  default: {allowed_tifs: []}\n", "t.yaml:15:27: policy.default.allowed_tifs: must have 1 to 5 entries\n"},
    {"policy bad market_orders", S1 V1 R1 "policy:\n  default: {market_orders: convert}\n",
     "t.yaml:15:28: policy.default.market_orders: must be one of: convert_to_ioc_limit, refuse, "
     "allow\n"},
    {"policy override names unknown venue, session, symbol",
     S1 V1 R1 "policy:\n  overrides:\n"
              "    - {venue: q, session: zz, symbol: Y, account: D, max_order_qty: \"1\"}\n",
     "t.yaml:16:15: policy.overrides[0].venue: no venue with this name\n"
     "t.yaml:16:27: policy.overrides[0].session: no session with this name\n"
     "t.yaml:16:39: policy.overrides[0].symbol: no route for this symbol\n"},
    {"policy override without selector",
     S1 V1 R1 "policy:\n  overrides:\n    - {max_order_qty: \"1\"}\n", "t.yaml:16:7: policy.overrides[0]: an override needs at least one of venue, session, "
     "account, symbol\n"},
    {"policy override without limits", S1 V1 R1 "policy:\n  overrides:\n    - {venue: p}\n",
     "t.yaml:16:7: policy.overrides[0]: an override must set at least one limit\n"},
    {"policy override unknown key",
     S1 V1 R1 "policy:\n  overrides:\n    - {venue: p, max_qty: \"1\"}\n", "t.yaml:16:18: policy.overrides[0].max_qty: unknown key in policy override\n"},
    {"policy duplicate overrides",
     S1 V1 R1 "policy:\n  overrides:\n    - {venue: p, symbol: X, max_order_qty: \"1\"}\n"
              "    - {symbol: X, venue: p, collar_bps: 600}\n",
     "t.yaml:17:7: policy.overrides[1]: same venue, session, account and symbol as "
     "policy.overrides[0]\n"},
    {"policy override min_price above the default's max_price",
     S1 V1 R1 "policy:\n  default: {max_price: \"50\"}\n"
              "  overrides:\n    - {symbol: X, min_price: \"100\"}\n",
     "t.yaml:17:30: policy.overrides[0].min_price: 100 exceeds max_price 50 set by "
     "policy.default\n"},
    {"session throttle orders above messages",
     S1 "    throttle: {orders_per_s: 600}\n" V1 R1,
     "t.yaml:7:30: sessions[0].throttle.orders_per_s: 600 exceeds messages_per_s 500; every "
     "order is a message, so it could never be reached\n"},
    {"session throttle messages below the default orders",
     S1 "    throttle: {messages_per_s: 50}\n" V1 R1,
     "t.yaml:7:32: sessions[0].throttle.messages_per_s: 50 is below orders_per_s 100; every "
     "order is a message, so orders_per_s could never be reached\n"},
    {"session throttle burst 0, unknown key, budget too long",
     S1 "    throttle: {burst: 0, orders_per_sec: 5, latency_budget_ms: 60001}\n" V1 R1,
     "t.yaml:7:23: sessions[0].throttle.burst: must be between 1 and 1000000\n"
     "t.yaml:7:26: sessions[0].throttle.orders_per_sec: unknown key in session throttle\n"
     "t.yaml:7:64: sessions[0].throttle.latency_budget_ms: must be between 0 and 60000\n"},
    {"venue throttle requests below the default orders",
     S1 REST_VENUE("binance") "    throttle: {requests_per_s: 5}\n" R1,
     "t.yaml:13:32: venues[0].throttle.requests_per_s: 5 is below orders_per_s 10; every order "
     "is a request, so orders_per_s could never be reached\n"},
    {"sim venue throttle orders above requests",
     S1 V1 "    throttle: {requests_per_s: 5, orders_per_s: 6}\n" R1,
     "t.yaml:12:49: venues[0].throttle.orders_per_s: 6 exceeds requests_per_s 5; every order "
     "is a request, so it could never be reached\n"},
    {"breaker without probes, rate over 100",
     S1 V1 "    breaker: {half_open_probes: 0, error_rate_pct: 101}\n" R1,
     "t.yaml:12:33: venues[0].breaker.half_open_probes: must be between 1 and 100\n"
     "t.yaml:12:52: venues[0].breaker.error_rate_pct: must be between 0 and 100\n"},
    {"breaker that could never open",
     S1 V1 "    breaker: {consecutive_failures: 0, error_rate_pct: 0}\n" R1,
     "t.yaml:12:37: venues[0].breaker.consecutive_failures: consecutive_failures and "
     "error_rate_pct are both 0, so the breaker could never open\n"},
    {"breaker cool-down above its maximum",
     S1 V1 "    breaker: {cooldown_ms: 600000}\n" R1,
     "t.yaml:12:28: venues[0].breaker.cooldown_ms: 600000 exceeds max_cooldown_ms 300000\n"},
    {"breaker maximum cool-down below the cool-down",
     S1 V1 "    breaker: {max_cooldown_ms: 5000}\n" R1,
     "t.yaml:12:32: venues[0].breaker.max_cooldown_ms: 5000 is below cooldown_ms 10000\n"},
    {"breaker slow_ms not below the request timeout",
     S1 REST_VENUE("kraken") "    request_timeout_ms: 1000\n    breaker: {slow_ms: 1000}\n" R1,
     "t.yaml:14:24: venues[0].breaker.slow_ms: 1000 is not below request_timeout_ms 1000, so "
     "no answer could ever be that slow\n"},
    {"policy override against a covering override",
     S1 V1 R1 "policy:\n  overrides:\n    - {venue: p, max_price: \"50\"}\n"
              "    - {venue: p, symbol: X, min_price: \"100\"}\n"
              "    - {account: D, min_price: \"60\"}\n",
     "t.yaml:17:40: policy.overrides[1].min_price: 100 exceeds max_price 50 set by "
     "policy.overrides[0]\n"},
};

static char *load_err(const char *text, struct fb_config **cfg, enum fb_err *rc)
{
    char *err = NULL;
    *cfg = NULL;
    *rc = fb_config_load_string(text, "t.yaml", "/base", cfg, &err);
    return err;
}

START_TEST(bad_config_reports_exact_errors)
{
    const struct bad_case *c = &bad_cases[_i];
    struct fb_config *cfg = NULL;
    enum fb_err rc;
    char *err = load_err(c->text, &cfg, &rc);
    ck_assert_msg(rc == FB_ERR_CONFIG, "%s: rc %d", c->name, rc);
    ck_assert_msg(cfg == NULL, "%s: half-built config returned", c->name);
    ck_assert_msg(err && strcmp(err, c->want) == 0, "%s:\n got: %s\nwant: %s", c->name,
                  err ? err : "(null)", c->want);
    free(err);
}
END_TEST

START_TEST(errors_are_bounded)
{
    /* 25 unknown keys: 20 reported, the rest counted. */
    char text[2048] = "";
    for (int i = 0; i < 25; i++) {
        char line[32];
        snprintf(line, sizeof line, "k%02d: 1\n", i);
        strcat(text, line);
    }
    struct fb_config *cfg;
    enum fb_err rc;
    char *err = load_err(text, &cfg, &rc);
    ck_assert_int_eq(rc, FB_ERR_CONFIG);
    int lines = 0;
    for (const char *p = err; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, FB_CONFIG_MAX_ERRORS + 1);
    ck_assert_ptr_nonnull(strstr(err, "t.yaml:20:1: k19: unknown key in config\n"));
    ck_assert_ptr_null(strstr(err, "k20"));
    ck_assert_ptr_nonnull(strstr(err, "t.yaml: 8 more errors not shown\n"));
    free(err);
}
END_TEST

START_TEST(errors_never_echo_values)
{
    /* A secret pasted into a name field must not reach the error text. */
    const char *text =
        S1 "venues:\n  - name: p\n    type: binance\n    base_url: https://x\n"
           "    api_key_env: \"sk-LIVE/abc+123\"\n    api_secret_env: \"S3cr3t!\"\n" R1;
    struct fb_config *cfg;
    enum fb_err rc;
    char *err = load_err(text, &cfg, &rc);
    ck_assert_int_eq(rc, FB_ERR_CONFIG);
    ck_assert_ptr_null(strstr(err, "sk-LIVE"));
    ck_assert_ptr_null(strstr(err, "S3cr3t"));
    ck_assert_ptr_nonnull(strstr(err, "venues[0].api_key_env"));
    ck_assert_ptr_nonnull(strstr(err, "venues[0].api_secret_env"));
    free(err);
}
END_TEST

START_TEST(errptr_replaced_and_out_untouched)
{
    struct fb_config *sentinel = (struct fb_config *)(void *)&sentinel;
    struct fb_config *cfg = sentinel;
    char *err = strdup("old");
    enum fb_err rc = fb_config_load_string("x: 1\n", "t.yaml", NULL, &cfg, &err);
    ck_assert_int_eq(rc, FB_ERR_CONFIG);
    ck_assert_ptr_eq(cfg, sentinel);
    ck_assert_str_eq(err, "t.yaml:1:1: x: unknown key in config\n"
                          "t.yaml:1:1: sessions: missing required key\n"
                          "t.yaml:1:1: venues: missing required key\n"
                          "t.yaml:1:1: routes: missing required key\n");
    free(err);
    /* errptr may be NULL. */
    ck_assert_int_eq(fb_config_load_string("x: 1\n", "t.yaml", NULL, &cfg, NULL), FB_ERR_CONFIG);
}
END_TEST

START_TEST(defaults_and_paths)
{
    struct fb_config *cfg = NULL;
    char *err = NULL;
    enum fb_err rc = fb_config_load_string(S1 "    tls: {cert: c.pem, key: /abs/k.pem}\n" V1 R1,
                                           "t.yaml", "/base", &cfg, &err);
    ck_assert_msg(rc == FB_OK, "%s", err ? err : "");
    ck_assert_str_eq(cfg->path, "t.yaml");
    ck_assert_str_eq(cfg->bridge.data_dir, "/base/data");
    ck_assert_str_eq(cfg->bridge.dictionary_dir, FB_SOURCE_DIR "/spec");
    ck_assert_int_eq(cfg->bridge.log_level, FB_LOG_INFO);
    ck_assert_int_eq(cfg->bridge.journal_fsync, FB_JOURNAL_FSYNC_GROUP);
    ck_assert_uint_eq(cfg->bridge.journal_group_commit_ms, 2);
    ck_assert_uint_eq(cfg->bridge.journal_segment_bytes, 64u << 20);
    ck_assert_uint_eq(cfg->bridge.shutdown_timeout_ms, 2000);
    const struct fb_session_cfg *s = &cfg->sessions[0];
    ck_assert_str_eq(s->listen, "127.0.0.1");
    ck_assert_uint_eq(s->heartbeat_min_s, 1);
    ck_assert_uint_eq(s->heartbeat_max_s, 300);
    ck_assert_int_eq(s->reset, FB_RESET_NEVER);
    ck_assert_int_eq(s->store, FB_STORE_FILE);
    ck_assert(s->message_log);
    ck_assert_uint_eq(s->max_latency_s, 120);
    ck_assert_uint_eq(s->logon_timeout_s, 10);
    ck_assert_ptr_null(s->account);
    ck_assert_int_eq(s->order_scope, FB_SCOPE_SESSION);
    ck_assert(!s->cancel_on_disconnect);
    ck_assert(!s->credentials.present);
    ck_assert(!s->schedule.present);
    ck_assert(s->tls.present);
    ck_assert_str_eq(s->tls.cert, "/base/c.pem");
    ck_assert_str_eq(s->tls.key, "/abs/k.pem");
    ck_assert_ptr_null(s->tls.ca);
    ck_assert_uint_eq(s->nallow, 0);
    const struct fb_venue_cfg *v = fb_config_find_venue(cfg, "p");
    ck_assert_ptr_eq(v, &cfg->venues[0]);
    ck_assert_ptr_null(fb_config_find_venue(cfg, "q"));
    ck_assert_uint_eq(v->seed, 1);
    ck_assert(fb_dec_is_zero(v->maker_fee_rate));
    ck_assert_int_eq(v->fill, FB_FILL_FULL);
    ck_assert_uint_eq(v->partial_fill_parts, 3);
    ck_assert_uint_eq(v->tick_ms, 100);
    ck_assert_uint_eq(v->markets[0].volatility_bps, 5);
    ck_assert_uint_eq(v->markets[0].spread_bps, 2);
    ck_assert_ptr_null(v->base_url);
    ck_assert_ptr_null(cfg->routes[0].ex_destination);
    fb_config_free(cfg);
}
END_TEST

static struct fb_config *load_shipped(const char *name)
{
    char path[1024];
    char *err = NULL;
    struct fb_config *cfg = NULL;
    snprintf(path, sizeof path, "%s/config/%s", FB_SOURCE_DIR, name);
    enum fb_err rc = fb_config_load(path, &cfg, &err);
    ck_assert_msg(rc == FB_OK, "%s: %s", name, err ? err : fb_strerror(rc));
    free(err);
    return cfg;
}

static void assert_dec(struct fb_dec got, const char *want)
{
    struct fb_dec w;
    ck_assert_int_eq(fb_dec_parse_str(want, &w), FB_OK);
    ck_assert_msg(fb_dec_cmp(got, w) == 0, "decimal != %s", want);
}

START_TEST(sandbox_loads)
{
    struct fb_config *cfg = load_shipped("sandbox.yaml");
    ck_assert_uint_eq(cfg->nsessions, 2);
    const struct fb_session_cfg *s = &cfg->sessions[0];
    ck_assert_int_eq(s->fix_version, FB_FIX_44);
    ck_assert_str_eq(s->sender_comp_id, "FIXBRIDGE");
    ck_assert_str_eq(s->target_comp_id, "OMS");
    ck_assert_str_eq(s->listen, "127.0.0.1");
    ck_assert_uint_eq(s->port, 9878);
    ck_assert_int_eq(s->reset, FB_RESET_ON_LOGON);
    ck_assert_int_eq(s->store, FB_STORE_FILE);
    ck_assert(!s->credentials.present);
    s = &cfg->sessions[1];
    ck_assert_int_eq(s->fix_version, FB_FIX_42);
    ck_assert_str_eq(s->sender_comp_id, "FIXBRIDGE");
    ck_assert_str_eq(s->target_comp_id, "OMS42");
    ck_assert_uint_eq(s->port, 9878);
    ck_assert_uint_eq(cfg->nvenues, 1);
    const struct fb_venue_cfg *v = fb_config_find_venue(cfg, "paper");
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->type, FB_VENUE_SIM);
    ck_assert_uint_eq(v->nmarkets, 3);
    ck_assert_str_eq(v->markets[0].symbol, "BTCUSDT");
    assert_dec(v->markets[0].reference_price, "65000");
    assert_dec(v->markets[0].tick_size, "0.01");
    assert_dec(v->markets[0].step_size, "0.00001");
    assert_dec(v->markets[0].min_qty, "0.00001");
    assert_dec(v->markets[0].min_notional, "5");
    ck_assert_str_eq(v->markets[1].symbol, "ETHUSDT");
    assert_dec(v->markets[1].reference_price, "3500");
    assert_dec(v->markets[1].step_size, "0.0001");
    assert_dec(v->markets[1].min_notional, "5");
    ck_assert_str_eq(v->markets[2].symbol, "SOLUSDT");
    assert_dec(v->markets[2].reference_price, "150");
    assert_dec(v->markets[2].step_size, "0.001");
    ck_assert_uint_eq(cfg->nroutes, 3);
    const char *want[][2] = {
        {"BTC/USDT", "BTCUSDT"}, {"ETH/USDT", "ETHUSDT"}, {"SOL/USDT", "SOLUSDT"}};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(cfg->routes[i].symbol, want[i][0]);
        ck_assert_str_eq(cfg->routes[i].venue, "paper");
        ck_assert_str_eq(cfg->routes[i].venue_symbol, want[i][1]);
    }
    /* Relative paths resolve against config/, whatever the working directory. */
    ck_assert_ptr_nonnull(strstr(cfg->bridge.data_dir, "/config/../data/sandbox"));
    ck_assert_int_eq(cfg->bridge.data_dir[0], '/');
    fb_config_free(cfg);
}
END_TEST

START_TEST(venue_examples_load)
{
    struct fb_config *cfg = load_shipped("binance-testnet.example.yaml");
    const struct fb_venue_cfg *v = &cfg->venues[0];
    ck_assert_int_eq(v->type, FB_VENUE_BINANCE);
    ck_assert_str_eq(v->base_url, "https://testnet.binance.vision");
    ck_assert_ptr_nonnull(v->api_key_env);
    ck_assert_ptr_nonnull(v->api_secret_env);
    fb_config_free(cfg);
    cfg = load_shipped("kraken.example.yaml");
    v = &cfg->venues[0];
    ck_assert_int_eq(v->type, FB_VENUE_KRAKEN);
    ck_assert_str_eq(v->base_url, "https://api.kraken.com");
    ck_assert_str_eq(v->api_key_env, "KRAKEN_API_KEY");
    fb_config_free(cfg);
}
END_TEST

/* Every key of every table appears as "key:" in the example. */
static void assert_documented(const struct cfg_table *t, const char *text)
{
    for (size_t i = 0; i < t->nkeys; i++) {
        const struct cfg_key *k = &t->keys[i];
        char needle[80];
        snprintf(needle, sizeof needle, "%s:", k->name);
        ck_assert_msg(strstr(text, needle), "%s.%s is not in fixbridge.example.yaml", t->what,
                      k->name);
        if (k->sub)
            assert_documented(k->sub, text);
    }
}

START_TEST(example_loads_and_documents_every_key)
{
    struct fb_config *cfg = load_shipped("fixbridge.example.yaml");
    const struct fb_session_cfg *s = &cfg->sessions[0];
    ck_assert_int_eq(s->reset, FB_RESET_DAILY);
    ck_assert(s->schedule.present);
    ck_assert_uint_eq(s->schedule.start_time, 8 * 3600);
    ck_assert_int_eq(s->schedule.start_day, FB_DAY_MON);
    ck_assert_int_eq(s->schedule.end_day, FB_DAY_FRI);
    ck_assert_uint_eq(s->nallow, 3);
    ck_assert_uint_eq(s->allow[1].prefix, 8);
    ck_assert(s->tls.require_client_cert);
    ck_assert_str_eq(s->credentials.password_env, "FIXBRIDGE_OMS1_PASSWORD");
    ck_assert_ptr_nonnull(cfg->sessions[1].credentials.password_hash);
    fb_config_free(cfg);

    char path[1024];
    snprintf(path, sizeof path, "%s/config/fixbridge.example.yaml", FB_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char text[256 * 1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_documented(&cfg_root_table, text);
}
END_TEST

START_TEST(dump_prints_names_not_secrets)
{
    struct fb_config *cfg = load_shipped("fixbridge.example.yaml");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(fb_config_dump(cfg, out), FB_OK);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(buf, "sessions[0].port = 9878\n"));
    ck_assert_ptr_nonnull(
        strstr(buf, "sessions[0].credentials.password_env = FIXBRIDGE_OMS1_PASSWORD\n"));
    ck_assert_ptr_nonnull(strstr(buf, "sessions[1].credentials.password_hash = (set)\n"));
    ck_assert_ptr_null(strstr(buf, "sha256:"));
    ck_assert_ptr_nonnull(strstr(buf, "sessions[0].allow = 127.0.0.1/32, 10.0.0.0/8, ::1/128\n"));
    ck_assert_ptr_nonnull(strstr(buf, "sessions[0].reset_time = 00:00:00\n"));
    ck_assert_ptr_nonnull(strstr(buf, "venues[0].markets[0].step_size = 0.00001\n"));
    ck_assert_ptr_nonnull(strstr(buf, "venues[1].api_key_env = BINANCE_API_KEY\n"));
    ck_assert_ptr_nonnull(strstr(buf, "venues[1].recv_window_ms = 5000\n"));
    /* Keys of other venue types are not shown. */
    ck_assert_ptr_null(strstr(buf, "venues[0].base_url"));
    ck_assert_ptr_null(strstr(buf, "venues[2].recv_window_ms"));
    ck_assert_ptr_null(strstr(buf, "venues[1].seed"));
    free(buf);
    fb_config_free(cfg);
}
END_TEST

START_TEST(policy_loads_and_dumps)
{
    struct fb_config *cfg = load_shipped("fixbridge.example.yaml");
    const struct fb_policy_cfg *p = &cfg->policy;
    assert_dec(p->def.max_order_qty, "10");
    assert_dec(p->def.max_order_notional, "1000000");
    ck_assert_uint_eq(p->def.max_open_orders, 500);
    ck_assert_uint_eq(p->def.allowed_ord_types, 0x3fu);
    ck_assert_uint_eq(p->def.allowed_tifs, 0x1fu);
    ck_assert_int_eq(p->def.market_orders, FB_MKT_CONVERT_TO_IOC_LIMIT);
    ck_assert_uint_eq(p->def.set, (1u << FB_PK_LAST) - 1);
    ck_assert_uint_eq(p->noverrides, 5);
    const struct fb_policy_override_cfg *o = &p->overrides[2];
    ck_assert_str_eq(o->account, "DESK1");
    ck_assert_ptr_null(o->venue);
    ck_assert_uint_eq(o->limits.set, (1u << FB_PK_MAX_POSITION) | (1u << FB_PK_ALLOWED_TIFS));
    ck_assert_uint_eq(o->limits.allowed_tifs, 0x7u);
    o = &p->overrides[4];
    ck_assert_str_eq(o->venue, "kraken");
    ck_assert_str_eq(o->symbol, "BTC/USD");
    ck_assert_int_eq(o->limits.market_orders, FB_MKT_REFUSE);

    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(fb_config_dump(cfg, out), FB_OK);
    fclose(out);
    ck_assert_ptr_nonnull(
        strstr(buf, "policy.default.allowed_ord_types = market, limit, stop, stop_limit, "
                    "take_profit, take_profit_limit\n"));
    ck_assert_ptr_nonnull(strstr(buf, "policy.overrides[2].allowed_tifs = day, gtc, ioc\n"));
    ck_assert_ptr_nonnull(strstr(buf, "policy.overrides[2].max_position = 20\n"));
    ck_assert_ptr_nonnull(strstr(buf, "policy.overrides[2].venue = (none)\n"));
    /* Keys an override does not set are not shown (they are not zero). */
    ck_assert_ptr_null(strstr(buf, "policy.overrides[2].collar_bps"));
    ck_assert_ptr_nonnull(strstr(buf, "policy.overrides[0].collar_bps = 1000\n"));
    free(buf);
    fb_config_free(cfg);
}
END_TEST

START_TEST(throttle_and_breaker_defaults)
{
    /* Defaults differ by venue type; an absent section still gets them, a
     * sim venue's and a REST venue's throttle keys are the same names. */
    const char *text = S1 "    throttle: {orders_per_s: 0}\n"
                          "venues:\n  - name: p\n    type: sim\n    markets:\n" MKT
                          "  - {name: b, type: binance, base_url: https://x.test, api_key_env: K,"
                          " api_secret_env: S, throttle: {burst: 4}}\n"
                          "  - {name: s, type: sim, markets: [{symbol: X, base: B, quote: Q,"
                          " reference_price: 1, tick_size: 1, step_size: 1}],"
                          " throttle: {orders_per_s: 7}, breaker: {slow_ms: 0}}\n" R1;
    struct fb_config *cfg = NULL;
    char *err = NULL;
    enum fb_err rc = fb_config_load_string(text, "t.yaml", NULL, &cfg, &err);
    ck_assert_msg(rc == FB_OK, "%s", err ? err : "");
    const struct fb_session_throttle_cfg *st = &cfg->sessions[0].throttle;
    ck_assert_uint_eq(st->messages_per_s, 500);
    ck_assert_uint_eq(st->orders_per_s, 0);
    ck_assert_uint_eq(st->burst, 50);
    ck_assert_uint_eq(st->latency_budget_ms, 200);
    const struct fb_venue_throttle_cfg *sim = &cfg->venues[0].throttle, *bn = &cfg->venues[1].throttle;
    ck_assert_uint_eq(sim->requests_per_s, 0);
    ck_assert_uint_eq(sim->orders_per_s, 0);
    ck_assert_uint_eq(sim->burst, 100);
    ck_assert_uint_eq(sim->latency_budget_ms, 250);
    ck_assert_uint_eq(bn->requests_per_s, 20);
    ck_assert_uint_eq(bn->orders_per_s, 10);
    ck_assert_uint_eq(bn->burst, 4);
    ck_assert_uint_eq(bn->latency_budget_ms, 250);
    ck_assert_uint_eq(cfg->venues[2].throttle.orders_per_s, 7);
    ck_assert_uint_eq(cfg->venues[2].throttle.requests_per_s, 0);
    const struct fb_breaker_cfg *b = &cfg->venues[0].breaker;
    ck_assert_uint_eq(b->consecutive_failures, 5);
    ck_assert_uint_eq(b->error_rate_pct, 50);
    ck_assert_uint_eq(b->window_s, 60);
    ck_assert_uint_eq(b->min_samples, 20);
    ck_assert_uint_eq(b->cooldown_ms, 10000);
    ck_assert_uint_eq(b->max_cooldown_ms, 300000);
    ck_assert_uint_eq(b->half_open_probes, 3);
    ck_assert_uint_eq(b->slow_ms, 2000);
    ck_assert_uint_eq(cfg->venues[2].breaker.slow_ms, 0);

    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(fb_config_dump(cfg, out), FB_OK);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(buf, "sessions[0].throttle.orders_per_s = 0\n"));
    ck_assert_ptr_nonnull(strstr(buf, "venues[0].throttle.burst = 100\n"));
    ck_assert_ptr_nonnull(strstr(buf, "venues[1].throttle.burst = 4\n"));
    ck_assert_ptr_nonnull(strstr(buf, "venues[1].breaker.cooldown_ms = 10000\n"));
    /* one throttle block per venue, not one per row of that name */
    ck_assert_ptr_null(strstr(strstr(buf, "venues[1].throttle.burst") + 1, "venues[1].throttle.burst"));
    free(buf);
    fb_config_free(cfg);
}
END_TEST

START_TEST(missing_file_is_io_error)
{
    struct fb_config *cfg = NULL;
    char *err = NULL;
    ck_assert_int_eq(fb_config_load("/nonexistent/x.yaml", &cfg, &err), FB_ERR_IO);
    ck_assert_ptr_null(cfg);
    ck_assert_str_eq(err, "/nonexistent/x.yaml: cannot read: No such file or directory\n");
    free(err);
}
END_TEST

START_TEST(limits_accepted)
{
    /* Edge values that must load: bounds inclusive, uint64 seed max, quoted
     * and plain decimals, yes/no booleans, IPv6 listen, schedule wrapping. */
    const char *text = "sessions:\n  - {name: a-b.c_1, fix_version: FIX.4.2, sender_comp_id: FB, "
                       "target_comp_id: O, port: 65535, listen: \"::\", heartbeat_min_s: 3600, "
                       "heartbeat_max_s: 3600, message_log: no, cancel_on_disconnect: yes, "
                       "schedule: {start_time: \"22:00:00\", end_time: \"06:00:00\"}}\n"
                       "venues:\n  - name: p\n    type: sim\n    seed: 18446744073709551615\n"
                       "    markets:\n      - {symbol: X, base: B, quote: Q, reference_price: "
                       "0.000000000000000001,"
                       " tick_size: \"0.000000000000000001\", step_size: 1, max_qty: 0}\n" R1;
    struct fb_config *cfg = NULL;
    char *err = NULL;
    enum fb_err rc = fb_config_load_string(text, "t.yaml", NULL, &cfg, &err);
    ck_assert_msg(rc == FB_OK, "%s", err ? err : "");
    ck_assert_uint_eq(cfg->venues[0].seed, UINT64_MAX);
    ck_assert(!cfg->sessions[0].message_log);
    ck_assert(cfg->sessions[0].cancel_on_disconnect);
    ck_assert_str_eq(cfg->bridge.data_dir, "data");
    fb_config_free(cfg);

    /* The journal's bounds. */
    static const char *const journal_edges[][2] = {
        {"bridge: {journal_fsync: every, journal_group_commit_ms: 1, journal_segment_bytes: "
         "1048576}\n",
         "1 1048576"},
        {"bridge: {journal_group_commit_ms: 1000, journal_segment_bytes: 4294967296}\n",
         "1000 4294967296"},
    };
    for (size_t i = 0; i < 2; i++) {
        char *t = NULL;
        size_t n = strlen(journal_edges[i][0]) + strlen(S1 V1 R1) + 1;
        ck_assert_ptr_nonnull(t = malloc(n));
        snprintf(t, n, "%s%s", journal_edges[i][0], S1 V1 R1);
        rc = fb_config_load_string(t, "t.yaml", NULL, &cfg, &err);
        ck_assert_msg(rc == FB_OK, "%s", err ? err : "");
        char got[64];
        snprintf(got, sizeof got, "%u %llu", cfg->bridge.journal_group_commit_ms,
                 (unsigned long long)cfg->bridge.journal_segment_bytes);
        ck_assert_str_eq(got, journal_edges[i][1]);
        ck_assert_int_eq(cfg->bridge.journal_fsync,
                         i == 0 ? FB_JOURNAL_FSYNC_EVERY : FB_JOURNAL_FSYNC_GROUP);
        fb_config_free(cfg);
        free(t);
    }
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *core = tcase_create("core");
    tcase_add_test(core, defaults_and_paths);
    tcase_add_test(core, sandbox_loads);
    tcase_add_test(core, venue_examples_load);
    tcase_add_test(core, example_loads_and_documents_every_key);
    tcase_add_test(core, dump_prints_names_not_secrets);
    tcase_add_test(core, missing_file_is_io_error);
    tcase_add_test(core, policy_loads_and_dumps);
    tcase_add_test(core, throttle_and_breaker_defaults);
    tcase_add_test(core, errptr_replaced_and_out_untouched);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_loop_test(limits, bad_config_reports_exact_errors, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(limits, errors_are_bounded);
    tcase_add_test(limits, errors_never_echo_values);
    tcase_add_test(limits, limits_accepted);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
