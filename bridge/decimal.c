/*
 * Exact decimals (see decimal.h).
 *
 * Every operation works on magnitudes held in unsigned 128-bit integers, where
 * wraparound is defined, checks the result against DEC_MAX_MAG and only then
 * converts back to signed. Signed __int128 overflow is undefined behaviour, so
 * no signed arithmetic here is ever allowed to leave the range.
 */
#include "bridge/decimal.h"

#include <string.h>

__extension__ typedef unsigned __int128 fb_u128;

#define DEC_SCALE UINT64_C(1000000000000000000)
/* The range is symmetric, so negation can never overflow: -2^127 units is
 * never produced, and is rejected when parsing. */
#define DEC_MAX_MAG ((((fb_u128)1) << 127) - 1)

static const uint64_t dec_pow10[FB_DEC_PLACES + 1] = {
    UINT64_C(1),
    UINT64_C(10),
    UINT64_C(100),
    UINT64_C(1000),
    UINT64_C(10000),
    UINT64_C(100000),
    UINT64_C(1000000),
    UINT64_C(10000000),
    UINT64_C(100000000),
    UINT64_C(1000000000),
    UINT64_C(10000000000),
    UINT64_C(100000000000),
    UINT64_C(1000000000000),
    UINT64_C(10000000000000),
    UINT64_C(100000000000000),
    UINT64_C(1000000000000000),
    UINT64_C(10000000000000000),
    UINT64_C(100000000000000000),
    UINT64_C(1000000000000000000),
};

/* 256-bit unsigned, little-endian 64-bit limbs: the exact intermediate for
 * products of two 128-bit magnitudes. */
struct dec_u256 {
    uint64_t w[4];
};

static fb_u128 dec_mag(fb_i128 v)
{
    /* Unsigned negation, so -2^127 (which a caller could build by hand) still
     * has a magnitude instead of overflowing. */
    return v < 0 ? (fb_u128)0 - (fb_u128)v : (fb_u128)v;
}

/* mag must be <= DEC_MAX_MAG. */
static struct fb_dec dec_make(fb_u128 mag, int neg)
{
    struct fb_dec d;
    d.units = neg ? -(fb_i128)mag : (fb_i128)mag;
    return d;
}

static int dec_mode_ok(enum fb_round mode)
{
    switch (mode) {
    case FB_ROUND_DOWN:
    case FB_ROUND_UP:
    case FB_ROUND_FLOOR:
    case FB_ROUND_CEIL:
    case FB_ROUND_HALF_EVEN:
        return 1;
    }
    return 0;
}

/*
 * Whether a truncated magnitude quotient q, with remainder rem of divisor div,
 * must step one unit away from zero. neg is the sign of the exact result,
 * which truncation alone cannot tell when q is 0.
 */
static int dec_round_away(fb_u128 q, fb_u128 rem, fb_u128 div, int neg, enum fb_round mode)
{
    if (rem == 0)
        return 0;
    switch (mode) {
    case FB_ROUND_DOWN:
        return 0;
    case FB_ROUND_UP:
        return 1;
    case FB_ROUND_FLOOR:
        return neg;
    case FB_ROUND_CEIL:
        return !neg;
    case FB_ROUND_HALF_EVEN:
        /* rem vs div - rem compares 2*rem with div without overflowing. */
        if (rem != div - rem)
            return rem > div - rem;
        return (int)(q & 1);
    }
    return 0;
}

/* Rounds q per mode, then stores (sign) q * scale, or reports overflow. */
static enum fb_err dec_finish(fb_u128 q, fb_u128 rem, fb_u128 div, int neg, enum fb_round mode,
                              fb_u128 scale, struct fb_dec *out)
{
    fb_u128 limit = DEC_MAX_MAG / scale;
    int away = dec_round_away(q, rem, div, neg, mode);
    /* Checked before the increment: q itself may be as large as 2^128 - 1. */
    if (q > limit || (away && q == limit))
        return FB_ERR_OVERFLOW;
    *out = dec_make((q + (fb_u128)away) * scale, neg);
    return FB_OK;
}

static struct dec_u256 dec_mul_128(fb_u128 a, fb_u128 b)
{
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
    uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
    fb_u128 p00 = (fb_u128)a0 * b0;
    fb_u128 p01 = (fb_u128)a0 * b1;
    fb_u128 p10 = (fb_u128)a1 * b0;
    fb_u128 p11 = (fb_u128)a1 * b1;
    struct dec_u256 r;

    /* Each partial sum is below 3 * 2^64, so none of them can wrap. */
    fb_u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    fb_u128 hi = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + (uint64_t)p11;
    r.w[0] = (uint64_t)p00;
    r.w[1] = (uint64_t)mid;
    r.w[2] = (uint64_t)hi;
    r.w[3] = (uint64_t)((hi >> 64) + (p11 >> 64));
    return r;
}

/* n = n / d, returns n % d. Schoolbook by limbs: rem < d < 2^64 keeps each
 * step's dividend within 128 bits. */
static uint64_t dec_divmod_64(struct dec_u256 *n, uint64_t d)
{
    fb_u128 rem = 0;
    for (int i = 3; i >= 0; i--) {
        fb_u128 cur = (rem << 64) | n->w[i];
        n->w[i] = (uint64_t)(cur / d);
        rem = cur % d;
    }
    return (uint64_t)rem;
}

/* n = n / d, returns n % d, for 0 < d <= 2^127 (any magnitude). Bitwise
 * long division: rem < d <= 2^127, so 2 * rem + 1 still fits in 128 bits. */
static fb_u128 dec_divmod_128(struct dec_u256 *n, fb_u128 d)
{
    if ((d >> 64) == 0)
        return dec_divmod_64(n, (uint64_t)d);

    struct dec_u256 q = {{0, 0, 0, 0}};
    fb_u128 rem = 0;
    int limb = 3;
    while (limb >= 0 && n->w[limb] == 0)
        limb--;
    for (int bit = limb * 64 + 63; bit >= 0; bit--) {
        rem = (rem << 1) | ((n->w[bit / 64] >> (bit % 64)) & 1);
        if (rem >= d) {
            rem -= d;
            q.w[bit / 64] |= UINT64_C(1) << (bit % 64);
        }
    }
    *n = q;
    return rem;
}

/* The low 128 bits of n, or 0 with *fits cleared when n needs more. */
static fb_u128 dec_low_128(const struct dec_u256 *n, int *fits)
{
    *fits = (n->w[2] | n->w[3]) == 0;
    return ((fb_u128)n->w[1] << 64) | n->w[0];
}

enum fb_err fb_dec_parse(const char *s, size_t len, struct fb_dec *out)
{
    if (out == NULL || (s == NULL && len > 0))
        return FB_ERR_INVALID;

    /* Validate the whole text first, so "1x" followed by many digits is a
     * parse error and not an overflow. */
    size_t i = 0;
    int neg = 0;
    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }
    size_t int_start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t int_end = i;
    size_t frac_start = i, frac_end = i;
    if (i < len && s[i] == '.') {
        frac_start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        frac_end = i;
    }
    if (i != len || int_end - int_start + frac_end - frac_start == 0)
        return FB_ERR_PARSE;
    /* More places than we hold would silently lose precision. */
    if (frac_end - frac_start > FB_DEC_PLACES)
        return FB_ERR_PARSE;

    const fb_u128 int_limit = DEC_MAX_MAG / DEC_SCALE;
    fb_u128 ip = 0;
    for (i = int_start; i < int_end; i++) {
        unsigned digit = (unsigned)(s[i] - '0');
        if (ip > (int_limit - digit) / 10)
            return FB_ERR_OVERFLOW;
        ip = ip * 10 + digit;
    }
    uint64_t frac = 0;
    for (i = frac_start; i < frac_end; i++)
        frac = frac * 10 + (unsigned)(s[i] - '0');
    frac *= dec_pow10[FB_DEC_PLACES - (frac_end - frac_start)];

    fb_u128 mag = ip * DEC_SCALE;
    if (mag > DEC_MAX_MAG - frac)
        return FB_ERR_OVERFLOW;
    *out = dec_make(mag + frac, neg);
    return FB_OK;
}

enum fb_err fb_dec_parse_str(const char *s, struct fb_dec *out)
{
    if (s == NULL)
        return FB_ERR_INVALID;
    return fb_dec_parse(s, strlen(s), out);
}

size_t fb_dec_format(struct fb_dec d, char *buf)
{
    fb_u128 mag = dec_mag(d.units);
    fb_u128 ip = mag / DEC_SCALE;
    uint64_t frac = (uint64_t)(mag % DEC_SCALE);
    char rev[40];
    size_t n = 0, k = 0;

    if (d.units < 0)
        buf[n++] = '-';
    do {
        rev[k++] = (char)('0' + (int)(ip % 10));
        ip /= 10;
    } while (ip != 0);
    while (k > 0)
        buf[n++] = rev[--k];
    if (frac != 0) {
        int places = FB_DEC_PLACES;
        while (frac % 10 == 0) {
            frac /= 10;
            places--;
        }
        buf[n++] = '.';
        for (int j = places - 1; j >= 0; j--) {
            buf[n + (size_t)j] = (char)('0' + (int)(frac % 10));
            frac /= 10;
        }
        n += (size_t)places;
    }
    buf[n] = '\0';
    return n;
}

struct fb_dec fb_dec_from_int(int64_t i)
{
    /* |i| * 10^18 < 2^63 * 2^60, well inside the range. */
    struct fb_dec d;
    d.units = (fb_i128)i * (fb_i128)DEC_SCALE;
    return d;
}

int fb_dec_cmp(struct fb_dec a, struct fb_dec b)
{
    return (a.units > b.units) - (a.units < b.units);
}

int fb_dec_is_zero(struct fb_dec a)
{
    return a.units == 0;
}

int fb_dec_sign(struct fb_dec a)
{
    return (a.units > 0) - (a.units < 0);
}

struct fb_dec fb_dec_neg(struct fb_dec a)
{
    /* -2^127 units has no negation; nothing here produces it, and returning
     * it unchanged beats undefined behaviour. */
    if (a.units < -(fb_i128)DEC_MAX_MAG)
        return a;
    a.units = -a.units;
    return a;
}

struct fb_dec fb_dec_min(struct fb_dec a, struct fb_dec b)
{
    return b.units < a.units ? b : a;
}

struct fb_dec fb_dec_max(struct fb_dec a, struct fb_dec b)
{
    return b.units > a.units ? b : a;
}

enum fb_err fb_dec_add(struct fb_dec a, struct fb_dec b, struct fb_dec *out)
{
    fb_i128 r;
    if (out == NULL)
        return FB_ERR_INVALID;
    /* The builtin is defined on overflow; -2^127 is outside our range too. */
    if (__builtin_add_overflow(a.units, b.units, &r) || r < -(fb_i128)DEC_MAX_MAG)
        return FB_ERR_OVERFLOW;
    out->units = r;
    return FB_OK;
}

enum fb_err fb_dec_sub(struct fb_dec a, struct fb_dec b, struct fb_dec *out)
{
    fb_i128 r;
    if (out == NULL)
        return FB_ERR_INVALID;
    if (__builtin_sub_overflow(a.units, b.units, &r) || r < -(fb_i128)DEC_MAX_MAG)
        return FB_ERR_OVERFLOW;
    out->units = r;
    return FB_OK;
}

enum fb_err fb_dec_mul(struct fb_dec a, struct fb_dec b, enum fb_round mode, struct fb_dec *out)
{
    if (out == NULL || !dec_mode_ok(mode))
        return FB_ERR_INVALID;
    int neg = (a.units < 0) != (b.units < 0);
    struct dec_u256 p = dec_mul_128(dec_mag(a.units), dec_mag(b.units));
    uint64_t rem = dec_divmod_64(&p, DEC_SCALE);
    int fits;
    fb_u128 q = dec_low_128(&p, &fits);
    if (!fits)
        return FB_ERR_OVERFLOW;
    return dec_finish(q, rem, DEC_SCALE, neg, mode, 1, out);
}

enum fb_err fb_dec_div(struct fb_dec a, struct fb_dec b, int places, enum fb_round mode,
                       struct fb_dec *out)
{
    if (out == NULL || !dec_mode_ok(mode) || places < 0 || places > FB_DEC_PLACES || b.units == 0)
        return FB_ERR_INVALID;
    int neg = (a.units < 0) != (b.units < 0);
    fb_u128 d = dec_mag(b.units);
    /* a/b at `places` digits is (a_units * 10^places) / b_units counted in
     * 10^-places steps; the numerator needs up to 187 bits. */
    struct dec_u256 n = dec_mul_128(dec_mag(a.units), dec_pow10[places]);
    fb_u128 rem = dec_divmod_128(&n, d);
    int fits;
    fb_u128 q = dec_low_128(&n, &fits);
    if (!fits)
        return FB_ERR_OVERFLOW;
    return dec_finish(q, rem, d, neg, mode, dec_pow10[FB_DEC_PLACES - places], out);
}

enum fb_err fb_dec_round_to(struct fb_dec a, struct fb_dec increment, enum fb_round mode,
                            struct fb_dec *out)
{
    if (out == NULL || !dec_mode_ok(mode) || increment.units <= 0)
        return FB_ERR_INVALID;
    fb_u128 mag = dec_mag(a.units);
    fb_u128 inc = (fb_u128)increment.units;
    return dec_finish(mag / inc, mag % inc, inc, a.units < 0, mode, inc, out);
}

enum fb_err fb_dec_round_places(struct fb_dec a, int places, enum fb_round mode, struct fb_dec *out)
{
    if (places < 0 || places > FB_DEC_PLACES)
        return FB_ERR_INVALID;
    struct fb_dec inc;
    inc.units = (fb_i128)dec_pow10[FB_DEC_PLACES - places];
    return fb_dec_round_to(a, inc, mode, out);
}

int fb_dec_is_multiple(struct fb_dec a, struct fb_dec increment)
{
    if (increment.units <= 0)
        return 0;
    return dec_mag(a.units) % (fb_u128)increment.units == 0;
}

int fb_dec_places(struct fb_dec a)
{
    uint64_t frac = (uint64_t)(dec_mag(a.units) % DEC_SCALE);
    int places = FB_DEC_PLACES;
    if (frac == 0)
        return 0;
    while (frac % 10 == 0) {
        frac /= 10;
        places--;
    }
    return places;
}
