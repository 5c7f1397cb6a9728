/*
 * fbbench -- measures the bridge against the engine floor on the same
 * machine in the same run, and prints the figures.
 *
 *   (a) floor:       a bare acceptor on the fix/ shim answering each order
 *                    with one ExecutionReport from the callback (child process)
 *   (b) bridge/mem:  `fixbridge run`, embedded paper venue, memory store,
 *                    no message log (the engine alone)
 *       bridge/file: the same with the file store and the message log on
 *   (c) bridge/binance: `fixbridge run` with the Binance adapter against
 *                    `fixbridge venue-sim --venue binance` (both child
 *                    processes), and the FIX-in -> REST request interval
 *                    measured at the venue-sim (bench_vsim.h)
 *
 * Each (server, mode) pair gets a fresh server process; its CPU time and
 * memory come from /proc. The load generator is this process: raw-socket
 * FIX, no QuickFIX. See README.md "Performance".
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_load.h"
#include "bench_proc.h"
#include "bench_server.h"
#include "bench_vsim.h"

#ifndef FB_BENCH_FIXBRIDGE
#define FB_BENCH_FIXBRIDGE "fixbridge"
#endif

enum mode { M_SERIAL, M_PIPELINED, M_SESSIONS, M_RATE, M_NMODES, M_TABLE, M_OPEN, M_CHURN };
static const char *const mode_names[] = {"serial", "pipelined", "sessions", "rate"};

struct opts {
    struct fb_bench_server_opts srv;
    enum mode mode;
    int servers[FB_BENCH_NKINDS]; /* which kinds to run */
    uint64_t count, serial_count, warmup;
    unsigned window, sessions;
    double rate, timeout_s;
    int market; /* --orders market */
    int count_given; /* --count was on the command line */
    unsigned rounds; /* --rounds: the whole set this many times */
};

struct row {
    int ran, ok;
    unsigned round; /* 1.. */
    enum fb_bench_kind kind;
    enum mode mode;
    struct fb_load_result r;
    char label[48];
    int have_venue; /* bridge/binance: FIX-in -> REST at the venue-sim */
    struct fb_bench_venue_lat venue;
    char venue_error[160];
    /* bridge/binance: the bridge's own FIX-in -> REST written (its /metrics),
     * the measured phase only */
    int have_written;
    struct fb_bench_written written;
};

/* The bridge's /metrics before the measured phase (bench_load's hook). */
struct written_scrape {
    uint16_t port;
    int ok;
    struct fb_bench_written before;
    char err[160];
};

static void scrape_before(void *ctx)
{
    struct written_scrape *w = ctx;
    w->ok = fb_bench_written_scrape(w->port, &w->before, w->err, sizeof w->err) == 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fbbench [options]\n"
            "\n"
            "Runs the engine floor and the bridge on 127.0.0.1 and prints latency,\n"
            "throughput, CPU per order and peak RSS, the bridge/floor ratios and the targets.\n"
            "  --mode M          table (default: serial, pipelined, sessions and rate on\n"
            "                    each server), serial, pipelined, sessions, rate,\n"
            "                    open-orders (RSS with COUNT resting orders, bridge/mem\n"
            "                    or --server bridge-file),\n"
            "                    churn (RSS over COUNT filled market orders, same)\n"
            "  --server S        all (default), floor, bridge, bridge-file, bridge-binance;\n"
            "                    a comma-separated list runs several\n"
            "  --count N         measured orders per pipelined/sessions/rate run (20000)\n"
            "  --serial-count N  measured orders per serial run (5000)\n"
            "  --warmup N        orders sent first and not measured (1000)\n"
            "  --window N        pipelined: outstanding orders (32)\n"
            "  --rounds N        the whole set N times, one round after the other; the\n"
            "                    targets are judged on the median of the rounds' ratios (1)\n"
            "  --sessions K      sessions mode: K connections, one order outstanding each (4)\n"
            "  --rate R          rate mode: open loop, orders/s, latency from the scheduled\n"
            "                    send time (5000)\n"
            "  --orders KIND     limit (default): buys at 62000 that rest on the paper\n"
            "                    market (65000); market: buys that fill at once\n"
            "  --floor-reports N ExecutionReports the floor sends per order, 1 or 2 (1)\n"
            "  --timeout S       per run (300)\n"
            "  --fixbridge PATH  the binary (default: the one built with fbbench)\n"
            "  --dictionary PATH FIX44.xml for the floor (default: the source tree's)\n"
            "  --workdir DIR     scratch directories go here (default $TMPDIR or /tmp)\n"
            "bridge-binance starts `fixbridge venue-sim --venue binance` next to the bridge\n"
            "and also reports FIX order written -> REST request at the venue-sim.\n"
            "Exit: 0 when every run completed (whether or not targets are met), 1 when a\n"
            "run failed, 2 usage.\n");
}

static void on_signal(int sig)
{
    fb_bench_server_kill_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (!*s || *end || x == 0)
        return -1;
    *v = x;
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {{"mode", required_argument, NULL, 'm'},
                                       {"server", required_argument, NULL, 's'},
                                       {"count", required_argument, NULL, 'n'},
                                       {"serial-count", required_argument, NULL, 'S'},
                                       {"warmup", required_argument, NULL, 'w'},
                                       {"window", required_argument, NULL, 'W'},
                                       {"sessions", required_argument, NULL, 'k'},
                                       {"rate", required_argument, NULL, 'r'},
                                       {"timeout", required_argument, NULL, 't'},
                                       {"fixbridge", required_argument, NULL, 'b'},
                                       {"dictionary", required_argument, NULL, 'd'},
                                       {"workdir", required_argument, NULL, 'D'},
                                       {"floor-reports", required_argument, NULL, 'F'},
                                       {"orders", required_argument, NULL, 'o'},
                                       {"rounds", required_argument, NULL, 'R'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (!strcmp(optarg, "table"))
                o->mode = M_TABLE;
            else if (!strcmp(optarg, "open-orders"))
                o->mode = M_OPEN;
            else if (!strcmp(optarg, "churn"))
                o->mode = M_CHURN;
            else {
                int found = 0;
                for (int i = 0; i < M_NMODES; i++)
                    if (!strcmp(optarg, mode_names[i])) {
                        o->mode = (enum mode)i;
                        found = 1;
                    }
                if (!found)
                    return -1;
            }
            break;
        case 's': {
            memset(o->servers, 0, sizeof o->servers);
            char list[128], *save = NULL;
            snprintf(list, sizeof list, "%s", optarg);
            for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                if (!strcmp(w, "all"))
                    for (int k = 0; k < FB_BENCH_NKINDS; k++)
                        o->servers[k] = 1;
                else if (!strcmp(w, "floor"))
                    o->servers[FB_BENCH_FLOOR] = 1;
                else if (!strcmp(w, "bridge"))
                    o->servers[FB_BENCH_BRIDGE_MEM] = 1;
                else if (!strcmp(w, "bridge-file"))
                    o->servers[FB_BENCH_BRIDGE_FILE] = 1;
                else if (!strcmp(w, "bridge-binance"))
                    o->servers[FB_BENCH_BRIDGE_BINANCE] = 1;
                else
                    return -1;
            }
            break;
        }
        case 'n':
            if (parse_u64(optarg, &o->count))
                return -1;
            o->count_given = 1;
            break;
        case 'S':
            if (parse_u64(optarg, &o->serial_count))
                return -1;
            break;
        case 'w':
            if (!strcmp(optarg, "0"))
                o->warmup = 0;
            else if (parse_u64(optarg, &o->warmup))
                return -1;
            break;
        case 'W':
            if (parse_u64(optarg, &v) || v > 100000)
                return -1;
            o->window = (unsigned)v;
            break;
        case 'R':
            if (parse_u64(optarg, &v) || v < 1 || v > 99)
                return -1;
            o->rounds = (unsigned)v;
            break;
        case 'k':
            if (parse_u64(optarg, &v) || v > FB_BENCH_MAX_SESSIONS)
                return -1;
            o->sessions = (unsigned)v;
            break;
        case 'r':
            o->rate = strtod(optarg, NULL);
            if (!(o->rate > 0 && o->rate <= 1e7))
                return -1;
            break;
        case 't':
            o->timeout_s = strtod(optarg, NULL);
            if (!(o->timeout_s > 0))
                return -1;
            break;
        case 'b':
            o->srv.fixbridge = optarg;
            break;
        case 'd':
            o->srv.dictionary = optarg;
            break;
        case 'D':
            o->srv.workdir = optarg;
            break;
        case 'F':
            if (parse_u64(optarg, &v) || v > 2)
                return -1;
            o->srv.floor_reports = (int)v;
            break;
        case 'o':
            if (!strcmp(optarg, "limit"))
                o->market = 0;
            else if (!strcmp(optarg, "market"))
                o->market = 1;
            else
                return -1;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    return optind == argc ? 0 : -1;
}

static void machine_line(void)
{
    char model[256] = "?", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10)) {
            char *p = strchr(line, ':');
            if (p) {
                snprintf(model, sizeof model, "%s", p + 2);
                model[strcspn(model, "\n")] = '\0';
            }
            break;
        }
    if (f)
        fclose(f);
    printf("machine: %ld CPUs, %s\n", sysconf(_SC_NPROCESSORS_ONLN), model);
}

static void loadavg_line(const char *when)
{
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    printf("load average %s: %s\n", when, buf);
}

static void mode_opts(const struct opts *o, enum mode m, struct fb_load_opts *lo)
{
    memset(lo, 0, sizeof *lo);
    lo->nconns = 1;
    lo->warmup = o->warmup;
    lo->count = o->count;
    lo->window = 1;
    lo->timeout_s = o->timeout_s;
    switch (m) {
    case M_SERIAL:
        lo->count = o->serial_count;
        break;
    case M_PIPELINED:
    case M_OPEN:
    case M_CHURN:
        lo->window = o->window;
        break;
    case M_SESSIONS:
        lo->nconns = o->sessions;
        break;
    case M_RATE:
        lo->rate = o->rate;
        break;
    default:
        break;
    }
}

/* One fresh server, one measurement. */
static int run_one(const struct opts *o, enum fb_bench_kind kind, enum mode m, struct row *row)
{
    struct fb_bench_server s;
    struct fb_load_opts lo;
    mode_opts(o, m, &lo);
    row->ran = 1;
    row->kind = kind;
    row->mode = m;
    snprintf(row->label, sizeof row->label, "%s", m < M_NMODES ? mode_names[m] : "");
    if (m == M_PIPELINED || m == M_OPEN || m == M_CHURN)
        snprintf(row->label, sizeof row->label, "%s w=%u",
                 m == M_PIPELINED ? "pipelined"
                 : m == M_OPEN    ? "open-orders"
                                  : "churn",
                 lo.window);
    else if (m == M_SESSIONS)
        snprintf(row->label, sizeof row->label, "sessions k=%u", o->sessions);
    else if (m == M_RATE)
        snprintf(row->label, sizeof row->label, "rate %.0f/s", o->rate);
    lo.market = m == M_CHURN || (o->market && m != M_OPEN);
    /* The floor only ever says New; a market order is answered by its fill. */
    lo.done_on_new = !lo.market || kind == FB_BENCH_FLOOR;
    if (m == M_OPEN || m == M_CHURN) {
        lo.sample_every = lo.count / (m == M_OPEN ? 10 : 20);
        lo.progress = 1;
    }
    fprintf(stderr, "fbbench: %s, %s, %llu orders ...\n", fb_bench_kind_name(kind), row->label,
            (unsigned long long)lo.count);
    if (fb_bench_server_start(kind, &o->srv, &s) < 0) {
        snprintf(row->r.error, sizeof row->r.error, "server did not start");
        return -1;
    }
    lo.ports = s.ports;
    lo.server = s.pid;
    lo.helper = s.sim_pid;
    lo.track = kind == FB_BENCH_BRIDGE_BINANCE;
    struct written_scrape ws = {s.admin_port, 0, {0}, ""};
    if (lo.track && s.admin_port) {
        lo.after_warmup = scrape_before;
        lo.after_warmup_ctx = &ws;
    }
    int rc = fb_load_run(&lo, &row->r);
    if (rc == 0 && lo.after_warmup) {
        struct fb_bench_written after;
        char err[160];
        if (ws.ok && fb_bench_written_scrape(s.admin_port, &after, err, sizeof err) == 0) {
            fb_bench_written_diff(&ws.before, &after, &row->written);
            row->have_written = row->written.count > 0;
        } else {
            fprintf(stderr, "fbbench: %s, %s: the bridge's own figure: %s\n",
                    fb_bench_kind_name(kind), row->label, ws.ok ? err : ws.err);
        }
    }
    if (rc == 0 && lo.track) {
        /* before the stop: the arrivals live in the venue-sim */
        row->have_venue = fb_bench_venue_latency(s.sim_port, row->r.track, lo.count, &row->venue,
                                                 row->venue_error,
                                                 sizeof row->venue_error) == 0;
        if (!row->have_venue) {
            /* the (c) measure did not complete: a failed run, not a missed target */
            fprintf(stderr, "fbbench: %s, %s: %s\n", fb_bench_kind_name(kind), row->label,
                    row->venue_error);
            rc = -1;
        }
    }
    free(row->r.track);
    row->r.track = NULL;
    fb_bench_server_stop(&s, 5000);
    row->ok = rc == 0;
    if (rc < 0)
        fprintf(stderr, "fbbench: %s, %s: %s\n", fb_bench_kind_name(kind), row->label,
                row->r.error);
    return rc;
}

static double us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

static double ops(const struct fb_load_result *r)
{
    return r->elapsed_ns > 0 ? (double)r->done * 1e9 / (double)r->elapsed_ns : 0;
}

static double cpu_per_order(const struct fb_load_result *r)
{
    return r->done && r->server_cpu_us >= 0 ? (double)r->server_cpu_us / (double)r->done : -1;
}

static void print_table(const struct row *rows, size_t n)
{
    printf("\n| server | mode | orders | orders/s | p50 | p90 | p99 | p99.9 | max | New p50 | "
           "New p99 | server CPU µs/order | client CPU µs/order | peak RSS MiB | open orders |\n");
    printf("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        const struct fb_load_result *r = &w->r;
        if (!w->ran)
            continue;
        if (!w->ok) {
            printf("| %s | %s | FAILED: %s |||||||||||||\n", fb_bench_kind_name(w->kind), w->label,
                   r->error);
            continue;
        }
        printf("| %s | %s | %llu | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f "
               "| %.1f | %.1f | %llu |\n",
               fb_bench_kind_name(w->kind), w->label, (unsigned long long)r->done, ops(r),
               us(fb_hist_quantile(&r->first, 0.5)), us(fb_hist_quantile(&r->first, 0.9)),
               us(fb_hist_quantile(&r->first, 0.99)), us(fb_hist_quantile(&r->first, 0.999)),
               us(r->first.max), us(fb_hist_quantile(&r->acked, 0.5)),
               us(fb_hist_quantile(&r->acked, 0.99)), cpu_per_order(r),
               r->done ? (double)r->client_cpu_us / (double)r->done : 0,
               (double)r->hwm_kib / 1024.0, (unsigned long long)r->open_orders);
    }
    printf("\nLatency columns are µs from sending a NewOrderSingle to its first "
           "ExecutionReport\n(the bridge: PendingNew 150=A; the floor: its only report, 150=0); "
           "'New' columns\nto the 150=0 report. rate mode measures from the scheduled send "
           "time.\n");
}

/* The row of (k, m) in round r (0: the first found). */
static const struct row *find_in(const struct row *rows, size_t n, enum fb_bench_kind k,
                                 enum mode m, unsigned r)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].ran && rows[i].ok && rows[i].kind == k && rows[i].mode == m &&
            (!r || rows[i].round == r))
            return &rows[i];
    return NULL;
}

static const struct row *find(const struct row *rows, size_t n, enum fb_bench_kind k, enum mode m)
{
    return find_in(rows, n, k, m, 0);
}

static unsigned nrounds(const struct row *rows, size_t n)
{
    unsigned r = 1;
    for (size_t i = 0; i < n; i++)
        if (rows[i].ran && rows[i].round > r)
            r = rows[i].round;
    return r;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n), and (text not NULL) the values in round order as
 * text when there are several: " (rounds: 1.32, 1.54, 1.43)". */
static double median_of(const double *v, size_t n, int prec, int sign, char *text, size_t size)
{
    double s[128];
    size_t len = 0;
    if (text)
        text[0] = '\0';
    if (text && n > 1) {
        len += (size_t)snprintf(text, size, " (rounds:");
        for (size_t i = 0; i < n && len < size; i++) {
            len += (size_t)snprintf(text + len, size - len, i ? ", " : " ");
            if (len < size)
                len += (size_t)snprintf(text + len, size - len, sign ? "%+.*f" : "%.*f", prec,
                                        v[i]);
        }
        if (len < size)
            snprintf(text + len, size - len, ")");
    }
    memcpy(s, v, n * sizeof *v);
    qsort(s, n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_ratios(const struct row *rows, size_t n)
{
    printf("\n## ratios to the floor\n\n| server | mode | p50 ratio | New p50 ratio | "
           "throughput ratio | extra CPU µs/order |\n|---|---|--:|--:|--:|--:|\n");
    unsigned R = nrounds(rows, n);
    for (int k = FB_BENCH_BRIDGE_MEM; k <= FB_BENCH_BRIDGE_BINANCE; k++) {
        for (int m = 0; m < M_NMODES; m++) {
            for (unsigned r = 1; r <= R; r++) { /* a round's bridge against its floor */
                const struct row *a = find_in(rows, n, FB_BENCH_FLOOR, (enum mode)m, r);
                const struct row *b = find_in(rows, n, (enum fb_bench_kind)k, (enum mode)m, r);
                if (!a || !b)
                    continue;
                double pa = (double)fb_hist_quantile(&a->r.first, 0.5);
                double pb = (double)fb_hist_quantile(&b->r.first, 0.5);
                double na = (double)fb_hist_quantile(&a->r.acked, 0.5);
                double nb = (double)fb_hist_quantile(&b->r.acked, 0.5);
                printf("| %s | %s | %.2f | %.2f | %.2f | %.1f |\n",
                       fb_bench_kind_name((enum fb_bench_kind)k), b->label, pa > 0 ? pb / pa : 0,
                       na > 0 ? nb / na : 0, ops(&a->r) > 0 ? ops(&b->r) / ops(&a->r) : 0,
                       cpu_per_order(&b->r) - cpu_per_order(&a->r));
            }
        }
    }
}

/* Part (c): FIX order written -> the Binance request at the venue-sim. */
static void print_venue(const struct row *rows, size_t n)
{
    int any = 0;
    for (size_t i = 0; i < n; i++)
        any |= rows[i].ran && rows[i].kind == FB_BENCH_BRIDGE_BINANCE;
    if (!any)
        return;
    printf("\n## (c) FIX-in -> REST request at the venue-sim (bridge/binance)\n\n"
           "| mode | orders matched | missing | p50 | p90 | p99 | p99.9 | max | whole request "
           "p50 | whole request p99 | venue-sim CPU µs/order |\n"
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        if (!w->ran || w->kind != FB_BENCH_BRIDGE_BINANCE)
            continue;
        if (!w->have_venue) {
            printf("| %s | not measured: %s ||||||||||\n", w->label,
                   w->ok ? w->venue_error : "the run failed");
            continue;
        }
        const struct fb_bench_venue_lat *v = &w->venue;
        printf("| %s | %llu | %llu | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
               w->label, (unsigned long long)v->matched,
               (unsigned long long)(v->missing + v->negative), us(fb_hist_quantile(&v->line, 0.5)),
               us(fb_hist_quantile(&v->line, 0.9)), us(fb_hist_quantile(&v->line, 0.99)),
               us(fb_hist_quantile(&v->line, 0.999)), us(v->line.max),
               us(fb_hist_quantile(&v->complete, 0.5)), us(fb_hist_quantile(&v->complete, 0.99)),
               w->r.done && w->r.helper_cpu_us >= 0
                   ? (double)w->r.helper_cpu_us / (double)w->r.done
                   : -1.0);
    }
    printf("\nµs from fbbench handing a NewOrderSingle to write() (CLOCK_MONOTONIC, just before "
           "the call)\nto the venue-sim having read the request line of the bridge's POST "
           "/api/v3/order\nfor it (libmicrohttpd's URI callback, same clock, same host; "
           "matched by\nnewClientOrderId = \"fb\" + the OrderID(37) of its reports + \"-0\"). "
           "Nothing is subtracted:\nthe interval holds the FIX bytes' loopback TCP hop into "
           "the bridge, the bridge\n(FIX parse, engine, policy, journal, PendingNew out, the "
           "adapter's request build,\nHMAC signature and libcurl write), the HTTP request's "
           "loopback TCP hop, and the\nvenue-sim's connection thread waking and parsing the "
           "request line -- an upper\nbound on \"FIX-in -> REST request written\". POSTs reuse the adapter's "
           "warm\nconnection (adapters/http.c: the body cannot be rewound, so libcurl never "
           "resends\nan order). 'whole "
           "request' is to the venue-sim\nhaving the body as well. In rate mode the interval "
           "is from the actual write,\nnot the scheduled send time. The venue-sim (its CPU "
           "column) shares the 2 CPUs.\n");

    printf("\n## (c) FIX-in -> REST request written, inside the bridge (bridge/binance)\n\n"
           "| mode | orders | p50 <= | p90 <= | p99 <= | p99.9 <= | mean |\n"
           "|---|--:|--:|--:|--:|--:|--:|\n");
    for (size_t i = 0; i < n; i++) {
        const struct row *w = &rows[i];
        if (!w->ran || w->kind != FB_BENCH_BRIDGE_BINANCE)
            continue;
        if (!w->have_written) {
            printf("| %s | not measured ||||||\n", w->label);
            continue;
        }
        const struct fb_bench_written *h = &w->written;
        char q[4][24];
        const double qs[4] = {0.5, 0.9, 0.99, 0.999};
        for (int k = 0; k < 4; k++) {
            int64_t v = fb_bench_written_quantile(h, qs[k]);
            if (v == INT64_MAX)
                snprintf(q[k], sizeof q[k], "> %.0f", us((uint64_t)h->le_ns[h->nb - 2]));
            else
                snprintf(q[k], sizeof q[k], "%.0f", us((uint64_t)v));
        }
        printf("| %s | %llu | %s | %s | %s | %s | %.1f |\n", w->label,
               (unsigned long long)h->count, q[0], q[1], q[2], q[3],
               h->count ? us((uint64_t)(h->sum_ns / (int64_t)h->count)) : 0.0);
    }
    printf("\nµs from the bridge's FIX I/O thread reading the NewOrderSingle's bytes off its "
           "socket\n(CLOCK_REALTIME, before QuickFIX parses them) to libcurl having written the "
           "last byte\nof the order's POST to the venue's socket (the first attempt), from the "
           "bridge's\n/metrics histogram fixbridge_venue_order_written_seconds, scraped before "
           "and after\nthe measured phase: each quantile is the upper bound of its bucket (5 "
           "µs steps\nup to 50 µs). No loopback hop and no venue-sim wake-up in it: the "
           "bridge's own time.\n");
}

static void print_targets(const struct row *rows, size_t n)
{
    unsigned R = nrounds(rows, n);
    printf("\n## targets (bridge/mem against the floor, and (c); informational, exit code 0 "
           "either way)\n\n");
    if (R > 1)
        printf("Each ratio is taken within a round (floor and bridge run next to each other) "
               "and the\nmedian of the %u rounds is judged.\n\n", R);
    double lat[99], thr[99], cpu[99], fcpu[99], bcpu[99];
    size_t nl = 0, nt = 0;
    for (unsigned r = 1; r <= R; r++) {
        const struct row *fs = find_in(rows, n, FB_BENCH_FLOOR, M_SERIAL, r);
        const struct row *bs = find_in(rows, n, FB_BENCH_BRIDGE_MEM, M_SERIAL, r);
        const struct row *fp = find_in(rows, n, FB_BENCH_FLOOR, M_PIPELINED, r);
        const struct row *bp = find_in(rows, n, FB_BENCH_BRIDGE_MEM, M_PIPELINED, r);
        if (fs && bs)
            lat[nl++] = (double)fb_hist_quantile(&bs->r.first, 0.5) /
                        (double)fb_hist_quantile(&fs->r.first, 0.5);
        if (fp && bp) {
            thr[nt] = ops(&bp->r) / ops(&fp->r);
            fcpu[nt] = cpu_per_order(&fp->r);
            bcpu[nt] = cpu_per_order(&bp->r);
            cpu[nt] = bcpu[nt] - fcpu[nt];
            nt++;
        }
    }
    char text[1024];
    if (nl) {
        double ra = median_of(lat, nl, 2, 0, text, sizeof text);
        printf("- p50 latency (serial) <= 1.15x floor: %.2fx%s  %s\n", ra, text,
               ra <= 1.15 ? "PASS" : "MISS");
    } else {
        printf("- p50 latency: not measured (needs serial on floor and bridge)\n");
    }
    if (nt) {
        double ra = median_of(thr, nt, 2, 0, text, sizeof text);
        printf("- throughput (pipelined) >= 0.85x floor: %.2fx%s  %s\n", ra, text,
               ra >= 0.85 ? "PASS" : "MISS");
        double fm = median_of(fcpu, nt, 1, 0, NULL, 0), bm = median_of(bcpu, nt, 1, 0, NULL, 0);
        double extra = median_of(cpu, nt, 1, 1, text, sizeof text);
        printf("- CPU per order (pipelined) <= floor + 10 µs: floor %.1f, bridge %.1f (medians), "
               "%+.1f µs%s  %s\n",
               fm, bm, extra, text, extra <= 10 ? "PASS" : "MISS");
    } else {
        printf("- throughput and CPU: not measured (needs pipelined on floor and bridge)\n");
    }
    const struct row *cs = find(rows, n, FB_BENCH_BRIDGE_BINANCE, M_SERIAL);
    if (cs && cs->have_written) {
        int64_t v = fb_bench_written_quantile(&cs->written, 0.5);
        double p50 = v == INT64_MAX ? 1e9 : us((uint64_t)v);
        printf("- FIX-in -> REST request written <= 40 µs p50 (c, serial, inside the bridge): "
               "<= %.0f µs  %s",
               p50, p50 <= 40 ? "PASS" : "MISS");
        if (cs->have_venue && cs->venue.matched)
            printf(" (at the venue-sim, with both loopback hops and its wake-up: %.1f µs)",
                   us(fb_hist_quantile(&cs->venue.line, 0.5)));
        printf("\n");
    } else if (cs && cs->have_venue && cs->venue.matched) {
        double p50 = us(fb_hist_quantile(&cs->venue.line, 0.5));
        printf("- FIX-in -> REST request written <= 40 µs p50 (c, serial, measured at the "
               "venue-sim, an upper bound): %.1f µs  %s\n",
               p50, p50 <= 40 ? "PASS" : "MISS");
    } else {
        printf("- FIX-in -> REST request: not measured (needs serial on bridge-binance)\n");
    }
}

static void print_memory(const struct row *w, enum mode m)
{
    const struct fb_load_result *r = &w->r;
    printf("\n## memory: %s, %llu orders (%s)\n\n", w->label, (unsigned long long)r->done,
           m == M_OPEN ? "limit buys that rest" : "market buys that fill");
    printf("| orders | seconds | server RSS MiB |\n|--:|--:|--:|\n");
    for (size_t i = 0; i < r->nsamples; i++)
        printf("| %llu | %.1f | %.1f |\n", (unsigned long long)r->samples[i].orders,
               r->samples[i].t_s, (double)r->samples[i].rss_kib / 1024.0);
    printf("\nRSS before: %.1f MiB, after: %.1f MiB, peak (VmHWM): %.1f MiB; open orders at the "
           "end: %llu; %.0f orders/s\n",
           (double)r->rss_start_kib / 1024.0, (double)r->rss_end_kib / 1024.0,
           (double)r->hwm_kib / 1024.0, (unsigned long long)r->open_orders, ops(r));
    double per =
        r->done ? (double)(r->rss_end_kib - r->rss_start_kib) * 1024.0 / (double)r->done : 0;
    printf("growth: %.0f bytes per order\n", per);
    if (m == M_OPEN) {
        double gib = (double)r->hwm_kib / 1048576.0;
        double at1m = ((double)r->rss_start_kib * 1024.0 + per * 1e6) / 1073741824.0;
        printf("target: RSS with 1,000,000 open orders <= 1 GiB: measured %.2f GiB at %llu; "
               "%.2f GiB at 1,000,000 by the per-order growth  %s\n",
               gib, (unsigned long long)r->open_orders, at1m, at1m <= 1.0 ? "PASS" : "MISS");
    } else if (r->nsamples >= 4) {
        /* From the first quarter on, not the second half: indexes grow in
         * doublings, and a half between two of them looks flat. */
        const struct fb_rss_sample *base = &r->samples[r->nsamples / 4];
        const struct fb_rss_sample *last = &r->samples[r->nsamples - 1];
        double slope = last->orders > base->orders
                           ? (double)(last->rss_kib - base->rss_kib) * 1024.0 /
                                 (double)(last->orders - base->orders)
                           : 0;
        printf("from %llu orders on: %.1f bytes per finished order; at that rate 10,000,000 "
               "orders add %.0f MiB\n",
               (unsigned long long)base->orders, slope, slope * 1e7 / 1048576.0);
        printf("target: memory flat over finished orders (growth after the first quarter < 1 "
               "byte/order): %s\n",
               slope < 1.0 ? "PASS" : "MISS");
    }
}

int main(int argc, char **argv)
{
    struct opts o = {
        .srv = {.fixbridge = FB_BENCH_FIXBRIDGE,
                .dictionary = FB_SOURCE_DIR "/spec/FIX44.xml",
                .workdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                .floor_reports = 1},
        .mode = M_TABLE,
        .servers = {1, 1, 1, 1},
        .count = 20000,
        .serial_count = 5000,
        .warmup = 1000,
        .window = 32,
        .rounds = 1,
        .sessions = 4,
        .rate = 5000,
        .timeout_s = 300,
    };
    if (parse_args(argc, argv, &o) < 0) {
        usage(stderr);
        return 2;
    }
    o.srv.nsessions = o.sessions;
    atexit(fb_bench_server_kill_all);
    /* bridge/binance: the venue-sim and the bridge's venue read the same
     * key and secret from these (dummy values: loopback only) */
    setenv(FB_BENCH_VSIM_KEY_ENV, "fbbenchKey0123456789", 1);
    setenv(FB_BENCH_VSIM_SECRET_ENV, "fbbenchSecret0123456789abcdef", 1);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    printf("# fbbench\n\n");
    machine_line();
    loadavg_line("at start");
    if (o.market || o.mode == M_CHURN)
        printf("orders: NewOrderSingle market buy BTC/USDT 0.001 (fills at once on the still "
               "paper market)");
    else
        printf("orders: NewOrderSingle limit buy BTC/USDT 0.001 @ 62000 GTC (rests: the paper "
               "market is 65000 and still)");
    printf(".\nEach run: a fresh server, %llu warm-up orders, then the measured ones.\n",
           (unsigned long long)o.warmup);
    fflush(stdout);

    struct row *rows = calloc((size_t)FB_BENCH_NKINDS * M_NMODES * o.rounds, sizeof *rows);
    if (!rows)
        return 1;
    size_t nrows = 0;
    int failed = 0;
    if (o.mode == M_OPEN || o.mode == M_CHURN) {
        /* the memory modes run one server: bridge-file when asked for
         * alone (what users run), else bridge/mem */
        enum fb_bench_kind mk = o.servers[FB_BENCH_BRIDGE_FILE] && !o.servers[FB_BENCH_BRIDGE_MEM]
                                    ? FB_BENCH_BRIDGE_FILE
                                    : FB_BENCH_BRIDGE_MEM;
        if (!o.count_given)
            o.count = o.mode == M_OPEN ? 1000000 : 10000000;
        o.timeout_s = o.timeout_s == 300 ? 7200 : o.timeout_s;
        if (o.mode == M_OPEN && o.warmup == 1000)
            o.warmup = 0; /* every open order counts against max_open_orders */
        failed |= run_one(&o, mk, o.mode, &rows[nrows]) < 0;
        print_table(rows, 1);
        print_memory(&rows[0], o.mode);
    } else {
        /* rounds one after the other, each the whole set, so that a floor
         * and a bridge run of one round ran next to each other in time */
        for (unsigned r = 1; r <= o.rounds; r++) {
            for (int k = 0; k < FB_BENCH_NKINDS; k++) {
                if (!o.servers[k])
                    continue;
                for (int m = 0; m < M_NMODES; m++) {
                    if (o.mode != M_TABLE && (int)o.mode != m)
                        continue;
                    struct row *w = &rows[nrows++];
                    failed |= run_one(&o, (enum fb_bench_kind)k, (enum mode)m, w) < 0;
                    w->round = r;
                    if (o.rounds > 1) {
                        size_t l = strlen(w->label);
                        snprintf(w->label + l, sizeof w->label - l, " #%u", r);
                    }
                }
            }
        }
        print_table(rows, nrows);
        print_ratios(rows, nrows);
        print_venue(rows, nrows);
        print_targets(rows, nrows);
    }
    printf("\n");
    loadavg_line("at end");
    free(rows);
    return failed ? 1 : 0;
}
