/*
 * jbench -- what the order journal costs per order.
 *
 * Appends the records one order produces in the engine (bridge/engine.c) to
 * a fresh journal (bridge/journal.h, "file" backend) in a temporary
 * directory: a NEW (the whole accepted intent) and three EVENTs (ACCEPT ->
 * PendingNew, ACK -> New with the venue's order id, FILL with trade id,
 * price, quantity and commission), encoded by bridge/order_codec.c as the
 * engine encodes them, so the payloads have realistic sizes. Encoding is
 * part of the measured cost.
 *
 * Modes (each on its own journal):
 *   every    journal_fsync: every -- an fdatasync per record (the default
 *            configuration: each record durable before anything is acted on)
 *   group    journal_fsync: group -- records written, made durable by the
 *            journal's own timer (fb_journal_tick at fb_journal_next_deadline,
 *            at most --group-ms later); no barrier per order
 *   barrier  journal_fsync: group plus one fb_journal_sync() before each act,
 *            as the engine does (after NEW+ACCEPT before the PendingNew
 *            report and the venue request, after ACK, after FILL): three
 *            barriers per order
 *
 * Prints, per mode: orders, µs per order (mean, p50, p99 of the per-order
 * time), orders/s, records/s, bytes per order (on disk, headers included)
 * and fdatasyncs per order (counted through struct fb_journal_sys).
 *
 * With --compact PCT, each mode's journal is then compacted as a new
 * trading day compacts it (fb_journal_compact), keeping PCT% of the
 * records (the orders still open), and the time it took is printed: the
 * engine's step waits that long at the day's boundary.
 *
 * usage: jbench [--orders N] [--mode every|group|barrier|all] [--group-ms MS]
 *               [--dir DIR] [--keep] [--compact PCT]
 * The directory defaults to a mkdtemp() under $TMPDIR (or /tmp): put it on
 * the disk the bridge's data_dir would use, fsync cost is the disk's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "bridge/journal.h"
#include "bridge/order_codec.h"

static uint64_t n_datasync;

static int count_fdatasync(int fd)
{
    n_datasync++;
    return fdatasync(fd);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct fb_dec dec(const char *s)
{
    struct fb_dec d;
    if (fb_dec_parse_str(s, &d) != FB_OK) {
        fprintf(stderr, "jbench: bad decimal %s\n", s);
        exit(1);
    }
    return d;
}

enum mode { M_EVERY, M_GROUP, M_BARRIER, M_LAST };
static const char *const mode_names[] = {"every", "group", "barrier"};

struct result {
    unsigned long orders;
    double secs;
    double compact_secs; /* -1: not asked */
    double us_p50, us_p99;
    uint64_t bytes;
    uint64_t records;
    uint64_t syncs;
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* One record through the codec's buffer into the journal. */
static int put(struct fb_journal *j, enum fb_jrec_type type, const char *buf, size_t n,
               uint64_t *bytes)
{
    struct fb_journal_record r;
    memset(&r, 0, sizeof r);
    r.type = (uint16_t)type;
    r.payload = (const uint8_t *)buf;
    r.len = (uint32_t)n;
    r.time_ns = wall_ns();
    enum fb_err rc = fb_journal_append(j, &r, now_ns(), NULL);
    if (rc != FB_OK) {
        fprintf(stderr, "jbench: append: %s (%s)\n", fb_strerror(rc), fb_journal_errmsg(j));
        return -1;
    }
    *bytes += fb_journal_record_size(r.len);
    return 0;
}

/* keep(): every record whose number is below pct of each hundred. */
static unsigned keep_pct;
static unsigned long keep_seen;

static int keep_some(void *user, const struct fb_journal_record *r)
{
    (void)user;
    (void)r;
    return keep_seen++ % 100 < keep_pct;
}

static int barrier(struct fb_journal *j)
{
    enum fb_err rc = fb_journal_sync(j);
    if (rc != FB_OK) {
        fprintf(stderr, "jbench: sync: %s (%s)\n", fb_strerror(rc), fb_journal_errmsg(j));
        return -1;
    }
    return 0;
}

static int tick(struct fb_journal *j)
{
    int64_t t = now_ns();
    if (fb_journal_next_deadline(j) <= t && fb_journal_tick(j, t) != FB_OK) {
        fprintf(stderr, "jbench: tick: %s\n", fb_journal_errmsg(j));
        return -1;
    }
    return 0;
}

static int run(enum mode m, const char *dir, unsigned long orders, unsigned group_ms,
               struct result *res)
{
    static struct fb_journal_sys sys;
    struct fb_journal_cfg cfg;
    struct fb_journal *j = NULL;
    char err[512];
    int64_t *per = calloc(orders, sizeof *per);
    if (!per)
        return -1;
    sys = fb_journal_sys_posix;
    sys.fdatasync = count_fdatasync;
    memset(&cfg, 0, sizeof cfg);
    cfg.dir = dir;
    cfg.fsync = m == M_EVERY ? FB_JOURNAL_FSYNC_EVERY : FB_JOURNAL_FSYNC_GROUP;
    cfg.group_commit_ms = group_ms;
    cfg.sys = &sys;
    if (fb_journal_open("file", &cfg, &j, NULL, err, sizeof err) != FB_OK) {
        fprintf(stderr, "jbench: open %s: %s\n", dir, err);
        free(per);
        return -1;
    }

    /* The intent and events as the engine fills them for a limit buy on
     * Binance that rests, is acknowledged and fills at once. */
    struct fb_jrec_new nr;
    struct fb_jrec_event er;
    char buf[FB_ORDER_CODEC_MAX];
    memset(&nr, 0, sizeof nr);
    nr.req.session = 0;
    snprintf(nr.req.account, sizeof nr.req.account, "DESK-7");
    snprintf(nr.req.symbol, sizeof nr.req.symbol, "BTC/USDT");
    nr.req.venue = 0;
    snprintf(nr.req.venue_symbol, sizeof nr.req.venue_symbol, "BTCUSDT");
    nr.req.side = FB_SIDE_BUY;
    nr.req.terms.ord_type = FB_ORD_LIMIT;
    nr.req.terms.tif = FB_TIF_GTC;
    nr.req.terms.qty = dec("0.035");
    nr.req.terms.price = dec("60010.5");
    nr.req.px_places = 2;

    memset(per, 0, orders * sizeof *per);
    n_datasync = 0;
    res->bytes = res->records = 0;
    int64_t start = now_ns();
    int64_t wall0 = wall_ns();
    char prefix[16];
    snprintf(prefix, sizeof prefix, "m%" PRIx64, (uint64_t)(wall0 % 0xfffffff));
    for (unsigned long i = 0; i < orders; i++) {
        int64_t t0 = now_ns();
        size_t n;
        /* NEW */
        snprintf(nr.order_id, sizeof nr.order_id, "%s%lu", prefix, i + 1);
        snprintf(nr.coid, sizeof nr.coid, "fb%.24s-0", nr.order_id);
        snprintf(nr.req.cl_ord_id, sizeof nr.req.cl_ord_id, "OMS-20250101-%08lu", i + 1);
        n = fb_jrec_new_encode(&nr, buf, sizeof buf);
        if (!n || put(j, FB_JREC_NEW, buf, n, &res->bytes))
            goto fail;
        /* ACCEPT (PendingNew), then the barrier before the report and the
         * venue request */
        memset(&er, 0, sizeof er);
        snprintf(er.order_id, sizeof er.order_id, "%s", nr.order_id);
        er.ev.type = FB_OEV_ACCEPT;
        er.ev.time_ns = wall_ns();
        n = fb_jrec_event_encode(&er, buf, sizeof buf);
        if (!n || put(j, FB_JREC_EVENT, buf, n, &res->bytes))
            goto fail;
        if (m == M_BARRIER && barrier(j))
            goto fail;
        /* ACK (New) */
        er.ev.type = FB_OEV_ACK;
        er.ev.time_ns = wall_ns();
        snprintf(er.ev.venue_order_id, sizeof er.ev.venue_order_id, "%lu", 4100000000UL + i);
        n = fb_jrec_event_encode(&er, buf, sizeof buf);
        if (!n || put(j, FB_JREC_EVENT, buf, n, &res->bytes))
            goto fail;
        if (m == M_BARRIER && barrier(j))
            goto fail;
        /* FILL (Filled) */
        er.ev.type = FB_OEV_FILL;
        er.ev.time_ns = wall_ns();
        snprintf(er.ev.u.fill.trade_id, sizeof er.ev.u.fill.trade_id, "%lu", 310000000UL + i);
        er.ev.u.fill.qty = dec("0.035");
        er.ev.u.fill.px = dec("60010.5");
        er.ev.u.fill.has_commission = 1;
        er.ev.u.fill.commission = dec("0.000035");
        snprintf(er.ev.u.fill.commission_ccy, sizeof er.ev.u.fill.commission_ccy, "BTC");
        er.ev.u.fill.liquidity = FB_LIQ_MAKER;
        er.ev.u.fill.last = 1;
        n = fb_jrec_event_encode(&er, buf, sizeof buf);
        if (!n || put(j, FB_JREC_EVENT, buf, n, &res->bytes))
            goto fail;
        if (m == M_BARRIER && barrier(j))
            goto fail;
        if (m == M_GROUP && tick(j))
            goto fail;
        res->records += 4;
        per[i] = now_ns() - t0;
    }
    if (barrier(j)) /* everything durable before the clock stops */
        goto fail;
    res->secs = (double)(now_ns() - start) / 1e9;
    res->syncs = n_datasync;
    res->compact_secs = -1;
    if (keep_pct <= 100) {
        int64_t c0 = now_ns();
        keep_seen = 0;
        enum fb_err crc = fb_journal_compact(j, keep_some, NULL, NULL, 0);
        if (crc != FB_OK) {
            fprintf(stderr, "jbench: compact: %s (%s)\n", fb_strerror(crc),
                    fb_journal_errmsg(j));
            goto fail;
        }
        res->compact_secs = (double)(now_ns() - c0) / 1e9;
    }
    res->orders = orders;
    qsort(per, orders, sizeof *per, cmp_i64);
    res->us_p50 = (double)per[orders / 2] / 1e3;
    res->us_p99 = (double)per[(orders * 99) / 100 < orders ? (orders * 99) / 100 : orders - 1] / 1e3;
    free(per);
    return fb_journal_close(j) == FB_OK ? 0 : -1;
fail:
    free(per);
    (void)fb_journal_close(j);
    return -1;
}

static void rm_tree(const char *dir)
{
    char cmd[4200];
    /* only ever our own mkdtemp() directory */
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "jbench: could not remove %s\n", dir);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: jbench [--orders N] [--mode every|group|barrier|all] [--group-ms MS]\n"
               "              [--dir DIR] [--keep] [--compact PCT]\n"
               "Appends one order's journal records (NEW + ACCEPT, ACK, FILL events) per\n"
               "order and prints the cost per order for each fsync mode; --compact then\n"
               "times a trading day's compaction keeping PCT%% (0..100) of the records.\n");
}

int main(int argc, char **argv)
{
    unsigned long orders = 2000;
    unsigned group_ms = 2;
    int modes[M_LAST] = {1, 1, 1};
    const char *base = NULL;
    int keep = 0;
    keep_pct = 101; /* no compaction */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--orders") && i + 1 < argc) {
            orders = strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--group-ms") && i + 1 < argc) {
            group_ms = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--dir") && i + 1 < argc) {
            base = argv[++i];
        } else if (!strcmp(a, "--keep")) {
            keep = 1;
        } else if (!strcmp(a, "--compact") && i + 1 < argc) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || v > 100) {
                usage(stderr);
                return 2;
            }
            keep_pct = (unsigned)v;
        } else if (!strcmp(a, "--mode") && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "all") != 0) {
                memset(modes, 0, sizeof modes);
                int found = 0;
                for (int k = 0; k < M_LAST; k++)
                    if (!strcmp(m, mode_names[k]))
                        modes[k] = found = 1;
                if (!found) {
                    usage(stderr);
                    return 2;
                }
            }
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (orders == 0 || group_ms == 0 || group_ms > 1000) {
        usage(stderr);
        return 2;
    }
    char tmpl[4096];
    if (!base) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpl, sizeof tmpl, "%s/jbench-XXXXXX", t && *t ? t : "/tmp");
    } else {
        snprintf(tmpl, sizeof tmpl, "%s/jbench-XXXXXX", base);
    }
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "jbench: mkdtemp %s: %s\n", tmpl, strerror(errno));
        return 1;
    }
    struct statfs sf;
    const char *fs = "?";
    if (statfs(tmpl, &sf) == 0)
        fs = sf.f_type == 0x01021994 ? "tmpfs (fsync is free: not a disk figure)"
             : sf.f_type == 0xEF53   ? "ext2/3/4"
             : sf.f_type == 0x58465342 ? "xfs"
             : sf.f_type == 0x9123683E ? "btrfs"
                                       : "other";
    printf("jbench: %lu orders per mode, 4 records per order (NEW + ACCEPT, ACK, FILL), "
           "group commit %u ms, dir %s (%s)\n",
           orders, group_ms, tmpl, fs);
    printf("%-8s %8s %10s %9s %9s %10s %11s %9s %9s\n", "mode", "orders", "us/order", "p50 us",
           "p99 us", "orders/s", "records/s", "B/order", "fsync/ord");
    int rc = 0;
    for (int k = 0; k < M_LAST; k++) {
        if (!modes[k])
            continue;
        char dir[4200];
        struct result r;
        memset(&r, 0, sizeof r);
        snprintf(dir, sizeof dir, "%s/%s", tmpl, mode_names[k]);
        if (run((enum mode)k, dir, orders, group_ms, &r) != 0) {
            rc = 1;
            continue;
        }
        printf("%-8s %8lu %10.1f %9.1f %9.1f %10.0f %11.0f %9.1f %9.2f\n", mode_names[k],
               r.orders, r.secs * 1e6 / (double)r.orders, r.us_p50, r.us_p99,
               (double)r.orders / r.secs, (double)r.records / r.secs,
               (double)r.bytes / (double)r.orders, (double)r.syncs / (double)r.orders);
        if (r.compact_secs >= 0)
            printf("%-8s compaction of %.0f MB keeping %u%% of the records: %.3f s\n",
                   mode_names[k], (double)r.bytes / 1e6, keep_pct, r.compact_secs);
        fflush(stdout);
    }
    if (keep)
        printf("journal kept in %s\n", tmpl);
    else
        rm_tree(tmpl);
    return rc;
}
