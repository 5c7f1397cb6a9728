/*
 * bench_wire.c -- see bench_wire.h.
 */
#include "bench_wire.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bridge/textcat.h"

void fb_wire_utc_now(char out[22])
{
    static time_t cached_sec = -1;
    static char cached[18]; /* "YYYYMMDD-HH:MM:SS" */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(cached, sizeof cached, "%Y%m%d-%H:%M:%S", &tm);
        cached_sec = ts.tv_sec;
    }
    int ms = (int)(ts.tv_nsec / 1000000);
    memcpy(out, cached, 17);
    out[17] = '.';
    out[18] = (char)('0' + ms / 100);
    out[19] = (char)('0' + ms / 10 % 10);
    out[20] = (char)('0' + ms % 10);
    out[21] = '\0';
}

size_t fb_wire_put_u64(char *p, uint64_t v)
{
    char t[24];
    struct fb_cat c = fb_cat_init(t, sizeof t);
    fb_cat_u64(&c, v);
    memcpy(p, t, c.len);
    return c.len;
}

static size_t put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return n;
}

size_t fb_wire_encode(char *out, size_t cap, const char *begin_string, const char *msg_type,
                      uint64_t seq, const char *sender, const char *target,
                      const char *sending_time, const char *body, size_t body_len)
{
    /* The header after 9= goes first into a scratch area at the end of the
     * room we reserve for 8= and 9=, so the body is written once. */
    char head[256];
    size_t h = 0;
    if (strlen(msg_type) + strlen(sender) + strlen(target) + strlen(sending_time) > 180)
        return 0;
    h += put_str(head + h, "35=");
    h += put_str(head + h, msg_type);
    head[h++] = FB_WIRE_SOH;
    h += put_str(head + h, "34=");
    h += fb_wire_put_u64(head + h, seq);
    head[h++] = FB_WIRE_SOH;
    h += put_str(head + h, "49=");
    h += put_str(head + h, sender);
    head[h++] = FB_WIRE_SOH;
    h += put_str(head + h, "52=");
    h += put_str(head + h, sending_time);
    head[h++] = FB_WIRE_SOH;
    h += put_str(head + h, "56=");
    h += put_str(head + h, target);
    head[h++] = FB_WIRE_SOH;

    size_t body_total = h + body_len;
    size_t need = strlen(begin_string) + 2 + 1 + 2 + 20 + 1 + body_total + 7;
    if (need > cap)
        return 0;
    size_t n = 0;
    n += put_str(out + n, "8=");
    n += put_str(out + n, begin_string);
    out[n++] = FB_WIRE_SOH;
    n += put_str(out + n, "9=");
    n += fb_wire_put_u64(out + n, body_total);
    out[n++] = FB_WIRE_SOH;
    memcpy(out + n, head, h);
    n += h;
    memcpy(out + n, body, body_len);
    n += body_len;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (unsigned char)out[i];
    sum %= 256;
    out[n++] = '1';
    out[n++] = '0';
    out[n++] = '=';
    out[n++] = (char)('0' + sum / 100);
    out[n++] = (char)('0' + sum / 10 % 10);
    out[n++] = (char)('0' + sum % 10);
    out[n++] = FB_WIRE_SOH;
    return n;
}

/* Parses a decimal run at p (at most end), stopping at SOH. -1 if none. */
static long parse_len(const char *p, const char *end, const char **after)
{
    long v = 0;
    const char *s = p;
    while (p < end && *p >= '0' && *p <= '9' && p - s < 9)
        v = v * 10 + (*p++ - '0');
    if (p == s)
        return -1;
    *after = p;
    return v;
}

long fb_wire_parse(const char *buf, size_t len, struct fb_wire_msg *m)
{
    const char *end = buf + len, *p;
    if (len < 2)
        return 0;
    if (buf[0] != '8' || buf[1] != '=')
        return -1;
    const char *soh = memchr(buf, FB_WIRE_SOH, len);
    if (!soh)
        return len > 32 ? -1 : 0;
    if (end - soh < 4)
        return 0;
    if (soh[1] != '9' || soh[2] != '=')
        return -1;
    long body_len = parse_len(soh + 3, end, &p);
    if (body_len < 0) /* digits not all here yet, or none */
        return (size_t)(end - (soh + 3)) < 10 ? 0 : -1;
    if (p == end)
        return 0;
    if (*p != FB_WIRE_SOH)
        return -1;
    const char *body = p + 1;
    if ((size_t)(end - body) < (size_t)body_len + 7)
        return 0;
    const char *trailer = body + body_len;
    if (memcmp(trailer, "10=", 3) != 0 || trailer[6] != FB_WIRE_SOH)
        return -1;
    unsigned sum = 0;
    for (const char *q = buf; q < trailer; q++)
        sum += (unsigned char)*q;
    unsigned want =
        (unsigned)((trailer[3] - '0') * 100 + (trailer[4] - '0') * 10 + (trailer[5] - '0'));
    if (sum % 256 != want)
        return -1;

    memset(m, 0, sizeof *m);
    for (const char *f = body; f < trailer;) {
        const char *eq = memchr(f, '=', (size_t)(trailer - f));
        if (!eq)
            return -1;
        const char *v = eq + 1;
        const char *fe = memchr(v, FB_WIRE_SOH, (size_t)(trailer - v));
        if (!fe)
            return -1;
        long tag = 0;
        for (const char *t = f; t < eq; t++)
            tag = tag * 10 + (*t - '0');
        struct fb_wire_str s = {v, (size_t)(fe - v)};
        switch (tag) {
        case 35:
            m->msg_type = s;
            break;
        case 11:
            m->cl_ord_id = s;
            break;
        case 37:
            m->order_id = s;
            break;
        case 150:
            m->exec_type = s.n ? v[0] : 0;
            break;
        case 39:
            m->ord_status = s.n ? v[0] : 0;
            break;
        case 112:
            m->test_req = s;
            break;
        case 58:
            m->text = s;
            break;
        default:
            break;
        }
        f = fe + 1;
    }
    return (long)(trailer + 7 - buf);
}
