#include "fix/fix_raw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

int fb_fix_raw_get(const char *msg, size_t len, int tag, const char **val, size_t *vlen)
{
    size_t i = 0;

    while (i < len) {
        int t = 0;
        size_t start = i;
        while (i < len && msg[i] >= '0' && msg[i] <= '9' && t < 100000000) {
            t = t * 10 + (msg[i] - '0');
            i++;
        }
        if (i >= len || msg[i] != '=' || i == start) {
            /* not tag=value: skip to the next field */
            while (i < len && msg[i] != '\x01')
                i++;
            i++;
            continue;
        }
        i++;
        size_t v = i;
        while (i < len && msg[i] != '\x01')
            i++;
        if (t == tag) {
            *val = msg + v;
            *vlen = i - v;
            return 1;
        }
        i++;
    }
    return 0;
}

static int is_secret_tag(int tag)
{
    return tag == 554 || tag == 925 || tag == 96 || tag == 91;
}

size_t fb_fix_redact(const char *msg, size_t len, char *out, size_t outlen)
{
    size_t i = 0, o = 0;

    if (outlen == 0)
        return 0;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (o + 1 < outlen)                                                                        \
            out[o++] = (c);                                                                        \
    } while (0)
    while (i < len) {
        int t = 0, digits = 0;
        while (i < len && msg[i] >= '0' && msg[i] <= '9') {
            if (t < 100000000)
                t = t * 10 + (msg[i] - '0');
            PUT(msg[i]);
            i++;
            digits++;
        }
        if (i < len && msg[i] == '=' && digits && is_secret_tag(t)) {
            PUT('=');
            PUT('*');
            PUT('*');
            PUT('*');
            i++;
            while (i < len && msg[i] != '\x01')
                i++;
        }
        while (i < len && msg[i] != '\x01') {
            PUT(msg[i]);
            i++;
        }
        if (i < len) {
            PUT('\x01');
            i++;
        }
    }
#undef PUT
    out[o] = '\0';
    return o;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes hex of exactly n chars into out (n/2 bytes). 0 on success. */
static int unhex(const char *s, size_t n, unsigned char *out)
{
    if (n % 2)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i / 2] = (unsigned char)(hi * 16 + lo);
    }
    return 0;
}

int fb_password_hash_matches(const char *spec, const char *password, size_t pwlen)
{
    unsigned char salt[256], want[32], got[EVP_MAX_MD_SIZE];
    unsigned int gotlen = 0;
    const char *p, *colon;
    size_t saltlen;
    int ok = 0;
    EVP_MD_CTX *ctx = NULL;

    if (strncmp(spec, "sha256:", 7) != 0)
        return 0;
    p = spec + 7;
    colon = strchr(p, ':');
    if (!colon || (size_t)(colon - p) > 2 * sizeof salt || strlen(colon + 1) != 64)
        return 0;
    saltlen = (size_t)(colon - p) / 2;
    if (unhex(p, (size_t)(colon - p), salt) || unhex(colon + 1, 64, want))
        return 0;
    ctx = EVP_MD_CTX_new();
    if (!ctx)
        goto out;
    if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, salt, saltlen) ||
        !EVP_DigestUpdate(ctx, password, pwlen) || !EVP_DigestFinal_ex(ctx, got, &gotlen))
        goto out;
    /* constant time, so timing tells nothing about how much matched */
    ok = gotlen == 32 && CRYPTO_memcmp(got, want, 32) == 0;
out:
    EVP_MD_CTX_free(ctx);
    OPENSSL_cleanse(got, sizeof got);
    return ok;
}

enum fb_err fb_logon_check(const struct fb_fix_session_cfg *cfg, int hb_min, int hb_max,
                           const char *msg, size_t len, char *reason, size_t reasonlen)
{
    const char *v;
    size_t vlen;

    if (fb_fix_raw_get(msg, len, 108, &v, &vlen)) {
        long hb = 0;
        size_t i;
        for (i = 0; i < vlen && i < 9 && v[i] >= '0' && v[i] <= '9'; i++)
            hb = hb * 10 + (v[i] - '0');
        if (vlen == 0 || i != vlen || hb < hb_min || hb > hb_max) {
            snprintf(reason, reasonlen, "HeartBtInt %.*s outside the allowed range %d..%d",
                     (int)(vlen > 12 ? 12 : vlen), v, hb_min, hb_max);
            return FB_ERR_INVALID;
        }
    }
    if (!cfg->username)
        return FB_OK;
    if (!fb_fix_raw_get(msg, len, 553, &v, &vlen) || vlen != strlen(cfg->username) ||
        CRYPTO_memcmp(v, cfg->username, vlen) != 0) {
        snprintf(reason, reasonlen, "Logon refused: unknown Username or wrong Password");
        return FB_ERR_AUTH;
    }
    if (!fb_fix_raw_get(msg, len, 554, &v, &vlen)) {
        snprintf(reason, reasonlen, "Logon refused: Password (554) required");
        return FB_ERR_AUTH;
    }
    if (cfg->password_hash) {
        if (fb_password_hash_matches(cfg->password_hash, v, vlen))
            return FB_OK;
    } else if (cfg->password && vlen == strlen(cfg->password) &&
               CRYPTO_memcmp(v, cfg->password, vlen) == 0) {
        return FB_OK;
    }
    snprintf(reason, reasonlen, "Logon refused: unknown Username or wrong Password");
    return FB_ERR_AUTH;
}
