#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/decimal.h"

__extension__ typedef unsigned __int128 u128;

/* The largest magnitude, 2^127 - 1 units, as text. */
/* Check records every ck_assert (a pipe write when forking), so hot loops
 * test first and only call into Check on failure. */
#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        enum fb_err check_err_ = (expr);                                                           \
        if (check_err_ != FB_OK)                                                                   \
            ck_abort_msg("%s: %s", #expr, fb_strerror(check_err_));                                \
    } while (0)

#define MAX "170141183460469231731.687303715884105727"
#define MAXM "-170141183460469231731.687303715884105727"
#define EPS "0.000000000000000001"

static struct fb_dec dec(const char *s)
{
    struct fb_dec d;
    enum fb_err err = fb_dec_parse_str(s, &d);
    ck_assert_msg(err == FB_OK, "fixture \"%s\" did not parse: %s", s, fb_strerror(err));
    return d;
}

static const char *fmt(struct fb_dec d, char buf[FB_DEC_STRMAX])
{
    size_t n = fb_dec_format(d, buf);
    ck_assert_uint_eq(n, strlen(buf));
    ck_assert_uint_lt(n, FB_DEC_STRMAX);
    return buf;
}

/* ---- parse and format ---- */

struct parse_row {
    const char *in;
    enum fb_err err;
    const char *want; /* canonical text when err is FB_OK */
};

static const struct parse_row parse_rows[] = {
    {"0", FB_OK, "0"},
    {"-0", FB_OK, "0"},
    {"0.0", FB_OK, "0"},
    {"-0.000", FB_OK, "0"},
    {"1", FB_OK, "1"},
    {"-1", FB_OK, "-1"},
    {"1.50", FB_OK, "1.5"},
    {"007.250", FB_OK, "7.25"},
    {".5", FB_OK, "0.5"},
    {"5.", FB_OK, "5"},
    {"-.5", FB_OK, "-0.5"},
    {"-5.", FB_OK, "-5"},
    {"0.1", FB_OK, "0.1"},
    {"65000.5", FB_OK, "65000.5"},
    {"1.000000000000000000", FB_OK, "1"},
    {EPS, FB_OK, EPS},
    /* 17 and 18 significant digits: a double keeps only 15-17. */
    {"12345678.901234567", FB_OK, "12345678.901234567"},
    {"0.12345678901234567", FB_OK, "0.12345678901234567"},
    {"123456789.123456789", FB_OK, "123456789.123456789"},
    {"1234567890.12345678", FB_OK, "1234567890.12345678"},
    {"99999999999999999.9", FB_OK, "99999999999999999.9"},
    {"0.30000000000000004", FB_OK, "0.30000000000000004"},
    {"12345678901234567890.123456789012345678", FB_OK, "12345678901234567890.123456789012345678"},
    {"", FB_ERR_PARSE, NULL},
    {"-", FB_ERR_PARSE, NULL},
    {".", FB_ERR_PARSE, NULL},
    {"-.", FB_ERR_PARSE, NULL},
    {"1e5", FB_ERR_PARSE, NULL},
    {"1E5", FB_ERR_PARSE, NULL},
    {"+1", FB_ERR_PARSE, NULL},
    {" 1", FB_ERR_PARSE, NULL},
    {"1 ", FB_ERR_PARSE, NULL},
    {"1.2.3", FB_ERR_PARSE, NULL},
    {"--1", FB_ERR_PARSE, NULL},
    {"1-", FB_ERR_PARSE, NULL},
    {"1,5", FB_ERR_PARSE, NULL},
    {"0x10", FB_ERR_PARSE, NULL},
    {"nan", FB_ERR_PARSE, NULL},
    {"inf", FB_ERR_PARSE, NULL},
    /* 19 fractional digits: refusing beats silently rounding. */
    {"1.0000000000000000001", FB_ERR_PARSE, NULL},
    {"0.0000000000000000000", FB_ERR_PARSE, NULL},
};

START_TEST(parse_table)
{
    const struct parse_row *r = &parse_rows[_i];
    struct fb_dec d = fb_dec_zero();
    char buf[FB_DEC_STRMAX];
    enum fb_err err = fb_dec_parse_str(r->in, &d);
    ck_assert_msg(err == r->err, "row %d \"%s\": got %s, want %s", _i, r->in, fb_strerror(err),
                  fb_strerror(r->err));
    if (r->err == FB_OK)
        ck_assert_str_eq(fmt(d, buf), r->want);
}
END_TEST

START_TEST(parse_reads_only_len_bytes)
{
    struct fb_dec d;
    char buf[FB_DEC_STRMAX];
    /* A FIX field is not NUL-terminated: it ends at SOH. */
    ck_assert_int_eq(fb_dec_parse("1.25\x01"
                                  "44=9",
                                  4, &d),
                     FB_OK);
    ck_assert_str_eq(fmt(d, buf), "1.25");
    ck_assert_int_eq(fb_dec_parse("1.25\x01", 5, &d), FB_ERR_PARSE);
    ck_assert_int_eq(fb_dec_parse("12\0"
                                  "3",
                                  4, &d),
                     FB_ERR_PARSE);
    ck_assert_int_eq(fb_dec_parse(NULL, 0, &d), FB_ERR_PARSE);
    ck_assert_int_eq(fb_dec_parse(NULL, 1, &d), FB_ERR_INVALID);
    ck_assert_int_eq(fb_dec_parse_str(NULL, &d), FB_ERR_INVALID);
    ck_assert_int_eq(fb_dec_parse_str("1", NULL), FB_ERR_INVALID);
}
END_TEST

/* ---- arithmetic ---- */

enum op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_ROUND_TO, OP_ROUND_PLACES };

struct arith_row {
    enum op op;
    const char *a;
    const char *b; /* unused by OP_ROUND_PLACES */
    enum fb_round mode;
    int places;
    enum fb_err err;
    const char *want;
};

#define ADD(a, b, want)                                                                            \
    {                                                                                              \
        OP_ADD, a, b, FB_ROUND_DOWN, 0, FB_OK, want                                                \
    }
#define SUB(a, b, want)                                                                            \
    {                                                                                              \
        OP_SUB, a, b, FB_ROUND_DOWN, 0, FB_OK, want                                                \
    }
#define MUL(a, b, m, want)                                                                         \
    {                                                                                              \
        OP_MUL, a, b, FB_ROUND_##m, 0, FB_OK, want                                                 \
    }
#define DIV(a, b, p, m, want)                                                                      \
    {                                                                                              \
        OP_DIV, a, b, FB_ROUND_##m, p, FB_OK, want                                                 \
    }
#define RTO(a, inc, m, want)                                                                       \
    {                                                                                              \
        OP_ROUND_TO, a, inc, FB_ROUND_##m, 0, FB_OK, want                                          \
    }
#define RPL(a, p, m, want)                                                                         \
    {                                                                                              \
        OP_ROUND_PLACES, a, NULL, FB_ROUND_##m, p, FB_OK, want                                     \
    }
#define FAIL(o, a, b, m, p, err)                                                                   \
    {                                                                                              \
        o, a, b, FB_ROUND_##m, p, err, NULL                                                        \
    }

static const char *const op_names[] = {"add", "sub", "mul", "div", "round_to", "round_places"};

static const struct arith_row arith_rows[] = {
    ADD("0.1", "0.2", "0.3"),
    ADD("1", "-1", "0"),
    ADD("-0.5", "0.25", "-0.25"),
    ADD("65000.5", EPS, "65000.500000000000000001"),
    SUB("0.3", "0.1", "0.2"),
    SUB("1", "1.000000000000000001", "-0.000000000000000001"),
    SUB("0", "5", "-5"),
    SUB("-0.1", "-0.1", "0"),

    MUL("123456789.12345678", "1", DOWN, "123456789.12345678"),
    MUL("123456789.12345678", "0.5", DOWN, "61728394.56172839"),
    MUL("-123456789.12345678", "0.5", HALF_EVEN, "-61728394.56172839"),
    MUL("65000.5", "0.00123", DOWN, "79.950615"),
    MUL("1.5", "1.5", DOWN, "2.25"),
    MUL("-2", "-3", DOWN, "6"),
    MUL("0", "-3", UP, "0"),
    MUL("0.000000001", "0.000000001", DOWN, EPS),
    /* 1e-20 is below one unit: only the mode decides. */
    MUL("0.0000000001", "0.0000000001", DOWN, "0"),
    MUL("0.0000000001", "0.0000000001", UP, EPS),
    MUL("0.0000000001", "0.0000000001", FLOOR, "0"),
    MUL("0.0000000001", "0.0000000001", CEIL, EPS),
    MUL("0.0000000001", "0.0000000001", HALF_EVEN, "0"),
    MUL("-0.0000000001", "0.0000000001", DOWN, "0"),
    MUL("-0.0000000001", "0.0000000001", UP, "-" EPS),
    MUL("-0.0000000001", "0.0000000001", FLOOR, "-" EPS),
    MUL("-0.0000000001", "0.0000000001", CEIL, "0"),
    MUL("-0.0000000001", "0.0000000001", HALF_EVEN, "0"),
    /* Ties and near-ties in the 19th digit. */
    MUL(EPS, "0.5", HALF_EVEN, "0"),
    MUL(EPS, "0.5", UP, EPS),
    MUL(EPS, "0.6", HALF_EVEN, EPS),
    MUL(EPS, "0.4", HALF_EVEN, "0"),
    MUL(EPS, "0.4", CEIL, EPS),
    MUL("0.000000000000000003", "0.5", HALF_EVEN, "0.000000000000000002"),
    MUL("0.000000000000000005", "0.5", HALF_EVEN, "0.000000000000000002"),
    MUL("-0.000000000000000003", "0.5", HALF_EVEN, "-0.000000000000000002"),
    MUL("-0.000000000000000003", "0.5", FLOOR, "-0.000000000000000002"),
    MUL("-0.000000000000000003", "0.5", CEIL, "-0.000000000000000001"),

    DIV("1", "3", 8, DOWN, "0.33333333"),
    DIV("1", "3", 8, UP, "0.33333334"),
    DIV("1", "3", 8, FLOOR, "0.33333333"),
    DIV("1", "3", 8, CEIL, "0.33333334"),
    DIV("1", "3", 8, HALF_EVEN, "0.33333333"),
    DIV("-1", "3", 8, DOWN, "-0.33333333"),
    DIV("-1", "3", 8, UP, "-0.33333334"),
    DIV("-1", "3", 8, FLOOR, "-0.33333334"),
    DIV("-1", "3", 8, CEIL, "-0.33333333"),
    DIV("-1", "3", 8, HALF_EVEN, "-0.33333333"),
    DIV("1", "-3", 8, FLOOR, "-0.33333334"),
    DIV("-1", "-3", 8, FLOOR, "0.33333333"),
    DIV("2", "3", 8, HALF_EVEN, "0.66666667"),
    DIV("2", "3", 8, DOWN, "0.66666666"),
    DIV("1", "3", 18, DOWN, "0.333333333333333333"),
    DIV("1", "3", 18, UP, "0.333333333333333334"),
    DIV("1", "3", 0, HALF_EVEN, "0"),
    DIV("1", "3", 0, UP, "1"),
    DIV("1", "8", 2, HALF_EVEN, "0.12"),
    DIV("3", "8", 2, HALF_EVEN, "0.38"),
    DIV("1", "8", 3, UP, "0.125"),
    DIV("10", "4", 0, HALF_EVEN, "2"),
    DIV("14", "4", 0, HALF_EVEN, "4"),
    DIV("0", "7", 8, UP, "0"),
    DIV("79.950615", "0.00123", 8, DOWN, "65000.5"),
    DIV("1", EPS, 0, DOWN, "1000000000000000000"),
    FAIL(OP_DIV, "1", "0", DOWN, 8, FB_ERR_INVALID),
    FAIL(OP_DIV, "0", "0", DOWN, 8, FB_ERR_INVALID),
    FAIL(OP_DIV, "1", "3", DOWN, 19, FB_ERR_INVALID),
    FAIL(OP_DIV, "1", "3", DOWN, -1, FB_ERR_INVALID),

    /* Price ticks: 0.01. */
    RTO("1.005", "0.01", DOWN, "1"),
    RTO("1.005", "0.01", UP, "1.01"),
    RTO("1.005", "0.01", FLOOR, "1"),
    RTO("1.005", "0.01", CEIL, "1.01"),
    RTO("1.005", "0.01", HALF_EVEN, "1"),
    RTO("1.015", "0.01", HALF_EVEN, "1.02"),
    RTO("1.015", "0.01", DOWN, "1.01"),
    RTO("1.0149", "0.01", HALF_EVEN, "1.01"),
    RTO("1.0151", "0.01", HALF_EVEN, "1.02"),
    RTO("-1.005", "0.01", DOWN, "-1"),
    RTO("-1.005", "0.01", UP, "-1.01"),
    RTO("-1.005", "0.01", FLOOR, "-1.01"),
    RTO("-1.005", "0.01", CEIL, "-1"),
    RTO("-1.005", "0.01", HALF_EVEN, "-1"),
    RTO("-1.015", "0.01", HALF_EVEN, "-1.02"),
    RTO("1.01", "0.01", UP, "1.01"),
    RTO("0.004", "0.01", CEIL, "0.01"),
    RTO("0.004", "0.01", FLOOR, "0"),
    RTO("-0.004", "0.01", FLOOR, "-0.01"),
    RTO("-0.004", "0.01", CEIL, "0"),
    /* Quantity steps: 0.00001. */
    RTO("0.123456", "0.00001", DOWN, "0.12345"),
    RTO("0.123456", "0.00001", UP, "0.12346"),
    RTO("0.123456", "0.00001", FLOOR, "0.12345"),
    RTO("0.123456", "0.00001", CEIL, "0.12346"),
    RTO("0.123456", "0.00001", HALF_EVEN, "0.12346"),
    RTO("0.123455", "0.00001", HALF_EVEN, "0.12346"),
    RTO("0.123465", "0.00001", HALF_EVEN, "0.12346"),
    RTO("-0.123456", "0.00001", DOWN, "-0.12345"),
    RTO("-0.123456", "0.00001", UP, "-0.12346"),
    RTO("-0.123456", "0.00001", FLOOR, "-0.12346"),
    RTO("-0.123456", "0.00001", CEIL, "-0.12345"),
    RTO("-0.123456", "0.00001", HALF_EVEN, "-0.12346"),
    RTO("-0.123455", "0.00001", HALF_EVEN, "-0.12346"),
    /* Increments that are not powers of ten. */
    RTO("12", "5", HALF_EVEN, "10"),
    RTO("12.5", "5", HALF_EVEN, "10"),
    RTO("17.5", "5", HALF_EVEN, "20"),
    RTO("11", "5", UP, "15"),
    RTO("1.3", "0.25", HALF_EVEN, "1.25"),
    FAIL(OP_ROUND_TO, "1", "0", DOWN, 0, FB_ERR_INVALID),
    FAIL(OP_ROUND_TO, "1", "-0.01", DOWN, 0, FB_ERR_INVALID),

    RPL("1.23456789", 4, DOWN, "1.2345"),
    RPL("1.23456789", 4, UP, "1.2346"),
    RPL("1.23456789", 4, HALF_EVEN, "1.2346"),
    RPL("-1.23456789", 4, FLOOR, "-1.2346"),
    RPL("-1.23456789", 4, CEIL, "-1.2345"),
    RPL("2.5", 0, HALF_EVEN, "2"),
    RPL("3.5", 0, HALF_EVEN, "4"),
    RPL("-2.5", 0, HALF_EVEN, "-2"),
    RPL("0.5", 0, UP, "1"),
    RPL(EPS, 18, UP, EPS),
    RPL(EPS, 17, DOWN, "0"),
    FAIL(OP_ROUND_PLACES, "1", NULL, DOWN, 19, FB_ERR_INVALID),
    FAIL(OP_ROUND_PLACES, "1", NULL, DOWN, -1, FB_ERR_INVALID),
};

static const struct arith_row limit_rows[] = {
    ADD(MAX, "0", MAX),
    ADD(MAX, "-" EPS, "170141183460469231731.687303715884105726"),
    ADD(MAXM, MAX, "0"),
    FAIL(OP_ADD, MAX, EPS, DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_ADD, MAXM, "-" EPS, DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_ADD, MAX, MAX, DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_ADD, MAXM, MAXM, DOWN, 0, FB_ERR_OVERFLOW),
    SUB("0", MAX, MAXM),
    SUB(MAX, MAX, "0"),
    SUB(MAXM, MAXM, "0"),
    FAIL(OP_SUB, MAXM, EPS, DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_SUB, MAX, "-" EPS, DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_SUB, MAXM, MAX, DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_SUB, MAX, MAXM, DOWN, 0, FB_ERR_OVERFLOW),

    MUL(MAX, "1", DOWN, MAX),
    MUL(MAX, "-1", DOWN, MAXM),
    MUL(MAXM, "-1", DOWN, MAX),
    MUL(MAX, "0.5", DOWN, "85070591730234615865.843651857942052863"),
    MUL(MAX, "0.5", HALF_EVEN, "85070591730234615865.843651857942052864"),
    MUL(MAX, EPS, DOWN, "170.141183460469231731"),
    MUL(MAX, EPS, HALF_EVEN, "170.141183460469231732"),
    MUL(MAXM, EPS, FLOOR, "-170.141183460469231732"),
    MUL(MAXM, EPS, CEIL, "-170.141183460469231731"),
    MUL("100000000000", "1000000000", DOWN, "100000000000000000000"),
    MUL(MAX, "0", UP, "0"),
    FAIL(OP_MUL, MAX, "1.000000000000000001", DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_MUL, MAXM, "1.000000000000000001", DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_MUL, "200000000000", "1000000000", DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_MUL, MAX, MAX, DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_MUL, MAXM, MAX, DOWN, 0, FB_ERR_OVERFLOW),

    DIV(MAX, "1", 18, DOWN, MAX),
    DIV(MAX, "-1", 18, DOWN, MAXM),
    DIV(MAX, MAX, 18, DOWN, "1"),
    DIV(MAXM, MAXM, 0, DOWN, "1"),
    DIV(MAX, "2", 18, HALF_EVEN, "85070591730234615865.843651857942052864"),
    DIV(EPS, MAX, 18, UP, EPS),
    DIV(EPS, MAX, 18, HALF_EVEN, "0"),
    DIV("-" EPS, MAX, 18, FLOOR, "-" EPS),
    DIV("100000000000000000000", "3", 18, DOWN, "33333333333333333333.333333333333333333"),
    DIV("100000000000000000000", "3", 18, UP, "33333333333333333333.333333333333333334"),
    FAIL(OP_DIV, MAX, "0.5", DOWN, 18, FB_ERR_OVERFLOW),
    FAIL(OP_DIV, MAX, EPS, DOWN, 0, FB_ERR_OVERFLOW),
    FAIL(OP_DIV, MAX, EPS, DOWN, 18, FB_ERR_OVERFLOW),
    FAIL(OP_DIV, "1000", EPS, DOWN, 0, FB_ERR_OVERFLOW),

    RTO(MAX, EPS, UP, MAX),
    RTO(MAX, MAX, UP, MAX),
    RTO(EPS, MAX, UP, MAX),
    RTO(EPS, MAX, HALF_EVEN, "0"),
    RTO("-" EPS, MAX, FLOOR, MAXM),
    RPL(MAX, 17, DOWN, "170141183460469231731.68730371588410572"),
    RPL(MAX, 0, DOWN, "170141183460469231731"),
    RPL(MAXM, 0, CEIL, "-170141183460469231731"),
    /* Rounding away from zero at the edge must not step outside. */
    FAIL(OP_ROUND_PLACES, MAX, NULL, UP, 17, FB_ERR_OVERFLOW),
    FAIL(OP_ROUND_PLACES, MAX, NULL, HALF_EVEN, 17, FB_ERR_OVERFLOW),
    FAIL(OP_ROUND_PLACES, MAX, NULL, CEIL, 0, FB_ERR_OVERFLOW),
    FAIL(OP_ROUND_PLACES, MAXM, NULL, FLOOR, 0, FB_ERR_OVERFLOW),
    FAIL(OP_ROUND_TO, MAX, "100", UP, 0, FB_ERR_OVERFLOW),
    FAIL(OP_ROUND_TO, MAXM, "0.01", UP, 0, FB_ERR_OVERFLOW),
};

static void run_arith(const struct arith_row *r, int i)
{
    struct fb_dec a = dec(r->a), b = fb_dec_zero(), out = dec("-7.77");
    enum fb_err err = FB_ERR_INTERNAL;
    char buf[FB_DEC_STRMAX];

    if (r->b != NULL)
        b = dec(r->b);
    switch (r->op) {
    case OP_ADD:
        err = fb_dec_add(a, b, &out);
        break;
    case OP_SUB:
        err = fb_dec_sub(a, b, &out);
        break;
    case OP_MUL:
        err = fb_dec_mul(a, b, r->mode, &out);
        break;
    case OP_DIV:
        err = fb_dec_div(a, b, r->places, r->mode, &out);
        break;
    case OP_ROUND_TO:
        err = fb_dec_round_to(a, b, r->mode, &out);
        break;
    case OP_ROUND_PLACES:
        err = fb_dec_round_places(a, r->places, r->mode, &out);
        break;
    }
    ck_assert_msg(err == r->err, "row %d: %s(%s, %s, mode %d, places %d): got %s, want %s", i,
                  op_names[r->op], r->a, r->b ? r->b : "-", (int)r->mode, r->places,
                  fb_strerror(err), fb_strerror(r->err));
    if (r->err == FB_OK)
        ck_assert_msg(strcmp(fmt(out, buf), r->want) == 0,
                      "row %d: %s(%s, %s, mode %d, places %d) = %s, want %s", i, op_names[r->op],
                      r->a, r->b ? r->b : "-", (int)r->mode, r->places, buf, r->want);
    else
        ck_assert_str_eq(fmt(out, buf), "-7.77"); /* *out untouched on error */
}

START_TEST(arith_table)
{
    run_arith(&arith_rows[_i], _i);
}
END_TEST

START_TEST(limit_table)
{
    run_arith(&limit_rows[_i], _i);
}
END_TEST

/* ---- comparisons and queries ---- */

struct cmp_row {
    const char *a, *b;
    int cmp;
};

static const struct cmp_row cmp_rows[] = {
    {"0", "-0", 0},
    {"0.1", "0.10", 0},
    {"0.3", "0.30000000000000004", -1},
    {"-1", "1", -1},
    {"2", "1.999999999999999999", 1},
    {"-" EPS, "0", -1},
    {MAX, MAXM, 1},
};

START_TEST(cmp_table)
{
    const struct cmp_row *r = &cmp_rows[_i];
    struct fb_dec a = dec(r->a), b = dec(r->b);
    ck_assert_int_eq(fb_dec_cmp(a, b), r->cmp);
    ck_assert_int_eq(fb_dec_cmp(b, a), -r->cmp);
    ck_assert_int_eq(fb_dec_cmp(fb_dec_min(a, b), fb_dec_max(a, b)), r->cmp == 0 ? 0 : -1);
    ck_assert_int_eq(fb_dec_sign(a), fb_dec_cmp(a, fb_dec_zero()));
    ck_assert_int_eq(fb_dec_is_zero(a), fb_dec_sign(a) == 0);
}
END_TEST

struct places_row {
    const char *a;
    int places;
};

static const struct places_row places_rows[] = {
    {"0", 0},
    {"-0.000", 0},
    {"5", 0},
    {"100", 0},
    {"0.1", 1},
    {"-0.25", 2},
    {"1.10", 1},
    {EPS, 18},
    {MAX, 18},
    {"65000.50000", 1},
    {"123456789.12345678", 8},
};

START_TEST(places_table)
{
    const struct places_row *r = &places_rows[_i];
    ck_assert_msg(fb_dec_places(dec(r->a)) == r->places, "places(%s) = %d, want %d", r->a,
                  fb_dec_places(dec(r->a)), r->places);
}
END_TEST

struct multiple_row {
    const char *a, *inc;
    int yes;
};

static const struct multiple_row multiple_rows[] = {
    {"1.23", "0.01", 1},
    {"1.235", "0.01", 0},
    {"-1.23", "0.01", 1},
    {"0", "0.01", 1},
    {"0.3", "0.1", 1},
    {"0.12345", "0.00001", 1},
    {"0.123451", "0.00001", 0},
    {"15", "5", 1},
    {"12.5", "2.5", 1},
    {"12.6", "2.5", 0},
    {MAX, EPS, 1},
    {"1", "0", 0},
    {"1", "-1", 0},
};

START_TEST(multiple_table)
{
    const struct multiple_row *r = &multiple_rows[_i];
    ck_assert_msg(fb_dec_is_multiple(dec(r->a), dec(r->inc)) == r->yes, "is_multiple(%s, %s) != %d",
                  r->a, r->inc, r->yes);
}
END_TEST

/* ---- things a double gets wrong ---- */

START_TEST(point_one_plus_point_two)
{
    struct fb_dec s;
    ck_assert_int_eq(fb_dec_add(dec("0.1"), dec("0.2"), &s), FB_OK);
    ck_assert_int_eq(fb_dec_cmp(s, dec("0.3")), 0);

    struct fb_dec acc = fb_dec_zero();
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(fb_dec_add(acc, dec("0.1"), &acc), FB_OK);
    ck_assert_int_eq(fb_dec_cmp(acc, fb_dec_from_int(1)), 0);
}
END_TEST

START_TEST(satoshi_steps_sum_exactly)
{
    struct fb_dec step = dec("0.00000001"), acc = fb_dec_zero();
    char buf[FB_DEC_STRMAX];
    for (int i = 0; i < 1000000; i++)
        CHECK_OK(fb_dec_add(acc, step, &acc));
    ck_assert_str_eq(fmt(acc, buf), "0.01");
    for (int i = 0; i < 1000000; i++)
        CHECK_OK(fb_dec_sub(acc, step, &acc));
    ck_assert(fb_dec_is_zero(acc));
}
END_TEST

START_TEST(from_int_and_neg)
{
    char buf[FB_DEC_STRMAX];
    ck_assert_str_eq(fmt(fb_dec_from_int(0), buf), "0");
    ck_assert_str_eq(fmt(fb_dec_from_int(-42), buf), "-42");
    ck_assert_str_eq(fmt(fb_dec_from_int(INT64_MAX), buf), "9223372036854775807");
    ck_assert_str_eq(fmt(fb_dec_from_int(INT64_MIN), buf), "-9223372036854775808");
    ck_assert_str_eq(fmt(fb_dec_neg(dec("1.5")), buf), "-1.5");
    ck_assert_str_eq(fmt(fb_dec_neg(dec(MAX)), buf), MAXM);
    ck_assert_str_eq(fmt(fb_dec_neg(fb_dec_zero()), buf), "0");
}
END_TEST

/* ---- limits ---- */

static const struct parse_row parse_limit_rows[] = {
    {MAX, FB_OK, MAX},
    {MAXM, FB_OK, MAXM},
    {"170141183460469231731", FB_OK, "170141183460469231731"},
    /* 21 integer digits fit up to 1.7e20; beyond is a range error, not syntax. */
    {"100000000000000000000", FB_OK, "100000000000000000000"},
    {"0000000000000000000000000000000000000000001.5", FB_OK, "1.5"},
    {"-00000000000000000000000000000000000000000.000000000000000001", FB_OK, "-" EPS},
    {"170141183460469231731.687303715884105728", FB_ERR_OVERFLOW, NULL},
    {"-170141183460469231731.687303715884105728", FB_ERR_OVERFLOW, NULL},
    {"170141183460469231732", FB_ERR_OVERFLOW, NULL},
    {"999999999999999999999", FB_ERR_OVERFLOW, NULL},
    {"-999999999999999999999", FB_ERR_OVERFLOW, NULL},
    {"1000000000000000000000", FB_ERR_OVERFLOW, NULL},
    {"99999999999999999999999999999999999999999999999999", FB_ERR_OVERFLOW, NULL},
    /* Syntax is checked before range. */
    {"99999999999999999999999999999999999999999999999999x", FB_ERR_PARSE, NULL},
    {"999999999999999999999.0000000000000000001", FB_ERR_PARSE, NULL},
};

START_TEST(parse_limit_table)
{
    const struct parse_row *r = &parse_limit_rows[_i];
    struct fb_dec d = fb_dec_zero();
    char buf[FB_DEC_STRMAX];
    enum fb_err err = fb_dec_parse_str(r->in, &d);
    ck_assert_msg(err == r->err, "row %d \"%s\": got %s, want %s", _i, r->in, fb_strerror(err),
                  fb_strerror(r->err));
    if (r->err == FB_OK)
        ck_assert_str_eq(fmt(d, buf), r->want);
}
END_TEST

/* -2^127 units is outside the documented range, but a caller can build it by
 * hand; nothing may hit undefined behaviour on it. */
START_TEST(int128_min_is_contained)
{
    struct fb_dec lo, out;
    char buf[FB_DEC_STRMAX];
    lo.units = -(fb_i128)((((u128)1) << 127) - 1) - 1;
    ck_assert_str_eq(fmt(lo, buf), "-170141183460469231731.687303715884105728");
    ck_assert_int_eq(fb_dec_places(lo), 18);
    ck_assert_int_eq(fb_dec_cmp(fb_dec_neg(lo), lo), 0);
    ck_assert_int_eq(fb_dec_add(lo, fb_dec_zero(), &out), FB_ERR_OVERFLOW);
    ck_assert_int_eq(fb_dec_sub(lo, dec(EPS), &out), FB_ERR_OVERFLOW);
    ck_assert_int_eq(fb_dec_add(lo, dec(EPS), &out), FB_OK);
    ck_assert_str_eq(fmt(out, buf), MAXM);
    ck_assert_int_eq(fb_dec_mul(lo, dec("1"), FB_ROUND_DOWN, &out), FB_ERR_OVERFLOW);
    ck_assert_int_eq(fb_dec_mul(lo, dec("0.5"), FB_ROUND_DOWN, &out), FB_OK);
    ck_assert_str_eq(fmt(out, buf), "-85070591730234615865.843651857942052864");
    ck_assert_int_eq(fb_dec_div(lo, lo, 18, FB_ROUND_DOWN, &out), FB_OK);
    ck_assert_str_eq(fmt(out, buf), "1");
    ck_assert_int_eq(fb_dec_div(dec(MAX), lo, 18, FB_ROUND_UP, &out), FB_OK);
    ck_assert_str_eq(fmt(out, buf), "-1");
    ck_assert_int_eq(fb_dec_round_places(lo, 0, FB_ROUND_DOWN, &out), FB_OK);
    ck_assert_int_eq(fb_dec_is_multiple(lo, dec(EPS)), 1);
    ck_assert_int_eq(fb_dec_round_to(dec("1"), lo, FB_ROUND_DOWN, &out), FB_ERR_INVALID);
}
END_TEST

START_TEST(bad_mode_is_invalid)
{
    struct fb_dec out;
    enum fb_round bad = (enum fb_round)5;
    ck_assert_int_eq(fb_dec_mul(dec("1"), dec("1"), bad, &out), FB_ERR_INVALID);
    ck_assert_int_eq(fb_dec_div(dec("1"), dec("1"), 2, bad, &out), FB_ERR_INVALID);
    ck_assert_int_eq(fb_dec_round_to(dec("1"), dec("1"), bad, &out), FB_ERR_INVALID);
    ck_assert_int_eq(fb_dec_round_places(dec("1"), 2, bad, &out), FB_ERR_INVALID);
    ck_assert_int_eq(fb_dec_add(dec("1"), dec("1"), NULL), FB_ERR_INVALID);
    ck_assert_int_eq(fb_dec_mul(dec("1"), dec("1"), FB_ROUND_DOWN, NULL), FB_ERR_INVALID);
}
END_TEST

/*
 * Randomised cross-checks against plain __int128 arithmetic, on operands small
 * enough that the reference cannot overflow, plus identities on full-range
 * operands that go through the 256-bit paths (both divisor widths).
 */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rng(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A value of 1..maxbits random bits, random sign: spans every magnitude. */
static fb_i128 rng_units(int maxbits)
{
    u128 m = ((u128)rng() << 64) | rng();
    int bits = 1 + (int)(rng() % (uint64_t)maxbits);
    m >>= 128 - bits;
    return (rng() & 1) ? -(fb_i128)m : (fb_i128)m;
}

static fb_i128 ref_round(fb_i128 q, fb_i128 r, fb_i128 d, int s, enum fb_round mode)
{
    fb_i128 ar = r < 0 ? -r : r;
    if (r == 0)
        return q;
    switch (mode) {
    case FB_ROUND_DOWN:
        return q;
    case FB_ROUND_UP:
        return q + s;
    case FB_ROUND_FLOOR:
        return s < 0 ? q - 1 : q;
    case FB_ROUND_CEIL:
        return s > 0 ? q + 1 : q;
    case FB_ROUND_HALF_EVEN:
        if (2 * ar != d)
            return 2 * ar > d ? q + s : q;
        return q % 2 != 0 ? q + s : q;
    }
    return q;
}

static int sgn(fb_i128 v)
{
    return (v > 0) - (v < 0);
}

static const fb_i128 scale = (fb_i128)1000000000000000000LL;

static void assert_units(struct fb_dec got, fb_i128 want, const char *what, int i)
{
    char g[FB_DEC_STRMAX], w[FB_DEC_STRMAX];
    struct fb_dec wd;
    wd.units = want;
    if (got.units == want)
        return;
    ck_abort_msg("iteration %d %s: got %s, want %s", i, what, fmt(got, g), fmt(wd, w));
}

START_TEST(random_vs_reference)
{
    for (int i = 0; i < 100000; i++) {
        enum fb_round mode = (enum fb_round)(rng() % 5);
        struct fb_dec a, b, out;
        int places = (int)(rng() % 19);
        fb_i128 p10 = 1;
        for (int k = 0; k < places; k++)
            p10 *= 10;

        a.units = rng_units(63);
        b.units = rng_units(63);
        fb_i128 p = a.units * b.units;
        CHECK_OK(fb_dec_mul(a, b, mode, &out));
        assert_units(out, ref_round(p / scale, p % scale, scale, sgn(p), mode), "mul", i);

        a.units = rng_units(60);
        if (b.units != 0) {
            fb_i128 n = a.units * p10;
            fb_i128 q = ref_round(n / b.units, n % b.units, b.units < 0 ? -b.units : b.units,
                                  sgn(n) * sgn(b.units), mode);
            CHECK_OK(fb_dec_div(a, b, places, mode, &out));
            assert_units(out, q * (scale / p10), "div", i);
        }

        a.units = rng_units(126);
        b.units = rng_units(63);
        if (b.units < 0)
            b.units = -b.units;
        if (b.units != 0) {
            CHECK_OK(fb_dec_round_to(a, b, mode, &out));
            assert_units(
                out,
                ref_round(a.units / b.units, a.units % b.units, b.units, sgn(a.units), mode) *
                    b.units,
                "round_to", i);
            if (!fb_dec_is_multiple(out, b))
                ck_abort_msg("iteration %d: round_to result not a multiple", i);
        }
    }
}
END_TEST

START_TEST(random_identities_full_range)
{
    char buf[FB_DEC_STRMAX];
    struct fb_dec point_five = dec("0.5");
    for (int i = 0; i < 50000; i++) {
        enum fb_round mode = (enum fb_round)(rng() % 5);
        struct fb_dec a, c, out, back, sum;
        a.units = rng_units(126);

        /* Text round trip across the whole range. */
        size_t n = fb_dec_format(a, buf);
        CHECK_OK(fb_dec_parse(buf, n, &back));
        assert_units(back, a.units, "parse(format)", i);

        CHECK_OK(fb_dec_mul(a, fb_dec_from_int(1), mode, &out));
        assert_units(out, a.units, "a*1", i);
        CHECK_OK(fb_dec_add(a, a, &sum));
        CHECK_OK(fb_dec_mul(a, fb_dec_from_int(2), mode, &out));
        assert_units(out, sum.units, "a*2", i);
        CHECK_OK(fb_dec_div(sum, fb_dec_from_int(2), 18, mode, &out));
        assert_units(out, a.units, "2a/2", i);
        fb_i128 half = ref_round(a.units / 2, a.units % 2, 2, sgn(a.units), mode);
        CHECK_OK(fb_dec_mul(a, point_five, mode, &out));
        assert_units(out, half, "a*0.5", i);
        CHECK_OK(fb_dec_div(a, fb_dec_from_int(2), 18, mode, &out));
        assert_units(out, half, "a/2", i);
        CHECK_OK(fb_dec_div(a, fb_dec_from_int(1), 18, mode, &out));
        assert_units(out, a.units, "a/1", i);

        /* c = a * k exactly; c / k and c / a undo it, the latter with a
         * divisor wider than 64 bits whenever |a| is. */
        a.units = rng_units(106);
        int64_t k = (int64_t)(rng() % (UINT64_C(1) << 20)) + 1;
        CHECK_OK(fb_dec_mul(a, fb_dec_from_int(k), FB_ROUND_DOWN, &c));
        CHECK_OK(fb_dec_div(c, fb_dec_from_int(k), 18, mode, &out));
        assert_units(out, a.units, "(a*k)/k", i);
        if (a.units != 0) {
            CHECK_OK(fb_dec_div(c, a, 0, mode, &out));
            assert_units(out, fb_dec_from_int(k).units, "(a*k)/a", i);
        }
    }
}
END_TEST

static Suite *decimal_suite(void)
{
    Suite *s = suite_create("decimal");
    TCase *core = tcase_create("core");
    TCase *limits = tcase_create("limits");

#define NROWS(arr) ((int)(sizeof(arr) / sizeof((arr)[0])))
    tcase_add_loop_test(core, parse_table, 0, NROWS(parse_rows));
    tcase_add_test(core, parse_reads_only_len_bytes);
    tcase_add_loop_test(core, arith_table, 0, NROWS(arith_rows));
    tcase_add_loop_test(core, cmp_table, 0, NROWS(cmp_rows));
    tcase_add_loop_test(core, places_table, 0, NROWS(places_rows));
    tcase_add_loop_test(core, multiple_table, 0, NROWS(multiple_rows));
    tcase_add_test(core, point_one_plus_point_two);
    tcase_add_test(core, satoshi_steps_sum_exactly);
    tcase_add_test(core, from_int_and_neg);
    suite_add_tcase(s, core);

    tcase_add_loop_test(limits, parse_limit_table, 0, NROWS(parse_limit_rows));
    tcase_add_loop_test(limits, limit_table, 0, NROWS(limit_rows));
    tcase_add_test(limits, int128_min_is_contained);
    tcase_add_test(limits, bad_mode_is_invalid);
    tcase_add_test(limits, random_vs_reference);
    tcase_add_test(limits, random_identities_full_range);
    tcase_set_timeout(limits, 120);
    suite_add_tcase(s, limits);
#undef NROWS
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(decimal_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
