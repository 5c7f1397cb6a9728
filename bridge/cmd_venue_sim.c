/*
 * fixbridge venue-sim: a Binance Spot or Kraken Spot REST simulator on
 * 127.0.0.1 for end-to-end tests (adapters/vsim_binance.h and
 * adapters/vsim_kraken.h have the endpoints, the checks and the fault kinds).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapters/vsim_binance.h"
#include "adapters/vsim_kraken.h"
#include "bridge/cli.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fixbridge venue-sim --venue binance|kraken --market SPEC [--market SPEC ...]\n"
            "       --api-key-env NAME --api-secret-env NAME [options]\n"
            "\n"
            "Serves Binance Spot REST (time, exchangeInfo, ticker/bookTicker, order\n"
            "POST/GET/DELETE, order/cancelReplace, openOrders, myTrades) on 127.0.0.1,\n"
            "checking API key, HMAC signatures, timestamp/recvWindow, parameters and\n"
            "filters; matching is\n"
            "the paper venue's. Control (tests): POST /__sim/fault?kind=K[&count=N]\n"
            "[&on=new|cancel|replace|query|any][&ms=N][&retry_after=S], POST\n"
            "/__sim/price?symbol=S&price=P, GET /__sim/orders[?clientOrderId=C].\n"
            "Fault kinds: 5xx_after_place 5xx_before_place delay_after_place\n"
            "drop_after_place malformed_after_place 429 1007_after_place clear, and\n"
            "hide_trades (on=new|replace: myTrades leaves out that order's trades for\n"
            "ms after each, while its status counts them).\n"
            "\n"
            "--venue kraken serves Kraken Spot REST instead (public Time, SystemStatus,\n"
            "AssetPairs, Ticker; private AddOrder, CancelOrder, CancelAll, AmendOrder,\n"
            "QueryOrders, QueryTrades, OpenOrders, ClosedOrders), checking User-Agent,\n"
            "API-Key, API-Sign, nonces, parameters, precision, ordermin and costmin; the\n"
            "same control endpoint (/__sim/orders?clientOrderId= is the cl_ord_id), plus\n"
            "POST /__sim/limits?rest_max=N&rest_decay_milli=D. Its fault kinds:\n"
            "5xx_after_place 5xx_before_place delay_after_place drop_after_place\n"
            "malformed_after_place unavailable_after_place 429 rate_limit\n"
            "order_rate_limit clear.\n"
            "\n"
            "  --venue binance|kraken    the API to speak\n"
            "  --market SPEC             SYMBOL:PRICE:TICK:STEP[:MIN_NOTIONAL[:BASE/QUOTE[:MIN_QTY]]],\n"
            "                            e.g. BTCUSDT:65000:0.01:0.00001:5 (kraken: the\n"
            "                            altname, XBTUSD:60000:0.1:0.00000001:0.5::0.0001)\n"
            "  --port N                  port on 127.0.0.1 (default 0: any free port)\n"
            "  --ports-file FILE         once listening, write 'venue-sim PORT' to FILE\n"
            "  --api-key-env NAME        environment variable holding the API key\n"
            "  --api-secret-env NAME     environment variable holding the secret\n"
            "  --seed N                  price walk seed (default 1)\n"
            "  --tick-ms N               price walk and partial-fill step (default 1000)\n"
            "  --volatility-bps N        max move per tick (default 0: prices stay)\n"
            "  --spread-bps N            bid/ask distance (default 0)\n"
            "  --fill full|partial       fills in one piece or in --parts pieces per tick\n"
            "  --parts N                 partial fills: parts per order (default 2)\n"
            "  --fault SPEC              queue a fault at start, e.g. 'kind=429&count=2'\n"
            "  --duration-s N            exit after N seconds (default 0: on SIGINT/SIGTERM)\n"
            "\nexit codes: 0 ok, 2 usage, 4 could not start\n");
}

static int parse_dec(const char *s, struct fb_dec *out)
{
    return fb_dec_parse_str(s, out) == FB_OK && fb_dec_sign(*out) >= 0 ? 0 : -1;
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v > 0xFFFFFFFFul)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* Splits s at each ':' (empty fields kept) into at most max fields; the
 * count, or max + 1 if there are more. */
static size_t split_fields(char *s, char **f, size_t max)
{
    size_t n = 0;
    for (;;) {
        char *c = strchr(s, ':');
        if (n == max)
            return max + 1;
        f[n++] = s;
        if (!c)
            return n;
        *c = '\0';
        s = c + 1;
    }
}

/* SYMBOL:PRICE:TICK:STEP[:MIN_NOTIONAL[:BASE/QUOTE[:MIN_QTY]]] (empty
 * optional fields: none / derived) */
static int parse_market(const char *spec, struct fb_sim_market_params *m)
{
    static const char *const quotes[] = {"USDT", "USDC", "FDUSD", "BUSD", "BTC", "ETH",
                                         "BNB",  "EUR",  "USD",   NULL};
    char buf[256], *f[7] = {0};
    const char *t = NULL;
    size_t n;
    if (strlen(spec) >= sizeof buf)
        return -1;
    strcpy(buf, spec);
    n = split_fields(buf, f, 7);
    if (n > 7)
        t = "";
    if (n < 4 || t || strlen(f[0]) > FB_VENUE_SYMBOL_MAX)
        return -1;
    memset(m, 0, sizeof *m);
    strcpy(m->symbol, f[0]);
    if (parse_dec(f[1], &m->reference_price) || parse_dec(f[2], &m->tick_size) ||
        parse_dec(f[3], &m->step_size) || (n > 4 && *f[4] && parse_dec(f[4], &m->min_notional)) ||
        (n > 6 && *f[6] && parse_dec(f[6], &m->min_qty)))
        return -1;
    if (n > 5 && *f[5]) {
        char *slash = strchr(f[5], '/');
        if (!slash || (size_t)(slash - f[5]) > FB_VENUE_ASSET_MAX ||
            strlen(slash + 1) > FB_VENUE_ASSET_MAX)
            return -1;
        snprintf(m->base, sizeof m->base, "%.*s", (int)(slash - f[5]), f[5]);
        snprintf(m->quote, sizeof m->quote, "%s", slash + 1);
    } else {
        size_t sl = strlen(m->symbol);
        for (const char *const *q = quotes; *q; q++) {
            size_t ql = strlen(*q);
            if (sl > ql && strcmp(m->symbol + sl - ql, *q) == 0 && sl - ql <= FB_VENUE_ASSET_MAX) {
                memcpy(m->base, m->symbol, sl - ql);
                m->base[sl - ql] = '\0';
                snprintf(m->quote, sizeof m->quote, "%s", *q);
                break;
            }
        }
        if (!m->quote[0])
            return -1;
    }
    return 0;
}

static int write_ports_file(const char *path, unsigned port)
{
    char tmp[4200];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "w")))
        return -1;
    fprintf(f, "venue-sim %u\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path); /* readers never see a half-written file */
}

/* The running simulator: exactly one of the two. */
struct sim {
    struct fb_vsim *bn;
    struct fb_vsim_kraken *kr;
};

static bool kraken(const char *venue)
{
    return strcmp(venue, "kraken") == 0;
}

static enum fb_err sim_start(const char *venue, const struct fb_vsim_params *p, struct sim *s,
                             char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    return kraken(venue) ? fb_vsim_kraken_start(p, &s->kr, err, errlen)
                         : fb_vsim_start(p, &s->bn, err, errlen);
}

static enum fb_err sim_add_fault(struct sim *s, const char *spec, char *err, size_t errlen)
{
    return s->kr ? fb_vsim_kraken_add_fault(s->kr, spec, err, errlen)
                 : fb_vsim_add_fault(s->bn, spec, err, errlen);
}

static unsigned sim_port(const struct sim *s)
{
    return s->kr ? fb_vsim_kraken_port(s->kr) : fb_vsim_port(s->bn);
}

static void sim_stop(struct sim *s)
{
    fb_vsim_kraken_stop(s->kr);
    fb_vsim_stop(s->bn);
}

int fb_cmd_venue_sim(int argc, char **argv)
{
    static const struct option opts[] = {
        {"venue", required_argument, NULL, 'v'},   {"market", required_argument, NULL, 'm'},
        {"port", required_argument, NULL, 'p'},    {"ports-file", required_argument, NULL, 'P'},
        {"api-key-env", required_argument, NULL, 'k'},
        {"api-secret-env", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},    {"tick-ms", required_argument, NULL, 't'},
        {"volatility-bps", required_argument, NULL, 'V'},
        {"spread-bps", required_argument, NULL, 'b'},
        {"fill", required_argument, NULL, 'f'},    {"parts", required_argument, NULL, 'n'},
        {"fault", required_argument, NULL, 'F'},   {"duration-s", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    struct fb_vsim_params p;
    const char *venue = NULL, *ports_file = NULL, *key_env = NULL, *secret_env = NULL;
    const char *faults[FB_VSIM_FAULTS_MAX];
    size_t n_faults = 0;
    uint32_t port = 0, vol = 0, spread = 0, duration = 0;
    struct sim vs;
    char err[256];
    struct sigaction sa;
    struct timespec start, now;
    int c;

    memset(&p, 0, sizeof p);
    fb_sim_params_default(&p.sim);
    p.sim.partial_fill_parts = 2;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'v':
            venue = optarg;
            break;
        case 'm':
            if (p.sim.n_markets == FB_SIM_MARKETS_MAX ||
                parse_market(optarg, &p.sim.markets[p.sim.n_markets]) != 0) {
                fprintf(stderr, "venue-sim: bad --market '%s' (want "
                                "SYMBOL:PRICE:TICK:STEP[:MIN_NOTIONAL[:BASE/QUOTE[:MIN_QTY]]])\n",
                        optarg);
                return FB_EXIT_USAGE;
            }
            p.sim.n_markets++;
            break;
        case 'p':
            if (parse_u32(optarg, &port) || port > 65535) {
                fprintf(stderr, "venue-sim: bad --port '%s'\n", optarg);
                return FB_EXIT_USAGE;
            }
            break;
        case 'P':
            ports_file = optarg;
            break;
        case 'k':
            key_env = optarg;
            break;
        case 's':
            secret_env = optarg;
            break;
        case 'S': {
            char *end;
            errno = 0;
            p.sim.seed = strtoull(optarg, &end, 10);
            if (errno || *end) {
                fprintf(stderr, "venue-sim: bad --seed '%s'\n", optarg);
                return FB_EXIT_USAGE;
            }
            break;
        }
        case 't':
            if (parse_u32(optarg, &p.sim.tick_ms) || p.sim.tick_ms < 1) {
                fprintf(stderr, "venue-sim: bad --tick-ms '%s'\n", optarg);
                return FB_EXIT_USAGE;
            }
            break;
        case 'V':
            if (parse_u32(optarg, &vol) || vol > 10000) {
                fprintf(stderr, "venue-sim: bad --volatility-bps '%s'\n", optarg);
                return FB_EXIT_USAGE;
            }
            break;
        case 'b':
            if (parse_u32(optarg, &spread) || spread > 10000) {
                fprintf(stderr, "venue-sim: bad --spread-bps '%s'\n", optarg);
                return FB_EXIT_USAGE;
            }
            break;
        case 'f':
            if (strcmp(optarg, "full") == 0)
                p.sim.fill_mode = FB_SIM_FILL_FULL;
            else if (strcmp(optarg, "partial") == 0)
                p.sim.fill_mode = FB_SIM_FILL_PARTIAL;
            else {
                fprintf(stderr, "venue-sim: --fill is full or partial\n");
                return FB_EXIT_USAGE;
            }
            break;
        case 'n':
            if (parse_u32(optarg, &p.sim.partial_fill_parts) || p.sim.partial_fill_parts < 2 ||
                p.sim.partial_fill_parts > FB_SIM_PARTS_MAX) {
                fprintf(stderr, "venue-sim: --parts is 2..%d\n", FB_SIM_PARTS_MAX);
                return FB_EXIT_USAGE;
            }
            break;
        case 'F':
            if (n_faults == FB_VSIM_FAULTS_MAX) {
                fprintf(stderr, "venue-sim: at most %d --fault\n", FB_VSIM_FAULTS_MAX);
                return FB_EXIT_USAGE;
            }
            faults[n_faults++] = optarg;
            break;
        case 'd':
            if (parse_u32(optarg, &duration)) {
                fprintf(stderr, "venue-sim: bad --duration-s '%s'\n", optarg);
                return FB_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return FB_EXIT_OK;
        default:
            fprintf(stderr, "venue-sim: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return FB_EXIT_USAGE;
        }
    }
    if (optind < argc || !venue || (strcmp(venue, "binance") != 0 && !kraken(venue)) ||
        p.sim.n_markets == 0 || !key_env || !secret_env) {
        fprintf(stderr, "venue-sim: need --venue binance|kraken, at least one --market, "
                        "--api-key-env and --api-secret-env\n");
        usage(stderr);
        return FB_EXIT_USAGE;
    }
    for (size_t i = 0; i < p.sim.n_markets; i++) {
        p.sim.markets[i].volatility_bps = vol;
        p.sim.markets[i].spread_bps = spread;
    }
    p.api_key = getenv(key_env);
    p.api_secret = getenv(secret_env);
    if (!p.api_key || !*p.api_key || !p.api_secret || !*p.api_secret) {
        fprintf(stderr, "venue-sim: %s and %s must be set in the environment\n", key_env,
                secret_env);
        return FB_EXIT_USAGE;
    }
    p.port = (uint16_t)port;
    if (sim_start(venue, &p, &vs, err, sizeof err) != FB_OK) {
        fprintf(stderr, "venue-sim: %s\n", err);
        return FB_EXIT_STARTUP;
    }
    for (size_t i = 0; i < n_faults; i++) {
        if (sim_add_fault(&vs, faults[i], err, sizeof err) != FB_OK) {
            fprintf(stderr, "venue-sim: --fault '%s': %s\n", faults[i], err);
            sim_stop(&vs);
            return FB_EXIT_USAGE;
        }
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (ports_file && write_ports_file(ports_file, sim_port(&vs)) != 0) {
        fprintf(stderr, "venue-sim: cannot write %s: %s\n", ports_file, strerror(errno));
        sim_stop(&vs);
        return FB_EXIT_STARTUP;
    }
    fprintf(stderr, "venue-sim: %s on 127.0.0.1:%u (%zu markets)\n", venue,
            (unsigned)sim_port(&vs), p.sim.n_markets);
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!stop_flag) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (duration && now.tv_sec - start.tv_sec >= (time_t)duration)
            break;
    }
    sim_stop(&vs);
    return FB_EXIT_OK;
}
