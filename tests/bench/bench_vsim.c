/*
 * bench_vsim.c -- see bench_vsim.h; and a minimal HTTP/1.0 GET for the
 * venue-sim's loopback control endpoint (bench_server.h).
 */
#include "bench_vsim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_proc.h"
#include "bench_server.h"

char *fb_bench_http_get(uint16_t port, const char *path, int timeout_ms)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    char req[512];
    int rl = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || rl <= 0 ||
        write(fd, req, (size_t)rl) != rl) {
        close(fd);
        return NULL;
    }
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);
    int64_t deadline = fb_bench_now_ns() + (int64_t)timeout_ms * 1000000;
    while (buf) {
        if (len + 1 == cap) {
            char *p = realloc(buf, cap * 2);
            if (!p)
                break;
            buf = p;
            cap *= 2;
        }
        struct pollfd pf = {fd, POLLIN, 0};
        int64_t left = deadline - fb_bench_now_ns();
        if (left <= 0 || poll(&pf, 1, (int)(left / 1000000) + 1) <= 0)
            break;
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) { /* HTTP/1.0: the answer ends at EOF */
            close(fd);
            buf[len] = '\0';
            char *body = strstr(buf, "\r\n\r\n");
            if (strncmp(buf, "HTTP/1.", 7) != 0 || strncmp(buf + 8, " 200", 4) != 0 || !body) {
                free(buf);
                return NULL;
            }
            memmove(buf, body + 4, len - (size_t)(body + 4 - buf) + 1);
            return buf;
        }
        len += (size_t)n;
    }
    close(fd);
    free(buf);
    return NULL;
}

struct arrival {
    const char *id; /* into the fetched text, NUL-terminated in place */
    int64_t line_ns, complete_ns;
};

static int by_id(const void *a, const void *b)
{
    const struct arrival *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return x->line_ns < y->line_ns ? -1 : x->line_ns > y->line_ns;
}

/* Parses the "arrivals":[["id",line,complete],...] array in place. */
static struct arrival *parse(char *text, size_t *n)
{
    char *p = strstr(text, "\"arrivals\":[");
    size_t cap = 1024;
    struct arrival *a = malloc(cap * sizeof *a);
    *n = 0;
    if (!p || !a) {
        free(a);
        return NULL;
    }
    p += strlen("\"arrivals\":[");
    while (*p == '[' && p[1] == '"') {
        char *id = p + 2, *q = strchr(id, '"');
        if (!q || q[1] != ',')
            break;
        *q = '\0';
        char *end;
        long long line = strtoll(q + 2, &end, 10);
        if (*end != ',')
            break;
        long long complete = strtoll(end + 1, &end, 10);
        if (*end != ']')
            break;
        if (*n == cap) {
            struct arrival *b = realloc(a, cap * 2 * sizeof *a);
            if (!b)
                break;
            a = b;
            cap *= 2;
        }
        a[(*n)++] = (struct arrival){id, line, complete};
        p = end + 1;
        if (*p == ',')
            p++;
    }
    return a;
}

int fb_bench_venue_latency(uint16_t port, const struct fb_load_track *t, uint64_t n,
                           struct fb_bench_venue_lat *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    fb_hist_reset(&v->line);
    fb_hist_reset(&v->complete);
    char *text = fb_bench_http_get(port, "/__sim/arrivals", 30000);
    if (!text) {
        snprintf(err, errlen, "GET /__sim/arrivals from venue-sim port %u failed", (unsigned)port);
        return -1;
    }
    size_t na;
    struct arrival *a = parse(text, &na);
    if (!a) {
        snprintf(err, errlen, "venue-sim /__sim/arrivals: no arrivals array");
        free(text);
        return -1;
    }
    qsort(a, na, sizeof *a, by_id);
    for (uint64_t i = 0; i < n; i++) {
        char coid[48];
        if (!t[i].order_id[0] || !t[i].sent_ns) {
            v->missing++;
            continue;
        }
        snprintf(coid, sizeof coid, "fb%s-0", t[i].order_id);
        /* the earliest arrival of coid: the first of its run in sort order */
        size_t lo = 0, hi = na;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(a[mid].id, coid) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == na || strcmp(a[lo].id, coid) != 0) {
            v->missing++;
            continue;
        }
        int64_t dl = a[lo].line_ns - t[i].sent_ns, dc = a[lo].complete_ns - t[i].sent_ns;
        if (dl < 0 || dc < 0) {
            v->negative++;
            continue;
        }
        fb_hist_add(&v->line, (uint64_t)dl);
        fb_hist_add(&v->complete, (uint64_t)dc);
        v->matched++;
    }
    free(a);
    free(text);
    return 0;
}

/* "0.000045" -> 45000 ns: exact decimal seconds, no double. */
static int64_t seconds_to_ns(const char *s)
{
    int64_t ns = 0, scale = 1000000000;
    while (*s >= '0' && *s <= '9')
        ns = ns * 10 + (*s++ - '0');
    ns *= scale;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9' && scale > 1) {
            scale /= 10;
            ns += (*s++ - '0') * scale;
        }
    }
    return ns;
}

int fb_bench_written_scrape(uint16_t admin_port, struct fb_bench_written *w, char *err,
                            size_t errlen)
{
    static const char name[] = "fixbridge_venue_order_written_seconds";
    memset(w, 0, sizeof *w);
    char *text = fb_bench_http_get(admin_port, "/metrics", 10000);
    if (!text) {
        snprintf(err, errlen, "GET /metrics from the bridge's admin port %u failed",
                 (unsigned)admin_port);
        return -1;
    }
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!strncmp(line, name, sizeof name - 1)) {
            const char *rest = line + sizeof name - 1;
            const char *le = strstr(rest, "le=\"");
            const char *val = strrchr(rest, ' ');
            if (!strncmp(rest, "_bucket{", 8) && le && val && w->nb < FB_BENCH_WRITTEN_MAX) {
                le += 4;
                w->le_ns[w->nb] = !strncmp(le, "+Inf", 4) ? INT64_MAX : seconds_to_ns(le);
                w->cum[w->nb++] = strtoull(val + 1, NULL, 10);
            } else if (!strncmp(rest, "_count{", 7) && val) {
                w->count = strtoull(val + 1, NULL, 10);
            } else if (!strncmp(rest, "_sum{", 5) && val) {
                w->sum_ns = seconds_to_ns(val + 1);
            }
        }
        line = next;
    }
    free(text);
    if (!w->nb) {
        snprintf(err, errlen, "the bridge's /metrics has no %s", name);
        return -1;
    }
    return 0;
}

void fb_bench_written_diff(const struct fb_bench_written *before,
                           const struct fb_bench_written *after, struct fb_bench_written *out)
{
    *out = *after;
    if (before->nb != after->nb)
        return; /* a different layout: keep the totals */
    for (size_t i = 0; i < out->nb; i++)
        out->cum[i] -= before->cum[i];
    out->count -= before->count;
    out->sum_ns -= before->sum_ns;
}

int64_t fb_bench_written_quantile(const struct fb_bench_written *w, double q)
{
    if (!w->nb || !w->cum[w->nb - 1])
        return -1;
    uint64_t total = w->cum[w->nb - 1];
    uint64_t rank = (uint64_t)(q * (double)total + 0.999999);
    if (rank < 1)
        rank = 1;
    for (size_t i = 0; i < w->nb; i++) {
        if (w->cum[i] >= rank)
            return w->le_ns[i];
    }
    return INT64_MAX;
}
