/*
 * Exact decimals for prices and quantities.
 *
 * A value is a signed 128-bit integer count of 10^-18 units: 18 fractional
 * digits and up to 21 integer digits, so every FIX decimal a crypto order
 * carries round-trips exactly. No binary float is ever used.
 *
 * The range is symmetric, |value| <= 170141183460469231731.687303715884105727
 * ((2^127 - 1) units), so negation never overflows; -2^127 units is never
 * produced (a hand-built one is accepted as input, never returned). Every operation
 * that could leave the range reports FB_ERR_OVERFLOW instead of wrapping.
 * Fallible functions write *out only on FB_OK; a NULL out, an unknown rounding
 * mode or places outside 0..18 is FB_ERR_INVALID. All functions are pure and
 * thread safe.
 */
#ifndef FB_DECIMAL_H
#define FB_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

__extension__ typedef __int128 fb_i128;

#define FB_DEC_PLACES 18
/* Longest text fb_dec_format() writes, NUL included. */
#define FB_DEC_STRMAX 48

struct fb_dec {
    fb_i128 units; /* value * 10^18 */
};

enum fb_round {
    FB_ROUND_DOWN = 0,     /* toward zero */
    FB_ROUND_UP = 1,       /* away from zero */
    FB_ROUND_FLOOR = 2,    /* toward -inf */
    FB_ROUND_CEIL = 3,     /* toward +inf */
    FB_ROUND_HALF_EVEN = 4 /* to nearest, ties to even */
};

/*
 * Parses a FIX decimal: optional '-', digits, optional '.' and digits (at
 * least one digit in all). No '+', exponent, spaces or more than 18
 * fractional digits (FB_ERR_PARSE; FB_ERR_OVERFLOW when out of range).
 * Syntax is checked before range. Like QuickFIX, ".5" and "5." are accepted;
 * leading zeros are fine and "-0" is zero. A 19th fractional digit is a parse
 * error even when it is 0, so precision is never lost silently.
 * len is the number of bytes of s to read (s need not be NUL-terminated).
 */
enum fb_err fb_dec_parse(const char *s, size_t len, struct fb_dec *out) FB_WARN_UNUSED;
/* Same, for a NUL-terminated string. */
enum fb_err fb_dec_parse_str(const char *s, struct fb_dec *out) FB_WARN_UNUSED;

/* Writes the shortest exact text ("0.1", "-2", "65000.5") to buf and returns
 * its length; buf must hold FB_DEC_STRMAX bytes. */
size_t fb_dec_format(struct fb_dec d, char *buf);

struct fb_dec fb_dec_from_int(int64_t i);
static inline struct fb_dec fb_dec_zero(void)
{
    struct fb_dec z = {0};
    return z;
}
int fb_dec_cmp(struct fb_dec a, struct fb_dec b); /* -1, 0, 1 */
int fb_dec_is_zero(struct fb_dec a);
int fb_dec_sign(struct fb_dec a); /* -1, 0, 1 */
/* -a; the out-of-range -2^127 units comes back unchanged rather than UB. */
struct fb_dec fb_dec_neg(struct fb_dec a);
struct fb_dec fb_dec_min(struct fb_dec a, struct fb_dec b);
struct fb_dec fb_dec_max(struct fb_dec a, struct fb_dec b);

enum fb_err fb_dec_add(struct fb_dec a, struct fb_dec b, struct fb_dec *out) FB_WARN_UNUSED;
enum fb_err fb_dec_sub(struct fb_dec a, struct fb_dec b, struct fb_dec *out) FB_WARN_UNUSED;
/* Exact product, rounded to 18 places with mode (only needed when the
 * product has more than 18 fractional digits). */
enum fb_err fb_dec_mul(struct fb_dec a, struct fb_dec b, enum fb_round mode,
                       struct fb_dec *out) FB_WARN_UNUSED;
/* a / b rounded to `places` fractional digits (0..18) with mode.
 * FB_ERR_INVALID on division by zero. */
enum fb_err fb_dec_div(struct fb_dec a, struct fb_dec b, int places, enum fb_round mode,
                       struct fb_dec *out) FB_WARN_UNUSED;
/* Rounds a to a multiple of increment, e.g. a tick or step size (modes are
 * relative to a's sign, as everywhere). FB_ERR_INVALID unless increment > 0;
 * FB_ERR_OVERFLOW if rounding away from zero would leave the range. */
enum fb_err fb_dec_round_to(struct fb_dec a, struct fb_dec increment, enum fb_round mode,
                            struct fb_dec *out) FB_WARN_UNUSED;
/* Rounds to `places` fractional digits (0..18). */
enum fb_err fb_dec_round_places(struct fb_dec a, int places, enum fb_round mode,
                                struct fb_dec *out) FB_WARN_UNUSED;
/* 1 if a is an exact multiple of increment; 0 when increment <= 0. */
int fb_dec_is_multiple(struct fb_dec a, struct fb_dec increment);
/* Number of fractional digits the shortest text of a has (0..18). */
int fb_dec_places(struct fb_dec a);

#ifdef __cplusplus
}
#endif
#endif
