#include "bridge/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile int log_level = FB_LOG_INFO;

void fb_log_set_level(enum fb_log_level level)
{
    log_level = (int)level;
}

enum fb_log_level fb_log_get_level(void)
{
    return (enum fb_log_level)log_level;
}

int fb_log_level_parse(const char *s, enum fb_log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i <= FB_LOG_OFF; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum fb_log_level)i;
            return 0;
        }
    }
    return -1;
}

void fb_log_write(enum fb_log_level level, const char *subsys, const char *fmt, ...)
{
    static const char *const tags[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, ".%06ldZ %-5s %s: ", ts.tv_nsec / 1000,
                          tags[level], subsys);
    if (n < sizeof line) {
        va_start(ap, fmt);
        int w = vsnprintf(line + n, sizeof line - n, fmt, ap);
        va_end(ap);
        if (w > 0)
            n += (size_t)w;
    }
    if (n >= sizeof line - 1)
        n = sizeof line - 2;
    line[n++] = '\n';
    line[n] = '\0';
    fputs(line, stderr);
}

void fb_log_sample(const char *in, unsigned long inlen, char *out, unsigned long outlen)
{
    unsigned long o = 0, head, tail, i;

    if (outlen == 0)
        return;
    if (inlen + 1 <= outlen) {
        head = inlen;
        tail = 0;
    } else {
        /* keep room for "..." and the NUL */
        unsigned long room = outlen > 5 ? outlen - 4 : 0;
        head = room / 2;
        tail = room - head;
    }
    for (i = 0; i < head && o + 1 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];
        out[o++] = c == 1 ? '|' : (c >= 32 && c < 127) ? (char)c : '.';
    }
    if (tail) {
        memcpy(out + o, "...", 3);
        o += 3;
        for (i = inlen - tail; i < inlen && o + 1 < outlen; i++) {
            unsigned char c = (unsigned char)in[i];
            out[o++] = c == 1 ? '|' : (c >= 32 && c < 127) ? (char)c : '.';
        }
    }
    out[o] = '\0';
}
