/*
 * bench_load.c -- see bench_load.h. One thread, non-blocking sockets, ppoll.
 */
#define _GNU_SOURCE /* ppoll */
#include "bench_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_proc.h"
#include "bench_wire.h"
#include "bridge/grow.h"

#define IN_CAP (1u << 17)
#define MAX_MSG 512
/* A run fails when no order has been answered for this long. */
#define FB_LOAD_STALL_NS (10 * 1000000000LL)

enum { F_USED = 1, F_FIRST = 2, F_NEW = 4, F_DONE = 8, F_OPEN = 16 };

struct conn {
    int fd;
    char sender[16];
    uint64_t seq;
    char *in;
    size_t in_len;
    char *out;
    size_t out_len, out_off, out_cap;
    int logged_on, logged_out;
    unsigned outstanding;
    /* o->track: orders queued in out[] whose write time is not known yet */
    uint64_t *unsent;
    size_t n_unsent, cap_unsent;
};

struct slot {
    uint64_t n;
    int64_t t0; /* actual (closed loop) or scheduled (open loop) send time */
    uint32_t conn;
    uint8_t flags;
};

struct run {
    const struct fb_load_opts *o;
    struct fb_load_result *r;
    struct conn *c;
    struct slot *ring;
    uint64_t mask;
    uint64_t next_n, phase_first, phase_end, done_in_phase;
    int record;
    int64_t t_first_send, t_last_done;
    uint64_t next_sample;
    int64_t t_phase;
    int logging_out;
};

static void fail(struct run *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct run *u, const char *fmt, ...)
{
    if (u->r->error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->r->error, sizeof u->r->error, fmt, ap);
    va_end(ap);
}

static int reserve(struct conn *c, size_t more)
{
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + more <= c->out_cap)
        return 0;
    if (c->out_off) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
        if (c->out_len + more <= c->out_cap)
            return 0;
    }
    char *p = fb_grow(c->out, &c->out_cap, c->out_len + more, 65536);
    if (!p)
        return -1;
    c->out = p;
    return 0;
}

static int queue(struct conn *c, const char *type, const char *body, size_t body_len)
{
    char when[22];
    if (reserve(c, body_len + 256) < 0)
        return -1;
    fb_wire_utc_now(when);
    size_t n = fb_wire_encode(c->out + c->out_len, c->out_cap - c->out_len, "FIX.4.4", type,
                              ++c->seq, c->sender, "FIXBRIDGE", when, body, body_len);
    if (!n)
        return -1;
    c->out_len += n;
    return 0;
}

/* The run being measured, for flush()'s write times (one run at a time). */
static struct run *cur_run;
static void stamp_unsent(struct conn *c, int64_t t);

static int flush(struct conn *c)
{
    /* o->track: an order's send time is the start of the first write()
     * that tries to hand its bytes to the kernel. Under back-pressure (a
     * partial write) that is earlier than its last byte left, so the
     * FIX -> venue interval is over-, never under-stated. */
    if (c->n_unsent && c->out_off < c->out_len)
        stamp_unsent(c, fb_bench_now_ns());
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        c->out_off += (size_t)n;
    }
    return 0;
}

/* NewOrderSingle: a limit buy far below the market (rests), or a market buy
 * (fills at the touch). Prices and quantities are strings. */
static int send_order(struct run *u, size_t ci, uint64_t n, int64_t t0)
{
    char body[MAX_MSG], when[22];
    size_t b = 0;
    memcpy(body + b, "11=o", 4);
    b += 4;
    b += fb_wire_put_u64(body + b, n);
    fb_wire_utc_now(when);
    b += (size_t)snprintf(body + b, sizeof body - b,
                          "\00121=1\00155=BTC/USDT\00154=1\00160=%s\00138=0.001\001", when);
    if (u->o->market)
        b += (size_t)snprintf(body + b, sizeof body - b, "40=1\001");
    else
        b += (size_t)snprintf(body + b, sizeof body - b, "40=2\00144=62000\00159=1\001");
    if (u->r->track && u->record && n >= u->phase_first && n < u->phase_end) {
        struct conn *c = &u->c[ci];
        if (c->n_unsent == c->cap_unsent) {
            size_t cap = c->cap_unsent ? c->cap_unsent * 2 : 64;
            uint64_t *p = realloc(c->unsent, cap * sizeof *p);
            if (!p)
                return -1;
            c->unsent = p;
            c->cap_unsent = cap;
        }
        c->unsent[c->n_unsent++] = n - u->phase_first;
    }
    struct slot *s = &u->ring[n & u->mask];
    s->n = n;
    s->t0 = t0;
    s->conn = (uint32_t)ci;
    s->flags = F_USED;
    u->c[ci].outstanding++;
    if (u->record && n == u->phase_first)
        u->t_first_send = t0;
    return queue(&u->c[ci], "D", body, b);
}

static void stamp_unsent(struct conn *c, int64_t t)
{
    for (size_t i = 0; cur_run && i < c->n_unsent; i++)
        cur_run->r->track[c->unsent[i]].sent_ns = t;
    c->n_unsent = 0;
}

static uint64_t parse_n(const struct fb_wire_str *id, int *ok)
{
    uint64_t v = 0;
    *ok = id->n >= 2 && id->p[0] == 'o';
    for (size_t i = 1; *ok && i < id->n; i++) {
        if (id->p[i] < '0' || id->p[i] > '9')
            *ok = 0;
        else
            v = v * 10 + (uint64_t)(id->p[i] - '0');
    }
    return v;
}

static int is_type(const struct fb_wire_msg *m, const char *t)
{
    size_t n = strlen(t);
    return m->msg_type.n == n && !memcmp(m->msg_type.p, t, n);
}

static void sample_rss(struct run *u, int64_t now)
{
    struct fb_load_result *r = u->r;
    if (r->nsamples == FB_LOAD_MAX_SAMPLES)
        return;
    struct fb_rss_sample *s = &r->samples[r->nsamples++];
    s->orders = u->done_in_phase;
    s->rss_kib = fb_proc_rss_kib(u->o->server);
    s->t_s = (double)(now - u->t_phase) / 1e9;
    if (u->o->progress)
        fprintf(stderr, "  %12llu orders  %7.1f s  server RSS %8.1f MiB\n",
                (unsigned long long)s->orders, s->t_s, (double)s->rss_kib / 1024.0);
}

static void on_report(struct run *u, const struct fb_wire_msg *m, int64_t now)
{
    int ok;
    uint64_t n = parse_n(&m->cl_ord_id, &ok);
    struct slot *s = &u->ring[n & u->mask];
    if (!ok || !(s->flags & F_USED) || s->n != n || (s->flags & F_DONE))
        return; /* not ours, or a late report for a finished order */
    int rec = u->record && n >= u->phase_first;
    if (rec && u->r->track && m->order_id.n && n < u->phase_end) {
        struct fb_load_track *t = &u->r->track[n - u->phase_first];
        if (!t->order_id[0] && m->order_id.n < sizeof t->order_id) {
            memcpy(t->order_id, m->order_id.p, m->order_id.n);
            t->order_id[m->order_id.n] = '\0';
        }
    }
    if (!(s->flags & F_FIRST)) {
        s->flags |= F_FIRST;
        if (rec)
            fb_hist_add(&u->r->first, (uint64_t)(now - s->t0));
    }
    int terminal = m->ord_status == '2' || m->ord_status == '4' || m->ord_status == '8' ||
                   m->ord_status == 'C' || m->exec_type == '8';
    if (m->exec_type == '0' && !(s->flags & F_NEW)) {
        s->flags |= F_NEW;
        if (rec)
            fb_hist_add(&u->r->acked, (uint64_t)(now - s->t0));
        if (!terminal) {
            s->flags |= F_OPEN;
            u->r->open_orders++;
        }
    }
    if (terminal && (s->flags & F_OPEN)) {
        s->flags &= (uint8_t)~F_OPEN;
        u->r->open_orders--;
    }
    if (m->exec_type == '8') {
        if (rec)
            u->r->rejected++;
        fail(u, "order o%llu rejected: %.*s", (unsigned long long)n, (int)m->text.n, m->text.p);
    }
    int done = terminal || (u->o->done_on_new && m->exec_type == '0');
    if (!done)
        return;
    s->flags |= F_DONE;
    u->c[s->conn].outstanding--;
    if (n >= u->phase_first && n < u->phase_end) {
        u->done_in_phase++;
        u->t_last_done = now;
        if (u->o->sample_every && u->record && u->done_in_phase >= u->next_sample) {
            sample_rss(u, now);
            u->next_sample += u->o->sample_every;
        }
    }
}

/* Handles every complete message in c->in. -1 on a fatal problem. */
static int on_input(struct run *u, struct conn *c, int64_t now)
{
    size_t off = 0;
    int rc = 0;
    while (off < c->in_len) {
        struct fb_wire_msg m;
        long n = fb_wire_parse(c->in + off, c->in_len - off, &m);
        if (n == 0)
            break;
        if (n < 0) {
            fail(u, "%s: unparsable FIX from the server", c->sender);
            return -1;
        }
        off += (size_t)n;
        if (is_type(&m, "8")) {
            on_report(u, &m, now);
        } else if (is_type(&m, "A")) {
            c->logged_on = 1;
        } else if (is_type(&m, "1")) {
            char body[128];
            int bl = snprintf(body, sizeof body, "112=%.*s\001", (int)m.test_req.n, m.test_req.p);
            if (bl > 0 && (size_t)bl < sizeof body && queue(c, "0", body, (size_t)bl) < 0)
                rc = -1;
        } else if (is_type(&m, "5")) {
            c->logged_out = 1;
            if (!u->logging_out)
                fail(u, "%s: server logged out: %.*s", c->sender, (int)m.text.n, m.text.p);
        } else if (is_type(&m, "3") || is_type(&m, "j")) {
            fail(u, "%s: 35=%.*s from the server: %.*s", c->sender, (int)m.msg_type.n, m.msg_type.p,
                 (int)m.text.n, m.text.p);
            rc = -1;
        }
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return rc;
}

/* Reads what is there. -1 on EOF or error. */
static int pump_in(struct run *u, struct conn *c)
{
    for (;;) {
        if (c->in_len == IN_CAP) {
            fail(u, "%s: message larger than the input buffer", c->sender);
            return -1;
        }
        ssize_t n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0) {
            if (!c->logged_out)
                fail(u, "%s: server closed the connection", c->sender);
            return -1;
        }
        c->in_len += (size_t)n;
        if (on_input(u, c, fb_bench_now_ns()) < 0)
            return -1;
    }
}

/* Waits for input (or for room to write) until deadline_ns at most. */
static int wait_io(struct run *u, int64_t until_ns)
{
    struct pollfd p[FB_LOAD_MAX_CONNS];
    size_t n = u->o->nconns;
    int64_t now = fb_bench_now_ns();
    int64_t d = until_ns > now ? until_ns - now : 0;
    struct timespec ts = {(time_t)(d / 1000000000), (long)(d % 1000000000)};
    for (size_t i = 0; i < n; i++) {
        p[i].fd = u->c[i].fd;
        p[i].events = (short)(POLLIN | (u->c[i].out_off < u->c[i].out_len ? POLLOUT : 0));
        p[i].revents = 0;
    }
    int k = ppoll(p, n, &ts, NULL);
    if (k < 0 && errno != EINTR) {
        fail(u, "ppoll: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; k > 0 && i < n; i++) {
        if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
            if (pump_in(u, &u->c[i]) < 0)
                return -1;
        if (p[i].revents & POLLOUT)
            if (flush(&u->c[i]) < 0) {
                fail(u, "%s: write: %s", u->c[i].sender, strerror(errno));
                return -1;
            }
    }
    return 0;
}

static int flush_all(struct run *u)
{
    for (size_t i = 0; i < u->o->nconns; i++)
        if (flush(&u->c[i]) < 0) {
            fail(u, "%s: write: %s", u->c[i].sender, strerror(errno));
            return -1;
        }
    return 0;
}

/* Sends orders [next_n, next_n + total) and waits for all of them. */
static int phase(struct run *u, uint64_t total, unsigned window, double rate, int record,
                 int64_t deadline)
{
    u->phase_first = u->next_n;
    u->phase_end = u->next_n + total;
    u->done_in_phase = 0;
    u->record = record;
    u->t_phase = fb_bench_now_ns();
    u->next_sample = u->o->sample_every;
    double interval = rate > 0 ? 1e9 / rate : 0;
    int64_t t_begin = fb_bench_now_ns(), t_progress = t_begin;
    uint64_t last_done = 0;
    while (u->done_in_phase < total) {
        int64_t now = fb_bench_now_ns(), until = now + 100000000;
        if (u->done_in_phase != last_done) {
            last_done = u->done_in_phase;
            t_progress = now;
        }
        if (now > deadline || now - t_progress > FB_LOAD_STALL_NS) {
            fail(u, "%s: %llu of %llu orders answered",
                 now > deadline ? "timed out" : "no answer for 10 s",
                 (unsigned long long)u->done_in_phase, (unsigned long long)total);
            return -1;
        }
        if (rate > 0) {
            while (u->next_n < u->phase_end) {
                int64_t sched =
                    t_begin + (int64_t)((double)(u->next_n - u->phase_first) * interval);
                if (sched > now) {
                    until = sched;
                    break;
                }
                struct slot *s = &u->ring[u->next_n & u->mask];
                if ((s->flags & F_USED) && !(s->flags & F_DONE))
                    break; /* ring full: the wait is charged to the server */
                size_t ci = (size_t)(u->next_n % u->o->nconns);
                if (send_order(u, ci, u->next_n, sched) < 0)
                    return -1;
                u->next_n++;
            }
        } else {
            for (size_t ci = 0; ci < u->o->nconns; ci++)
                while (u->c[ci].outstanding < window && u->next_n < u->phase_end) {
                    if (send_order(u, ci, u->next_n, now) < 0)
                        return -1;
                    u->next_n++;
                }
        }
        if (until > deadline)
            until = deadline;
        if (flush_all(u) < 0 || wait_io(u, until) < 0)
            return -1;
    }
    return 0;
}

static int connect_one(struct conn *c, uint16_t port)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return -1;
    int fl = fcntl(c->fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
}

static int64_t self_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

static int logon_all(struct run *u, int64_t deadline)
{
    static const char body[] = "98=0\001108=30\001141=Y\001";
    for (size_t i = 0; i < u->o->nconns; i++) {
        struct conn *c = &u->c[i];
        if (connect_one(c, u->o->ports[i]) < 0) {
            fail(u, "%s: connect 127.0.0.1:%u: %s", c->sender, (unsigned)u->o->ports[i],
                 strerror(errno));
            return -1;
        }
        if (queue(c, "A", body, sizeof body - 1) < 0)
            return -1;
    }
    for (;;) {
        size_t on = 0;
        for (size_t i = 0; i < u->o->nconns; i++)
            on += (size_t)u->c[i].logged_on;
        if (on == u->o->nconns)
            return 0;
        if (fb_bench_now_ns() > deadline) {
            fail(u, "logon: %zu of %zu sessions logged on in time", on, u->o->nconns);
            return -1;
        }
        if (flush_all(u) < 0 || wait_io(u, fb_bench_now_ns() + 50000000) < 0)
            return -1;
    }
}

static void logout_all(struct run *u)
{
    u->logging_out = 1;
    for (size_t i = 0; i < u->o->nconns; i++)
        if (u->c[i].fd >= 0 && u->c[i].logged_on)
            queue(&u->c[i], "5", "", 0);
    int64_t deadline = fb_bench_now_ns() + 1000000000;
    for (;;) {
        size_t left = 0;
        for (size_t i = 0; i < u->o->nconns; i++)
            left += (size_t)(u->c[i].fd >= 0 && u->c[i].logged_on && !u->c[i].logged_out);
        if (!left || fb_bench_now_ns() > deadline)
            break;
        if (flush_all(u) < 0 || wait_io(u, fb_bench_now_ns() + 20000000) < 0)
            break;
    }
}

int fb_load_run(const struct fb_load_opts *o, struct fb_load_result *r)
{
    struct run u = {0};
    struct conn conns[FB_LOAD_MAX_CONNS];
    int rc = -1;

    memset(r, 0, sizeof *r);
    fb_hist_reset(&r->first);
    fb_hist_reset(&r->acked);
    r->server_cpu_us = r->client_cpu_us = r->helper_cpu_us = -1;
    u.o = o;
    u.r = r;
    u.c = conns;
    if (o->nconns < 1 || o->nconns > FB_LOAD_MAX_CONNS) {
        fail(&u, "sessions must be 1..%d", FB_LOAD_MAX_CONNS);
        return -1;
    }
    memset(conns, 0, sizeof conns);
    for (size_t i = 0; i < o->nconns; i++) {
        conns[i].fd = -1;
        snprintf(conns[i].sender, sizeof conns[i].sender, "OMS%u", (unsigned)(i + 1));
        conns[i].in = malloc(IN_CAP);
        if (!conns[i].in)
            goto out;
    }
    /* The ring holds every order that may be outstanding at once. */
    uint64_t need = o->rate > 0 ? (o->count < (1u << 20) ? o->count : (1u << 20))
                                : (uint64_t)(o->window ? o->window : 1) * o->nconns;
    uint64_t size = 1024;
    while (size < 2 * need)
        size *= 2;
    u.ring = calloc(size, sizeof *u.ring);
    if (!u.ring)
        goto out;
    u.mask = size - 1;
    u.next_n = 1;
    if (o->track && !(r->track = calloc(o->count, sizeof *r->track)))
        goto out;
    cur_run = &u;

    int64_t deadline = fb_bench_now_ns() + (int64_t)(o->timeout_s * 1e9);
    if (logon_all(&u, deadline) < 0)
        goto out;
    unsigned window = o->window ? o->window : 1;
    if (o->warmup && phase(&u, o->warmup, window, 0, 0, deadline) < 0)
        goto out;
    if (o->after_warmup)
        o->after_warmup(o->after_warmup_ctx);

    int64_t cpu0 = fb_proc_cpu_us(o->server), self0 = self_cpu_us();
    int64_t help0 = o->helper > 0 ? fb_proc_cpu_us(o->helper) : -1;
    r->rss_start_kib = fb_proc_rss_kib(o->server);
    int prc = phase(&u, o->count, window, o->rate, 1, deadline);
    int64_t cpu1 = fb_proc_cpu_us(o->server), self1 = self_cpu_us();
    int64_t help1 = o->helper > 0 ? fb_proc_cpu_us(o->helper) : -1;
    r->helper_cpu_us = help0 >= 0 && help1 >= 0 ? help1 - help0 : -1;
    r->done = u.done_in_phase;
    r->elapsed_ns = u.t_last_done > u.t_first_send ? u.t_last_done - u.t_first_send : 0;
    r->server_cpu_us = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
    r->client_cpu_us = self1 - self0;
    r->rss_end_kib = fb_proc_rss_kib(o->server);
    r->hwm_kib = fb_proc_hwm_kib(o->server);
    if (prc < 0)
        goto out;
    rc = r->error[0] ? -1 : 0;
out:
    logout_all(&u);
    cur_run = NULL;
    for (size_t i = 0; i < o->nconns; i++) {
        if (conns[i].fd >= 0)
            close(conns[i].fd);
        free(conns[i].in);
        free(conns[i].out);
        free(conns[i].unsent);
    }
    free(u.ring);
    return rc;
}
