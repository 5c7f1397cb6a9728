/*
 * Unit tests of fix/fix_raw.c: the helpers that look at raw FIX text before
 * QuickFIX does (the Logon guard) and redact secrets before anything is
 * logged. Messages in the tables are written with '|' for SOH.
 *
 * The SHA-256 vectors were computed by hand, e.g.
 *   printf 'salts3cret' | openssl dgst -sha256
 *   printf '\x00\xff\x10pw' | openssl dgst -sha256
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fix/fix_raw.h"

#define NROWS(arr) ((int)(sizeof(arr) / sizeof((arr)[0])))

/* '|' -> SOH into buf; returns the length. */
static size_t soh(const char *in, char *buf, size_t cap)
{
    size_t n = strlen(in);
    ck_assert_uint_lt(n, cap);
    for (size_t i = 0; i < n; i++)
        buf[i] = in[i] == '|' ? '\x01' : in[i];
    buf[n] = '\0';
    return n;
}

/* SOH -> '|' in place, for readable comparisons. */
static void bar(char *s)
{
    for (; *s; s++) {
        if (*s == '\x01')
            *s = '|';
    }
}

/* ---- fb_fix_raw_get ---------------------------------------------------- */

struct get_row {
    const char *msg;
    int len; /* bytes of msg to look at; -1 = all */
    int tag;
    int found;
    const char *value;
};

static const struct get_row get_rows[] = {
    {"8=FIX.4.4|9=5|35=A|", -1, 35, 1, "A"},
    {"8=FIX.4.4|9=5|35=A|", -1, 8, 1, "FIX.4.4"}, /* the very first field */
    {"8=FIX.4.4|9=5|35=A|", -1, 34, 0, NULL},
    {"1554=x|554=y|", -1, 554, 1, "y"},           /* a longer tag is not a prefix match */
    {"5540=x|554=y|", -1, 554, 1, "y"},
    {"35=A|554=y", -1, 554, 1, "y"},              /* no trailing SOH */
    {"58=a=b|", -1, 58, 1, "a=b"},                /* '=' inside a value */
    {"554=|108=30|", -1, 554, 1, ""},             /* empty value */
    {"112=A|112=B|", -1, 112, 1, "A"},            /* the first occurrence */
    {"xx|=5|35=0|", -1, 35, 1, "0"},              /* garbage fields are skipped */
    {"=5|", -1, 0, 0, NULL},                      /* no tag digits: not tag 0 */
    {"1000000000554=x|554=y|", -1, 554, 1, "y"},  /* an absurdly long tag is skipped */
    {"35=A|554=secret|", 8, 554, 0, NULL},        /* only len bytes are read */
    {"35=A|554=secret|", 12, 554, 1, "sec"},      /* a value cut at len */
    {"10=123", -1, 10, 1, "123"},
    {"", -1, 35, 0, NULL},
};

START_TEST(raw_get)
{
    const struct get_row *r = &get_rows[_i];
    char buf[128];
    size_t n = soh(r->msg, buf, sizeof buf);
    const char *v = NULL;
    size_t vlen = 12345;

    ck_assert_int_eq(fb_fix_raw_get(buf, r->len < 0 ? n : (size_t)r->len, r->tag, &v, &vlen),
                     r->found);
    if (r->found) {
        ck_assert_ptr_nonnull(v);
        ck_assert_uint_eq(vlen, strlen(r->value));
        ck_assert_int_eq(memcmp(v, r->value, vlen), 0);
    }
}
END_TEST

/* ---- fb_fix_redact ----------------------------------------------------- */

struct redact_row {
    const char *in;
    size_t outlen; /* 0 = big enough */
    const char *out;
};

static const struct redact_row redact_rows[] = {
    {"35=A|553=u|554=secret|10=001|", 0, "35=A|553=u|554=***|10=001|"},
    {"35=BE|925=secret|", 0, "35=BE|925=***|"},
    {"35=A|95=6|96=secret|", 0, "35=A|95=6|96=***|"},
    {"35=A|90=6|91=secret|", 0, "35=A|90=6|91=***|"},
    {"554=secret|925=secret|96=secret|91=secret|", 0, "554=***|925=***|96=***|91=***|"},
    /* tags that merely contain 554/925/96/91 stay intact */
    {"1554=keep|5540=keep|9250=keep|1925=keep|196=keep|961=keep|191=keep|910=keep|", 0,
     "1554=keep|5540=keep|9250=keep|1925=keep|196=keep|961=keep|191=keep|910=keep|"},
    {"58=pw=554=keep|", 0, "58=pw=554=keep|"}, /* "554=" inside a value */
    {"554=secret", 0, "554=***"},              /* no trailing SOH */
    {"554=|108=30|", 0, "554=***|108=30|"},    /* empty secret */
    {"0554=secret|", 0, "0554=***|"},          /* leading zero: still tag 554 */
    {"abc|554=secret|", 0, "abc|554=***|"},    /* after a garbage field */
    {"||554=secret||", 0, "||554=***||"},      /* empty fields */
    {"8=FIX.4.4|9=12|35=0|", 0, "8=FIX.4.4|9=12|35=0|"},
    {"", 0, ""},
    /* truncation: always NUL-terminated, never a byte of the secret */
    {"35=A|554=secret|", 8, "35=A|55"},
    {"35=A|554=secret|", 10, "35=A|554="},
    {"35=A|554=secret|", 12, "35=A|554=**"},
    {"35=A|554=secret|58=x|", 16, "35=A|554=***|58"},
    {"35=A|", 1, ""},
};

START_TEST(redact)
{
    const struct redact_row *r = &redact_rows[_i];
    char in[256], out[256], want[256];
    size_t n = soh(r->in, in, sizeof in);
    size_t outlen = r->outlen ? r->outlen : sizeof out;

    memset(out, 'Z', sizeof out);
    size_t got = fb_fix_redact(in, n, out, outlen);
    ck_assert_uint_lt(got, outlen);
    ck_assert_int_eq(out[got], '\0');
    ck_assert_uint_eq(got, strlen(out));
    if (r->outlen)
        ck_assert_int_eq(out[outlen], 'Z'); /* nothing written past outlen */
    bar(out);
    soh(r->out, want, sizeof want);
    bar(want);
    ck_assert_str_eq(out, want);
    ck_assert_ptr_null(strstr(out, "secret"));
    ck_assert_ptr_null(strstr(out, "ecre")); /* not even a piece of it */
}
END_TEST

START_TEST(redact_zero_outlen_writes_nothing)
{
    char out[4] = {'Z', 'Z', 'Z', 'Z'};
    ck_assert_uint_eq(fb_fix_redact("554=x", 5, out, 0), 0);
    ck_assert_int_eq(out[0], 'Z');
}
END_TEST

/* ---- fb_password_hash_matches ------------------------------------------ */

#define H_SALT_S3CRET "2d03bc30a3c7b88194d8a8cf613e2b7b0ce5d07f5e03836545684a8a21eae47a"
#define H_S3CRET "1ec1c26b50d5d3c58d9583181af8076655fe00756bf7285940ba3670f99fcba0"
#define H_SALT "63479ad69a090b258277ec8fba6f99419a2ffb248981510657c944ccd1148e97"
#define H_BIN_PW "6698f80e4c76e2ea5fe24b802d8151f076ab898824d387aadbedb5d01dd77e8e"

struct hash_row {
    const char *spec;
    const char *password;
    int match;
};

static const struct hash_row hash_rows[] = {
    {"sha256:73616c74:" H_SALT_S3CRET, "s3cret", 1},  /* salt "salt" */
    {"sha256:73616C74:" H_SALT_S3CRET, "s3cret", 1},  /* upper-case hex */
    {"sha256:73616c74:" H_SALT_S3CRET, "S3cret", 0},
    {"sha256:73616c74:" H_SALT_S3CRET, "s3cre", 0},
    {"sha256:73616c74:" H_SALT_S3CRET, "s3cret ", 0},
    {"sha256:73616c74:" H_SALT_S3CRET, "", 0},
    {"sha256:73616c75:" H_SALT_S3CRET, "s3cret", 0},  /* another salt */
    {"sha256::" H_S3CRET, "s3cret", 1},               /* empty salt */
    {"sha256:73616c74:" H_SALT, "", 1},               /* empty password */
    {"sha256:00ff10:" H_BIN_PW, "pw", 1},             /* binary salt */
    {"sha256:73616c74:" H_S3CRET, "s3cret", 0},       /* salt ignored would match this */
    {"sha1:73616c74:" H_SALT_S3CRET, "s3cret", 0},
    {"SHA256:73616c74:" H_SALT_S3CRET, "s3cret", 0},
    {"sha256:73616c7:" H_SALT_S3CRET, "s3cret", 0},   /* odd salt hex */
    {"sha256:7361zz74:" H_SALT_S3CRET, "s3cret", 0},  /* non-hex salt */
    {"sha256:73616c74", "s3cret", 0},                 /* no hash */
    {"sha256:73616c74:" H_SALT_S3CRET "0", "s3cret", 0}, /* 65 hex digits */
    {"sha256:73616c74:2d03bc30a3c7b88194d8a8cf613e2b7b0ce5d07f5e03836545684a8a21eae47", "s3cret",
     0}, /* 63 hex digits */
    {"sha256:73616c74:2d03bc30a3c7b88194d8a8cf613e2b7b0ce5d07f5e03836545684a8a21eae47g", "s3cret",
     0}, /* non-hex hash */
    {"", "s3cret", 0},
};

START_TEST(password_hash)
{
    const struct hash_row *r = &hash_rows[_i];
    ck_assert_int_eq(fb_password_hash_matches(r->spec, r->password, strlen(r->password)),
                     r->match);
}
END_TEST

START_TEST(password_hash_salt_too_long)
{
    /* a salt of more than 256 bytes is refused, not overflowed */
    char spec[700];
    int n = snprintf(spec, sizeof spec, "sha256:");
    for (int i = 0; i < 257; i++)
        n += snprintf(spec + n, sizeof spec - (size_t)n, "ab");
    snprintf(spec + n, sizeof spec - (size_t)n, ":%s", H_SALT_S3CRET);
    ck_assert_int_eq(fb_password_hash_matches(spec, "s3cret", 6), 0);
}
END_TEST

START_TEST(password_hash_uses_pwlen)
{
    /* the length given, not strlen: "s3cretXYZ" with pwlen 6 is "s3cret" */
    ck_assert_int_eq(fb_password_hash_matches("sha256:73616c74:" H_SALT_S3CRET, "s3cretXYZ", 6), 1);
    ck_assert_int_eq(fb_password_hash_matches("sha256:73616c74:" H_SALT_S3CRET, "s3cret", 5), 0);
}
END_TEST

/* ---- fb_logon_check ---------------------------------------------------- */

struct logon_row {
    const char *username; /* NULL: the session has no credentials */
    const char *password;
    const char *password_hash;
    int hb_min, hb_max;
    const char *msg;
    enum fb_err err;
    const char *reason; /* substring of the reason, when err != FB_OK */
};

#define LOGON "8=FIX.4.4|9=99|35=A|49=OMS|56=FIXBRIDGE|34=1|52=20240101-00:00:00|98=0|"
#define BAD_CREDS "unknown Username or wrong Password"

static const struct logon_row logon_rows[] = {
    /* HeartBtInt, with or without credentials */
    {NULL, NULL, NULL, 1, 300, LOGON "108=30|10=000|", FB_OK, NULL},
    {NULL, NULL, NULL, 1, 300, LOGON "108=1|", FB_OK, NULL},
    {NULL, NULL, NULL, 1, 300, LOGON "108=300|", FB_OK, NULL},
    {NULL, NULL, NULL, 1, 300, LOGON "108=0|", FB_ERR_INVALID,
     "HeartBtInt 0 outside the allowed range 1..300"},
    {NULL, NULL, NULL, 1, 300, LOGON "108=301|", FB_ERR_INVALID, "HeartBtInt 301 outside"},
    {NULL, NULL, NULL, 5, 60, LOGON "108=4|", FB_ERR_INVALID, "range 5..60"},
    {NULL, NULL, NULL, 1, 300, LOGON "108=-1|", FB_ERR_INVALID, "HeartBtInt -1"},
    {NULL, NULL, NULL, 1, 300, LOGON "108=3x|", FB_ERR_INVALID, "HeartBtInt 3x"},
    {NULL, NULL, NULL, 1, 300, LOGON "108=|", FB_ERR_INVALID, "HeartBtInt  outside"},
    {NULL, NULL, NULL, 1, 300, LOGON "108=30.5|", FB_ERR_INVALID, "HeartBtInt 30.5"},
    {NULL, NULL, NULL, 1, 300, LOGON "108=4294967326|", FB_ERR_INVALID, "HeartBtInt 429496732"},
    {NULL, NULL, NULL, 1, 300, LOGON "108=000000030|", FB_OK, NULL},
    {NULL, NULL, NULL, 1, 300, LOGON "1108=0|108=30|", FB_OK, NULL}, /* not fooled by 1108 */
    {NULL, NULL, NULL, 1, 300, LOGON "|", FB_OK, NULL}, /* absent: QuickFIX rejects it */
    /* clear-text password */
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|553=oms1|554=s3cret|", FB_OK, NULL},
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|553=oms1|554=s3cre|", FB_ERR_AUTH, BAD_CREDS},
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|553=oms1|554=s3cret1|", FB_ERR_AUTH,
     BAD_CREDS},
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|553=oms1|554=|", FB_ERR_AUTH, BAD_CREDS},
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|553=oms|554=s3cret|", FB_ERR_AUTH, BAD_CREDS},
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|553=oms12|554=s3cret|", FB_ERR_AUTH,
     BAD_CREDS},
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|554=s3cret|", FB_ERR_AUTH, BAD_CREDS},
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|553=oms1|", FB_ERR_AUTH,
     "Password (554) required"},
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|1553=oms1|1554=s3cret|", FB_ERR_AUTH,
     BAD_CREDS}, /* tags that end in 553/554 are not Username/Password */
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|553=oms1|5540=s3cret|", FB_ERR_AUTH,
     "Password (554) required"},
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|553=oms1|554=bad-1|554=s3cret|", FB_ERR_AUTH,
     BAD_CREDS}, /* the first 554 counts */
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=0|553=oms1|554=s3cret|", FB_ERR_INVALID,
     "HeartBtInt"}, /* HeartBtInt is checked first */
    {"oms1", "s3cret", NULL, 1, 300, LOGON "108=30|141=Y|553=oms1|554=bad-2|", FB_ERR_AUTH,
     BAD_CREDS},
    /* salted hash */
    {"oms2", NULL, "sha256:73616c74:" H_SALT_S3CRET, 1, 300,
     LOGON "108=30|553=oms2|554=s3cret|", FB_OK, NULL},
    {"oms2", NULL, "sha256:73616c74:" H_SALT_S3CRET, 1, 300,
     LOGON "108=30|553=oms2|554=S3CRET|", FB_ERR_AUTH, BAD_CREDS},
    {"oms2", NULL, "sha256:73616c74:" H_SALT_S3CRET, 1, 300,
     LOGON "108=30|553=oms2|554=" H_SALT_S3CRET "|", FB_ERR_AUTH, BAD_CREDS}, /* the hash itself */
};

START_TEST(logon_check)
{
    const struct logon_row *r = &logon_rows[_i];
    struct fb_fix_session_cfg cfg;
    char msg[512], reason[160];
    size_t n = soh(r->msg, msg, sizeof msg);

    memset(&cfg, 0, sizeof cfg);
    cfg.name = "oms";
    cfg.begin_string = "FIX.4.4";
    cfg.sender_comp_id = "FIXBRIDGE";
    cfg.target_comp_id = "OMS";
    cfg.username = r->username;
    cfg.password = r->password;
    cfg.password_hash = r->password_hash;
    strcpy(reason, "untouched");
    ck_assert_int_eq(fb_logon_check(&cfg, r->hb_min, r->hb_max, msg, n, reason, sizeof reason),
                     r->err);
    if (r->err == FB_OK)
        return;
    ck_assert_msg(strstr(reason, r->reason) != NULL, "reason '%s' lacks '%s'", reason, r->reason);
    /* the reason never carries what was sent as Password */
    const char *pw;
    size_t pwlen;
    if (fb_fix_raw_get(msg, n, 554, &pw, &pwlen) && pwlen > 0) {
        char sent[128];
        snprintf(sent, sizeof sent, "%.*s", (int)pwlen, pw);
        ck_assert_msg(strstr(reason, sent) == NULL, "reason '%s' contains the password", reason);
    }
}
END_TEST

START_TEST(logon_check_reason_truncated)
{
    struct fb_fix_session_cfg cfg;
    char msg[256], reason[16];
    size_t n = soh(LOGON "108=0|", msg, sizeof msg);

    memset(&cfg, 0, sizeof cfg);
    memset(reason, 'Z', sizeof reason);
    ck_assert_int_eq(fb_logon_check(&cfg, 1, 300, msg, n, reason, sizeof reason), FB_ERR_INVALID);
    ck_assert_uint_eq(strlen(reason), sizeof reason - 1);
}
END_TEST

static Suite *fix_raw_suite(void)
{
    Suite *s = suite_create("fix_raw");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, raw_get, 0, NROWS(get_rows));
    tcase_add_loop_test(tc, redact, 0, NROWS(redact_rows));
    tcase_add_test(tc, redact_zero_outlen_writes_nothing);
    tcase_add_loop_test(tc, password_hash, 0, NROWS(hash_rows));
    tcase_add_test(tc, password_hash_salt_too_long);
    tcase_add_test(tc, password_hash_uses_pwlen);
    tcase_add_loop_test(tc, logon_check, 0, NROWS(logon_rows));
    tcase_add_test(tc, logon_check_reason_truncated);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fix_raw_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
