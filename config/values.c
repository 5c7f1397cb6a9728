/*
 * values.c -- parsers for single config values. Each returns NULL on
 * success or a static reason; none echoes the value (see cfg_error()).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config/schema.h"

bool cfg_is_null(const struct yt_node *n)
{
    return n->kind == YT_SCALAR && n->plain &&
           (n->str[0] == '\0' || strcmp(n->str, "~") == 0 || strcasecmp(n->str, "null") == 0);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Reasons for bounds are built per call, so they live in a static buffer
 * owned by the (single-threaded) loader for the duration of one message. */
static _Thread_local char range_reason[96];

const char *cfg_parse_uint(const struct yt_node *n, int64_t min, int64_t max, uint64_t *out)
{
    uint64_t umax = max > 0 ? (uint64_t)max : UINT64_MAX;
    const char *s = n->str;
    if (n->kind != YT_SCALAR)
        return "expected an integer";
    if (!n->plain)
        return "expected an integer, got a quoted string";
    bool neg = s[0] == '-';
    const char *p = s + (neg || s[0] == '+');
    if (!is_digit(*p))
        return "expected an integer";
    uint64_t v = 0;
    bool overflow = false;
    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    if (*p == '.' || *p == 'e' || *p == 'E')
        return "expected an integer, not a fraction";
    if (*p)
        return "expected an integer";
    /* A negative number is reported as out of range, not as "not an
     * integer": that is the mistake the user made. */
    if (!overflow && !neg && v >= (uint64_t)min && v <= umax) {
        *out = v;
        return NULL;
    }
    if (max > 0)
        snprintf(range_reason, sizeof range_reason, "must be between %lld and %lld", (long long)min,
                 (long long)max);
    else
        snprintf(range_reason, sizeof range_reason, "must be between %lld and %llu", (long long)min,
                 (unsigned long long)UINT64_MAX);
    return range_reason;
}

const char *cfg_parse_bool(const struct yt_node *n, bool *out)
{
    static const char why[] = "expected a boolean (true, false, yes or no)";
    if (n->kind != YT_SCALAR || !n->plain)
        return why;
    if (strcasecmp(n->str, "true") == 0 || strcasecmp(n->str, "yes") == 0)
        *out = true;
    else if (strcasecmp(n->str, "false") == 0 || strcasecmp(n->str, "no") == 0)
        *out = false;
    else
        return why;
    return NULL;
}

/* The one place config turns text into a decimal, so the grammar is the
 * one FIX prices use (no exponent, no '+', at most 18 places). */
const char *config_parse_decimal(const char *s, struct fb_dec *out)
{
    switch (fb_dec_parse_str(s, out)) {
    case FB_OK:
        return NULL;
    case FB_ERR_OVERFLOW:
        return "decimal out of range";
    default:
        return "expected a decimal such as \"0.01\" (digits, optional point; no exponent)";
    }
}

void cfg_format_decimal(struct fb_dec d, char *buf)
{
    fb_dec_format(d, buf);
}

const char *cfg_parse_time(const char *s, uint32_t *out)
{
    static const char why[] = "expected a time HH:MM:SS (UTC)";
    if (strlen(s) != 8 || s[2] != ':' || s[5] != ':')
        return why;
    for (int i = 0; i < 8; i++)
        if (i != 2 && i != 5 && !is_digit(s[i]))
            return why;
    unsigned h = (unsigned)((s[0] - '0') * 10 + (s[1] - '0'));
    unsigned m = (unsigned)((s[3] - '0') * 10 + (s[4] - '0'));
    unsigned sec = (unsigned)((s[6] - '0') * 10 + (s[7] - '0'));
    if (h > 23 || m > 59 || sec > 59)
        return why;
    *out = h * 3600 + m * 60 + sec;
    return NULL;
}

const char *cfg_check_ipaddr(const char *s)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
        return NULL;
    return "expected an IPv4 or IPv6 address literal";
}

const char *cfg_parse_cidr(const char *s, struct fb_cidr *out)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof addr)
        return "expected an IPv4/IPv6 address or CIDR";
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, addr, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, addr, out->addr) == 1)
        out->family = AF_INET6;
    else
        return "expected an IPv4/IPv6 address or CIDR";
    unsigned maxp = out->family == AF_INET ? 32 : 128;
    out->prefix = maxp;
    if (slash) {
        const char *p = slash + 1;
        unsigned v = 0;
        size_t nd = 0;
        for (; is_digit(*p) && nd < 4; p++, nd++)
            v = v * 10 + (unsigned)(*p - '0');
        if (nd == 0 || *p)
            return "expected a prefix length after '/'";
        if (v > maxp)
            return out->family == AF_INET ? "prefix length must be 0..32"
                                          : "prefix length must be 0..128";
        out->prefix = v;
    }
    /* 10.0.0.1/8 is almost always a typo for 10.0.0.0/8 (or for a /32):
     * refuse rather than guess which. */
    for (unsigned bit = out->prefix; bit < maxp; bit++)
        if (out->addr[bit / 8] & (0x80u >> (bit % 8)))
            return "address has bits set beyond the prefix length";
    return NULL;
}

const char *cfg_check_name(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!(is_digit(*p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
              *p == '.' || *p == '-'))
            return "may contain only letters, digits, '_', '.' and '-'";
    return NULL;
}

const char *cfg_check_compid(const char *s)
{
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return "may contain only printable ASCII without spaces";
    return NULL;
}

const char *cfg_check_envname(const char *s)
{
    static const char why[] = "expected the name of an environment variable "
                              "(letters, digits and '_', not starting with a digit)";
    if (is_digit(s[0]))
        return why;
    for (const char *p = s; *p; p++)
        if (!(is_digit(*p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
            return why;
    return NULL;
}

const char *cfg_check_url(const char *s)
{
    const char *host;
    if (strncmp(s, "https://", 8) == 0)
        host = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        host = s + 7;
    else
        return "must start with http:// or https://";
    if (*host == '\0' || *host == '/' || *host == ':')
        return "has no host";
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return "may not contain spaces or control characters";
    return NULL;
}

const char *cfg_check_pwhash(const char *s)
{
    static const char why[] = "expected sha256:<salt hex>:<64 hex digits>";
    if (strncmp(s, "sha256:", 7) != 0)
        return why;
    const char *salt = s + 7;
    const char *colon = strchr(salt, ':');
    if (!colon || colon == salt || (colon - salt) % 2 != 0)
        return why;
    for (const char *p = salt; p < colon; p++)
        if (!is_hex(*p))
            return why;
    const char *hash = colon + 1;
    if (strlen(hash) != 64)
        return why;
    for (const char *p = hash; *p; p++)
        if (!is_hex(*p))
            return why;
    return NULL;
}
