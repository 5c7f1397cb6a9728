/*
 * Signing (see sign.h). OpenSSL 3's EVP_MAC is used rather than HMAC_CTX,
 * which 3.0 deprecates; the MAC is fed in parts so the payload is never
 * copied together with secret material.
 */
#include "adapters/sign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

enum fb_err fb_pct_encode(const char *in, size_t n, char *out, size_t cap, size_t *outlen)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t o = 0;
    if (!in || !out || cap == 0)
        return FB_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';
        size_t need = plain ? 1 : 3;
        if (o + need >= cap) {
            out[0] = '\0';
            return FB_ERR_TOO_LARGE;
        }
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hx[c >> 4];
            out[o++] = hx[c & 15];
        }
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return FB_OK;
}

struct part {
    const void *p;
    size_t n;
};

/* HMAC over the concatenation of parts; mac must hold EVP_MAX_MD_SIZE. */
static enum fb_err hmac(const char *digest, const void *key, size_t klen, const struct part *parts,
                        size_t nparts, unsigned char *mac, size_t *maclen)
{
    enum fb_err err = FB_ERR_INTERNAL;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM prm[2];

    if (!c)
        goto out;
    prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t)digest, 0);
    prm[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(c, key, klen, prm))
        goto out;
    for (size_t i = 0; i < nparts; i++)
        if (parts[i].n && !EVP_MAC_update(c, parts[i].p, parts[i].n))
            goto out;
    if (!EVP_MAC_final(c, mac, maclen, EVP_MAX_MD_SIZE))
        goto out;
    err = FB_OK;
out:
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(m);
    return err;
}

struct fb_sign_key {
    EVP_MAC_CTX *mac; /* HMAC-SHA256, keyed: re-initialised per signature */
};

enum fb_err fb_sign_key_new(const char *secret, struct fb_sign_key **out)
{
    static char sha256[] = "SHA256"; /* OSSL_PARAM takes it non-const */
    enum fb_err err = FB_ERR_INTERNAL;
    EVP_MAC *m = NULL;
    struct fb_sign_key *k = NULL;
    OSSL_PARAM prm[2];

    if (!out)
        return FB_ERR_INVALID;
    *out = NULL;
    if (!secret || !secret[0])
        return FB_ERR_INVALID;
    m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    k = calloc(1, sizeof *k);
    if (!m || !k || !(k->mac = EVP_MAC_CTX_new(m)))
        goto out;
    prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256, 0);
    prm[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(k->mac, (const unsigned char *)secret, strlen(secret), prm))
        goto out;
    *out = k;
    k = NULL;
    err = FB_OK;
out:
    fb_sign_key_free(k);
    EVP_MAC_free(m);
    return err;
}

void fb_sign_key_free(struct fb_sign_key *k)
{
    if (!k)
        return;
    EVP_MAC_CTX_free(k->mac); /* cleanses the key and pad states */
    free(k);
}

enum fb_err fb_sign_binance_key(struct fb_sign_key *k, const char *query, size_t qlen,
                                const char *body, size_t blen, char out[FB_SIGN_BINANCE_HEX_LEN + 1])
{
    static const char hx[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t len = 0;
    enum fb_err err = FB_ERR_INTERNAL;

    if (!k || !out || (!query && qlen) || (!body && blen))
        return FB_ERR_INVALID;
    /* A NULL key re-initialises from the pad states computed at
     * fb_sign_key_new: the key is not hashed again. */
    if (!EVP_MAC_init(k->mac, NULL, 0, NULL))
        goto out;
    if (qlen && !EVP_MAC_update(k->mac, (const unsigned char *)query, qlen))
        goto out;
    if (blen && !EVP_MAC_update(k->mac, (const unsigned char *)body, blen))
        goto out;
    if (!EVP_MAC_final(k->mac, mac, &len, sizeof mac) || len != 32)
        goto out;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hx[mac[i] >> 4];
        out[2 * i + 1] = hx[mac[i] & 15];
    }
    out[2 * len] = '\0';
    err = FB_OK;
out:
    OPENSSL_cleanse(mac, sizeof mac);
    return err;
}

enum fb_err fb_sign_binance(const char *secret, const char *query, size_t qlen, const char *body,
                            size_t blen, char out[FB_SIGN_BINANCE_HEX_LEN + 1])
{
    struct fb_sign_key *k = NULL;
    enum fb_err err;

    if (!secret || !secret[0] || !out || (!query && qlen) || (!body && blen))
        return FB_ERR_INVALID;
    err = fb_sign_key_new(secret, &k);
    if (err == FB_OK)
        err = fb_sign_binance_key(k, query, qlen, body, blen, out);
    fb_sign_key_free(k);
    return err;
}

static int b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Strict standard base64 (padding required); returns decoded length or -1. */
static int b64_decode(const char *in, unsigned char *out, size_t cap)
{
    size_t n = strlen(in), pad = 0;
    int len;
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '=') {
            /* Only as the last one or two characters. */
            if (i < n - 2)
                return -1;
            pad++;
        } else if (pad || !b64_char(in[i])) {
            return -1;
        }
    }
    len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
    if (len < 0)
        return -1;
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    return len - (int)pad;
}

enum fb_err fb_sign_kraken(const char *secret_b64, const char *path, const char *nonce,
                           const char *postdata, size_t plen, char out[FB_SIGN_KRAKEN_B64_LEN + 1])
{
    unsigned char key[192]; /* Kraken secrets decode to 64 bytes */
    unsigned char digest[32];
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    unsigned int dlen = 0;
    int klen;
    enum fb_err err = FB_ERR_INVALID;
    EVP_MD_CTX *md = NULL;
    struct part parts[2];

    if (!secret_b64 || !path || !nonce || !out || (!postdata && plen))
        return FB_ERR_INVALID;
    klen = b64_decode(secret_b64, key, sizeof key);
    if (klen <= 0)
        goto out;
    err = FB_ERR_INTERNAL;
    md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(md, nonce, strlen(nonce)) ||
        (plen && !EVP_DigestUpdate(md, postdata, plen)) || !EVP_DigestFinal_ex(md, digest, &dlen) ||
        dlen != sizeof digest)
        goto out;
    parts[0].p = path;
    parts[0].n = strlen(path);
    parts[1].p = digest;
    parts[1].n = sizeof digest;
    err = hmac("SHA512", key, (size_t)klen, parts, 2, mac, &maclen);
    if (err != FB_OK)
        goto out;
    if (maclen != 64) {
        err = FB_ERR_INTERNAL;
        goto out;
    }
    EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
out:
    EVP_MD_CTX_free(md);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(mac, sizeof mac);
    return err;
}
