/*
 * Tests for the pure parts of `fixbridge client` (bridge/client.h): script
 * line splitting, command parsing and message building, the one-line
 * pretty-printer and the expectation matcher. Table-driven; each table row
 * states the exact text expected.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/admin_client.h"
#include "bridge/client.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- splitting ------------------------------------------------------------ */

static const struct {
    const char *line;
    enum fb_err err;
    const char *words; /* joined with '|' */
} split_cases[] = {
    {"buy BTC/USDT 0.5 limit 65000", FB_OK, "buy|BTC/USDT|0.5|limit|65000"},
    {"  expect 8 150=0   # a comment", FB_OK, "expect|8|150=0"},
    {"# only a comment", FB_OK, ""},
    {"", FB_OK, ""},
    {"expect 8 Text=\"a b\" 58=\"x\\\"y\"", FB_OK, "expect|8|Text=a b|58=x\"y"},
    {"send D 58=\"# not a comment\"", FB_OK, "send|D|58=# not a comment"},
    {"expect 8 Text=\"open", FB_ERR_PARSE, NULL},
    {"\tsleep\t0.5\r\n", FB_OK, "sleep|0.5"},
};

START_TEST(split_table)
{
    char line[256], joined[256] = "", err[128] = "";
    char *words[8];
    size_t n = 99;
    snprintf(line, sizeof line, "%s", split_cases[_i].line);
    enum fb_err e = fb_client_split(line, words, COUNT(words), &n, err, sizeof err);
    ck_assert_int_eq(e, split_cases[_i].err);
    if (e != FB_OK) {
        ck_assert_str_ne(err, "");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(joined, "|");
        strcat(joined, words[i]);
    }
    ck_assert_str_eq(joined, split_cases[_i].words);
}
END_TEST

START_TEST(split_limits)
{
    char line[64] = "a b c d e", err[128] = "";
    char *words[4];
    size_t n;
    ck_assert_int_eq(fb_client_split(line, words, 4, &n, err, sizeof err), FB_ERR_TOO_LARGE);
    ck_assert_ptr_nonnull(strstr(err, "4 words"));
}
END_TEST

/* --- parse + build: the exact message each command sends ------------------ */

/* Builds "MSGTYPE|tag=value|..." from a command line, with TransactTime
 * fixed, names generated as "g1", "g2"... and ids shared across a row's
 * commands (separated by ';'). */
static enum fb_err build_line(const char *cmds, int fix44, char *out, size_t outlen, char *err,
                              size_t errlen)
{
    static struct fb_client_ids ids;
    char buf[512];
    memset(&ids, 0, sizeof ids);
    snprintf(ids.gen, sizeof ids.gen, "g");
    snprintf(buf, sizeof buf, "%s", cmds);
    out[0] = '\0';
    for (char *save = NULL, *one = strtok_r(buf, ";", &save); one;
         one = strtok_r(NULL, ";", &save)) {
        char *words[FB_CLIENT_MAX_WORDS];
        size_t n;
        struct fb_client_cmd cmd;
        struct fb_client_out o;
        enum fb_err e = fb_client_split(one, words, COUNT(words), &n, err, errlen);
        if (e == FB_OK)
            e = fb_client_parse((int)n, words, 1, &cmd, err, errlen);
        if (e == FB_OK)
            e = fb_client_build(&cmd, &ids, fix44, "20240102-03:04:05.678", &o, err, errlen);
        if (e != FB_OK)
            return e;
        /* Only the last command's message is reported. */
        snprintf(out, outlen, "%s", o.msg_type);
        for (size_t i = 0; i < o.nfields; i++) {
            size_t len = strlen(out);
            snprintf(out + len, outlen - len, "|%d=%s", o.tags[i], o.values[i]);
        }
    }
    return FB_OK;
}

static const struct {
    const char *cmds;
    int fix44;
    const char *sent;
} build_cases[] = {
    {"buy BTC/USDT 0.5 limit 65000 id=o1", 1,
     "D|11=o1|55=BTC/USDT|54=1|60=20240102-03:04:05.678|38=0.5|40=2|44=65000"},
    {"buy BTC/USDT 0.5 limit 65000 id=o1", 0,
     "D|11=o1|21=1|55=BTC/USDT|54=1|60=20240102-03:04:05.678|38=0.5|40=2|44=65000"},
    {"buy BTC/USDT cash=100 market", 1,
     "D|11=g1|55=BTC/USDT|54=1|60=20240102-03:04:05.678|152=100|40=1"},
    {"sell ETH/USDT 2.50 limit 3000.10 tif ioc post-only display=0.5 account=A1 exdest=sim", 1,
     "D|11=g1|55=ETH/USDT|54=2|60=20240102-03:04:05.678|38=2.50|40=2|44=3000.10|59=3|18=6|"
     "111=0.5|1=A1|100=sim"},
    {"sell ETH/USDT 1 limit 3000 stop=3100 gtd=20240105", 1,
     "D|11=g1|55=ETH/USDT|54=2|60=20240102-03:04:05.678|38=1|40=4|44=3000|99=3100|59=6|"
     "432=20240105"},
    {"buy X 1 stop=10 tif gtd=20240105-12:00:00 7928=N", 1,
     "D|11=g1|55=X|54=1|60=20240102-03:04:05.678|38=1|40=3|99=10|59=6|126=20240105-12:00:00|"
     "7928=N"},
    {"buy X 1 market fok", 1, "D|11=g1|55=X|54=1|60=20240102-03:04:05.678|38=1|40=1|59=4"},
    {"buy BTC/USDT 0.5 limit 65000 id=o1; cancel o1", 1,
     "F|41=o1|11=g1|55=BTC/USDT|54=1|60=20240102-03:04:05.678|38=0.5"},
    {"buy BTC/USDT 0.5 limit 65000 id=o1; cancel o1 id=c1", 0,
     "F|41=o1|11=c1|55=BTC/USDT|54=1|60=20240102-03:04:05.678|38=0.5"},
    {"buy BTC/USDT 0.5 limit 65000 id=o1; replace o1 qty=0.7 id=o2", 1,
     "G|41=o1|11=o2|55=BTC/USDT|54=1|60=20240102-03:04:05.678|38=0.7|40=2|44=65000"},
    {"buy BTC/USDT 0.5 limit 65000 id=o1; replace o1 qty=0.7 price=64000 id=o2; cancel o2", 1,
     "F|41=o2|11=g1|55=BTC/USDT|54=1|60=20240102-03:04:05.678|38=0.7"},
    {"buy BTC/USDT 0.5 limit 65000 id=o1; status o1", 1, "H|11=o1|55=BTC/USDT|54=1"},
    {"status old7 symbol=BTC/USDT side=sell", 1, "H|11=old7|55=BTC/USDT|54=2"},
    {"cancel old7 symbol=BTC/USDT side=buy", 1,
     "F|41=old7|11=g1|55=BTC/USDT|54=1|60=20240102-03:04:05.678"},
    {"mass-cancel BTC/USDT", 1, "q|11=g1|530=1|55=BTC/USDT|60=20240102-03:04:05.678"},
    {"mass-cancel", 1, "q|11=g1|530=7|60=20240102-03:04:05.678"},
    {"mass-status id=ms1", 1, "AF|584=ms1|585=7"},
    {"send ZZ 58=hello 1=acct", 1, "ZZ|58=hello|1=acct"},
};

START_TEST(build_table)
{
    char out[512], err[256] = "";
    enum fb_err e =
        build_line(build_cases[_i].cmds, build_cases[_i].fix44, out, sizeof out, err, sizeof err);
    ck_assert_msg(e == FB_OK, "%s: %s", build_cases[_i].cmds, err);
    ck_assert_str_eq(out, build_cases[_i].sent);
}
END_TEST

START_TEST(id_prefix_applies_to_names_and_references)
{
    static struct fb_client_ids ids;
    struct fb_client_cmd cmd;
    struct fb_client_out o;
    char err[128];
    char w1[] = "buy", w2[] = "X", w3[] = "1", w4[] = "market", w5[] = "id=o1";
    char *words[] = {w1, w2, w3, w4, w5};
    memset(&ids, 0, sizeof ids);
    snprintf(ids.prefix, sizeof ids.prefix, "run7-");
    ck_assert_int_eq(fb_client_parse(5, words, 0, &cmd, err, sizeof err), FB_OK);
    ck_assert_int_eq(fb_client_build(&cmd, &ids, 1, "T", &o, err, sizeof err), FB_OK);
    ck_assert_str_eq(o.clordid, "run7-o1");
    ck_assert_str_eq(fb_client_ids_resolve(&ids, "o1"), "run7-o1");
    ck_assert_str_eq(fb_client_ids_resolve(&ids, "other"), "other");
}
END_TEST

static const struct {
    const char *cmds;
    int script;
    enum fb_err err;
    const char *msg; /* a substring of the error text */
} bad_cases[] = {
    {"buy BTC/USDT 0.5", 1, FB_ERR_PARSE, "say 'market' or 'limit PRICE'"},
    {"buy BTC/USDT 0.5 limit", 1, FB_ERR_PARSE, "limit needs a price"},
    {"buy BTC/USDT 1e3 market", 1, FB_ERR_PARSE, "'1e3' is not a decimal number"},
    {"buy BTC/USDT 0.5 limit 6.5e4", 1, FB_ERR_PARSE, "not a decimal number"},
    {"buy BTC/USDT -1 market", 1, FB_ERR_INVALID, "must be greater than zero"},
    {"buy BTC/USDT 0 market", 1, FB_ERR_INVALID, "must be greater than zero"},
    {"buy BTC/USDT 0.1234567890123456789 market", 1, FB_ERR_PARSE, "not a decimal number"},
    {"buy BTC/USDT 1 market cash=5", 1, FB_ERR_PARSE, "not both"},
    {"buy BTC/USDT", 1, FB_ERR_PARSE, "want SYMBOL and QTY"},
    {"buy BTC/USDT 1 market tif soon", 1, FB_ERR_PARSE, "tif 'soon'"},
    {"buy BTC/USDT 1 market gtd=2024", 1, FB_ERR_PARSE, "YYYYMMDD"},
    {"buy BTC/USDT 1 market wobble", 1, FB_ERR_PARSE, "unknown word 'wobble'"},
    {"buy BTC/USDT 1 market 0=x", 1, FB_ERR_PARSE, "TAG=VALUE"},
    {"cancel", 1, FB_ERR_PARSE, "ClOrdID"},
    {"cancel nobody", 1, FB_ERR_INVALID, "not known to this run"},
    {"replace nobody", 1, FB_ERR_PARSE, "nothing to change"},
    {"replace o9 qty=1 symbol=X side=buy", 1, FB_ERR_INVALID, "give type="},
    {"cancel o9 symbol=X side=buy", 0 /* 4.2 needs OrderQty */, FB_ERR_INVALID, "qty="},
    {"expect Frobnicate", 1, FB_ERR_PARSE, "unknown message type"},
    {"expect 8 NoSuchField=1", 1, FB_ERR_PARSE, "unknown field 'NoSuchField'"},
    {"expect 8 ExecType", 1, FB_ERR_PARSE, "not Field=Value"},
    {"expect 8 timeout=abc", 1, FB_ERR_PARSE, "seconds"},
    {"sleep", 1, FB_ERR_PARSE, "seconds"},
    {"sleep -1", 1, FB_ERR_PARSE, "seconds"},
    {"launch rockets", 1, FB_ERR_PARSE, "unknown command 'launch'"},
};

START_TEST(bad_table)
{
    char out[512], err[256] = "";
    /* The "script" column doubles as the FIX version for build errors. */
    enum fb_err e =
        build_line(bad_cases[_i].cmds, bad_cases[_i].script, out, sizeof out, err, sizeof err);
    ck_assert_msg(e == bad_cases[_i].err, "%s: got %d (%s)", bad_cases[_i].cmds, e, err);
    ck_assert_msg(strstr(err, bad_cases[_i].msg) != NULL, "%s: error '%s' lacks '%s'",
                  bad_cases[_i].cmds, err, bad_cases[_i].msg);
}
END_TEST

START_TEST(script_verbs_need_script_mode)
{
    char w1[] = "expect", w2[] = "8", err[128] = "";
    char *words[] = {w1, w2};
    struct fb_client_cmd cmd;
    ck_assert_int_eq(fb_client_parse(2, words, 0, &cmd, err, sizeof err), FB_ERR_PARSE);
    ck_assert_int_eq(fb_client_parse(2, words, 1, &cmd, err, sizeof err), FB_OK);
    ck_assert_int_eq(cmd.verb, FB_CV_EXPECT);
    ck_assert_str_eq(cmd.msg_type, "8");
}
END_TEST

static const struct {
    const char *line;
    enum fb_client_verb verb;
    unsigned timeout_ms;
} time_cases[] = {
    {"sleep 0.5", FB_CV_SLEEP, 500},
    {"expect-none 2", FB_CV_EXPECT_NONE, 2000},
    {"expect * timeout=1.25", FB_CV_EXPECT, 1250},
    {"wait-for ExecutionReport OrdStatus=Filled timeout=30", FB_CV_WAIT_FOR, 30000},
    {"expect 8", FB_CV_EXPECT, 0},
};

START_TEST(time_table)
{
    char line[128], err[128] = "";
    char *words[8];
    size_t n;
    struct fb_client_cmd cmd;
    snprintf(line, sizeof line, "%s", time_cases[_i].line);
    ck_assert_int_eq(fb_client_split(line, words, 8, &n, err, sizeof err), FB_OK);
    ck_assert_int_eq(fb_client_parse((int)n, words, 1, &cmd, err, sizeof err), FB_OK);
    ck_assert_int_eq(cmd.verb, time_cases[_i].verb);
    ck_assert_uint_eq(cmd.timeout_ms, time_cases[_i].timeout_ms);
}
END_TEST

/* --- pretty-printer --------------------------------------------------------- */

static const struct {
    const char *raw; /* '|' for SOH */
    const char *line;
} format_cases[] = {
    {"8=FIX.4.4|9=200|35=8|34=2|49=BRIDGE|52=20240102-03:04:05.678|56=OMS|6=0|11=o1|14=0|"
     "17=e1|37=B1|38=0.5|39=0|40=2|44=65000|54=1|55=BTC/USDT|150=0|151=0.5|10=123|",
     "ExecutionReport ExecType=New OrdStatus=New ClOrdID=o1 OrderID=B1 Symbol=BTC/USDT "
     "Side=Buy OrdType=Limit OrderQty=0.5 Price=65000 CumQty=0 LeavesQty=0.5 AvgPx=0 "
     "ExecID=e1"},
    /* 4.4 trade: ExecType F = Trade, tag 32 = LastQty. */
    {"8=FIX.4.4|35=8|11=o1|31=64999.5|32=0.2|39=1|150=F|14=0.2|151=0.3|6=64999.5",
     "ExecutionReport ExecType=Trade OrdStatus=PartiallyFilled ClOrdID=o1 LastQty=0.2 "
     "LastPx=64999.5 CumQty=0.2 LeavesQty=0.3 AvgPx=64999.5"},
    /* 4.2: ExecType 1 = PartialFill, tag 32 = LastShares, ExecTransType. */
    {"8=FIX.4.2|35=8|20=0|11=o1|32=0.2|31=100|39=1|150=1",
     "ExecutionReport ExecType=PartialFill OrdStatus=PartiallyFilled ClOrdID=o1 "
     "LastShares=0.2 LastPx=100 ExecTransType=New"},
    /* 4.2 has no ExecType F: printed raw. Unknown tags by number. */
    {"8=FIX.4.2|35=8|150=F|39=Z|9999=x", "ExecutionReport ExecType=F OrdStatus=Z 9999=x"},
    {"8=FIX.4.4|35=8|150=8|39=8|11=o2|103=6|58=duplicate ClOrdID",
     "ExecutionReport ExecType=Rejected OrdStatus=Rejected ClOrdID=o2 "
     "OrdRejReason=DuplicateOrder Text=\"duplicate ClOrdID\""},
    {"8=FIX.4.4|35=9|11=c1|41=o1|37=NONE|39=8|434=1|102=1|58=unknown order",
     "OrderCancelReject OrdStatus=Rejected ClOrdID=c1 OrigClOrdID=o1 OrderID=NONE "
     "CxlRejReason=UnknownOrder CxlRejResponseTo=OrderCancelRequest Text=\"unknown order\""},
    {"8=FIX.4.4|35=j|45=7|372=AB|380=3|58=no",
     "BusinessMessageReject BusinessRejectReason=UnsupportedMessageType RefMsgType=AB "
     "RefSeqNum=7 Text=no"},
    {"8=FIX.4.4|35=3|45=3|371=44|372=D|373=5|58=Value is incorrect",
     "Reject SessionRejectReason=ValueIsIncorrect RefTagID=44 RefMsgType=D RefSeqNum=3 "
     "Text=\"Value is incorrect\""},
    {"8=FIX.4.4|35=5|58=say \"hi\"", "Logout Text=\"say \\\"hi\\\"\""},
    {"8=FIX.4.4|35=XX|58=", "MsgType=XX Text=\"\""},
};

START_TEST(format_table)
{
    struct fb_client_msg m;
    char line[1024];
    const char *raw = format_cases[_i].raw;
    ck_assert_int_eq(fb_client_msg_parse(raw, strlen(raw), 1, &m), FB_OK);
    size_t n = fb_client_format(&m, line, sizeof line);
    ck_assert_str_eq(line, format_cases[_i].line);
    ck_assert_uint_eq(n, strlen(format_cases[_i].line));
    fb_client_msg_free(&m);
}
END_TEST

START_TEST(format_truncates_and_reports_length)
{
    struct fb_client_msg m;
    char small[16];
    const char *raw = "8=FIX.4.4|35=8|150=0|39=0|11=a-long-clordid";
    ck_assert_int_eq(fb_client_msg_parse(raw, strlen(raw), 1, &m), FB_OK);
    size_t n = fb_client_format(&m, small, sizeof small);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert_uint_eq(n, strlen("ExecutionReport ExecType=New OrdStatus=New ClOrdID=a-long-clordid"));
    fb_client_msg_free(&m);
}
END_TEST

static const char *const bad_raw[] = {"35=8|junk", "x=1", "=1", "123456=1"};

START_TEST(msg_parse_rejects_garbage)
{
    struct fb_client_msg m;
    ck_assert_int_eq(fb_client_msg_parse(bad_raw[_i], strlen(bad_raw[_i]), 1, &m), FB_ERR_PARSE);
    ck_assert_ptr_null(m.buf);
}
END_TEST

/* --- names ------------------------------------------------------------------ */

static const struct {
    const char *name;
    int tag;
} tag_cases[] = {
    {"ClOrdID", 11}, {"LastQty", 32}, {"LastShares", 32}, {"150", 150}, {"7928", 7928},
    {"SettlDate", 64}, {"FutSettDate", 64}, {"0", -1}, {"Bogus", -1}, {"123456", -1},
};

START_TEST(tag_table)
{
    ck_assert_int_eq(fb_client_tag_parse(tag_cases[_i].name), tag_cases[_i].tag);
}
END_TEST

START_TEST(names_follow_version)
{
    ck_assert_str_eq(fb_client_tag_name(32, 0), "LastShares");
    ck_assert_str_eq(fb_client_tag_name(32, 1), "LastQty");
    ck_assert_str_eq(fb_client_enum_name(150, "F", 1), "Trade");
    ck_assert_ptr_null(fb_client_enum_name(150, "F", 0));
    ck_assert_str_eq(fb_client_enum_name(150, "2", 0), "Fill");
    ck_assert_ptr_null(fb_client_enum_name(150, "2", 1));
    ck_assert_str_eq(fb_client_msgtype_parse("ExecutionReport"), "8");
    ck_assert_str_eq(fb_client_msgtype_parse("AF"), "AF");
    ck_assert_ptr_null(fb_client_msgtype_parse("NotAType"));
}
END_TEST

/* --- expectations --------------------------------------------------------- */

static const char *const er =
    "8=FIX.4.4|35=8|11=run-o1|37=B1|17=e1|150=0|39=0|55=BTC/USDT|54=1|38=0.5|44=65000|"
    "14=0|151=0.5|6=0";

static const struct {
    const char *expect;
    int match;
    const char *why; /* substring when it does not match */
} match_cases[] = {
    {"expect ExecutionReport ExecType=New OrdStatus=New ClOrdID=o1", 1, NULL},
    {"expect 8 150=0 39=0 11=run-o1", 1, NULL},
    {"expect * Price=65000 OrderQty=0.5", 1, NULL},
    {"expect 8 OrderID=* LastPx=! Text=!", 1, NULL},
    /* Decimals compare as text: 0.50 is not 0.5. */
    {"expect 8 OrderQty=0.50", 0, "OrderQty(38): expected 0.50, got 0.5"},
    {"expect 8 OrdStatus=Filled", 0, "OrdStatus(39): expected Filled, got New (0)"},
    {"expect 8 39=2", 0, "OrdStatus(39): expected 2, got New (0)"},
    {"expect OrderCancelReject", 0, "MsgType: expected OrderCancelReject, got ExecutionReport"},
    {"expect 8 Text=x", 0, "Text(58): expected x, missing"},
    {"expect 8 OrderID=!", 0, "OrderID(37): expected absent, got B1"},
    {"expect 8 LastPx=*", 0, "LastPx(31): expected present, missing"},
    {"expect 8 ClOrdID=o2", 0, "ClOrdID(11): expected o2, got run-o1"},
    {"expect 8 9999=z", 0, "9999: expected z, missing"},
    {"expect 9 Side=Sell ExecType=New", 0,
     "MsgType: expected OrderCancelReject, got ExecutionReport; Side(54): expected Sell, got "
     "Buy (1)"},
};

START_TEST(match_table)
{
    static struct fb_client_ids ids;
    struct fb_client_msg m;
    struct fb_client_cmd cmd;
    char line[256], why[512], err[128] = "";
    char *words[FB_CLIENT_MAX_WORDS];
    size_t n;

    memset(&ids, 0, sizeof ids);
    ids.norders = 1;
    snprintf(ids.orders[0].name, sizeof ids.orders[0].name, "o1");
    snprintf(ids.orders[0].clordid, sizeof ids.orders[0].clordid, "run-o1");
    snprintf(line, sizeof line, "%s", match_cases[_i].expect);
    ck_assert_int_eq(fb_client_split(line, words, COUNT(words), &n, err, sizeof err), FB_OK);
    ck_assert_int_eq(fb_client_parse((int)n, words, 1, &cmd, err, sizeof err), FB_OK);
    ck_assert_int_eq(fb_client_msg_parse(er, strlen(er), 1, &m), FB_OK);
    int got = fb_client_match(&cmd, &m, &ids, why, sizeof why);
    ck_assert_msg(got == match_cases[_i].match, "%s: %s", match_cases[_i].expect, why);
    if (!got)
        ck_assert_msg(strstr(why, match_cases[_i].why) != NULL, "why '%s' lacks '%s'", why,
                      match_cases[_i].why);
    fb_client_msg_free(&m);
}
END_TEST

START_TEST(expect_prints_back)
{
    char line[] = "expect ExecutionReport 150=0 Text=\"a b\"", err[64], out[128];
    char *words[8];
    size_t n;
    struct fb_client_cmd cmd;
    ck_assert_int_eq(fb_client_split(line, words, 8, &n, err, sizeof err), FB_OK);
    ck_assert_int_eq(fb_client_parse((int)n, words, 1, &cmd, err, sizeof err), FB_OK);
    fb_client_format_expect(&cmd, 1, out, sizeof out);
    ck_assert_str_eq(out, "ExecutionReport ExecType=0 Text=\"a b\"");
}
END_TEST

/* --- admin lines: parsing, $NAME.Field, the URL ------------------------- */

static const struct {
    const char *line;
    enum fb_err err;
    const char *parsed; /* "METHOD PATH|key=value|..." or a substring of the error */
} admin_cases[] = {
    {"admin POST /sim/price venue=paper symbol=BTCUSDT price=59000", FB_OK,
     "POST /sim/price|venue=paper|symbol=BTCUSDT|price=59000"},
    {"admin GET /orders state=open", FB_OK, "GET /orders|state=open"},
    {"admin GET /health", FB_OK, "GET /health"},
    {"admin POST /sim/cancel venue=paper order_id=$o1.OrderID", FB_OK,
     "POST /sim/cancel|venue=paper|order_id=$o1.OrderID"},
    {"admin POST /sim/cancel order_id=$run.7.37", FB_OK, "POST /sim/cancel|order_id=$run.7.37"},
    {"admin GET /x note=\"a b&c\"", FB_OK, "GET /x|note=a b&c"},
    {"admin PUT /orders", FB_ERR_PARSE, "want GET or POST"},
    {"admin GET orders", FB_ERR_PARSE, "/PATH"},
    {"admin GET /orders?state=open", FB_ERR_PARSE, "/PATH"},
    {"admin GET", FB_ERR_PARSE, "want GET or POST"},
    {"admin GET /orders state", FB_ERR_PARSE, "'state' is not key=value"},
    {"admin GET /orders =open", FB_ERR_PARSE, "is not key=value"},
    {"admin GET /orders st/ate=open", FB_ERR_PARSE, "is not key=value"},
    {"admin POST /sim/cancel order_id=$o1", FB_ERR_PARSE, "want $NAME.Field"},
    {"admin POST /sim/cancel order_id=$.OrderID", FB_ERR_PARSE, "want $NAME.Field"},
    {"admin POST /sim/cancel order_id=$o1.", FB_ERR_PARSE, "want $NAME.Field"},
    {"admin POST /sim/cancel order_id=$o1.Bogus", FB_ERR_PARSE, "unknown field 'Bogus'"},
    {"admin GET /x a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9", FB_ERR_TOO_LARGE, "more than 8"},
};

START_TEST(admin_table)
{
    char line[256], err[256] = "", got[512];
    char *words[FB_CLIENT_MAX_WORDS];
    size_t n;
    struct fb_client_cmd cmd;
    snprintf(line, sizeof line, "%s", admin_cases[_i].line);
    ck_assert_int_eq(fb_client_split(line, words, COUNT(words), &n, err, sizeof err), FB_OK);
    enum fb_err e = fb_client_parse((int)n, words, 1, &cmd, err, sizeof err);
    ck_assert_msg(e == admin_cases[_i].err, "%s: got %d (%s)", admin_cases[_i].line, e, err);
    if (e != FB_OK) {
        ck_assert_msg(strstr(err, admin_cases[_i].parsed) != NULL, "%s: error '%s' lacks '%s'",
                      admin_cases[_i].line, err, admin_cases[_i].parsed);
        return;
    }
    ck_assert_int_eq(cmd.verb, FB_CV_ADMIN);
    snprintf(got, sizeof got, "%s %s", cmd.method, cmd.path);
    for (size_t i = 0; i < cmd.nparams; i++) {
        size_t len = strlen(got);
        snprintf(got + len, sizeof got - len, "|%s=%s", cmd.params[i].key, cmd.params[i].value);
    }
    ck_assert_str_eq(got, admin_cases[_i].parsed);
    /* A script-only verb: one-shot commands cannot make admin requests. */
    ck_assert_int_eq(fb_client_parse((int)n, words, 0, &cmd, err, sizeof err), FB_ERR_PARSE);
}
END_TEST

/* What "the run received": one report for ClOrdID run-o1 (o1), one cancel
 * reject naming it as OrigClOrdID, newest first. */
static const char *seen_stub(void *user, const char *clordid, int tag)
{
    static const struct {
        const char *clordid, *orig;
        int tag;
        const char *value;
    } msgs[] = {
        {"c9", "run-o1", 39, "0"},   /* newest: a cancel reject for o1 */
        {"run-o1", "", 37, "B7"},    /* the ER of o1 */
        {"run-o1", "", 39, "A"},
        {"run-o1", "", 58, "a b&c"},
    };
    (void)user;
    for (size_t i = 0; i < COUNT(msgs); i++)
        if (msgs[i].tag == tag &&
            (strcmp(msgs[i].clordid, clordid) == 0 || strcmp(msgs[i].orig, clordid) == 0))
            return msgs[i].value;
    return NULL;
}

static const struct {
    const char *value;
    enum fb_err err;
    const char *out; /* the expansion, or a substring of the error */
} expand_cases[] = {
    {"paper", FB_OK, "paper"},
    {"", FB_OK, ""},
    {"a$o1.OrderID", FB_OK, "a$o1.OrderID"}, /* only a whole value is a reference */
    {"$o1.OrderID", FB_OK, "B7"},
    {"$o1.37", FB_OK, "B7"},
    {"$o1.OrdStatus", FB_OK, "0"}, /* the last one received, also via OrigClOrdID */
    {"$run-o1.OrderID", FB_OK, "B7"}, /* a ClOrdID works as a name too */
    {"$o1.Text", FB_OK, "a b&c"},
    {"$o1.LastPx", FB_ERR_NOT_FOUND, "no LastPx received yet for order o1 (ClOrdID run-o1)"},
    {"$o2.OrderID", FB_ERR_NOT_FOUND, "no OrderID received yet for order o2"},
    {"$o1", FB_ERR_PARSE, "want $NAME.Field"},
    {"$o1.Nope", FB_ERR_PARSE, "unknown field 'Nope'"},
};

START_TEST(expand_table)
{
    static struct fb_client_ids ids;
    char out[FB_CLIENT_VAL_MAX], err[256] = "";
    memset(&ids, 0, sizeof ids);
    ids.norders = 1;
    snprintf(ids.orders[0].name, sizeof ids.orders[0].name, "o1");
    snprintf(ids.orders[0].clordid, sizeof ids.orders[0].clordid, "run-o1");
    enum fb_err e = fb_client_expand(expand_cases[_i].value, &ids, seen_stub, NULL, out,
                                     sizeof out, err, sizeof err);
    ck_assert_msg(e == expand_cases[_i].err, "%s: got %d (%s)", expand_cases[_i].value, e, err);
    if (e == FB_OK)
        ck_assert_str_eq(out, expand_cases[_i].out);
    else
        ck_assert_msg(strstr(err, expand_cases[_i].out) != NULL, "%s: error '%s' lacks '%s'",
                      expand_cases[_i].value, err, expand_cases[_i].out);
}
END_TEST

START_TEST(expand_limits)
{
    char out[4], err[128] = "";
    ck_assert_int_eq(fb_client_expand("$o1.Text", NULL, seen_stub, NULL, out, sizeof out, err,
                                      sizeof err),
                     FB_ERR_NOT_FOUND); /* o1 is no ClOrdID without ids */
    ck_assert_int_eq(fb_client_expand("$run-o1.Text", NULL, seen_stub, NULL, out, sizeof out,
                                      err, sizeof err),
                     FB_ERR_TOO_LARGE);
    ck_assert_int_eq(fb_client_expand("abc", NULL, NULL, NULL, out, sizeof out, err, sizeof err),
                     FB_OK);
    ck_assert_str_eq(out, "abc");
}
END_TEST

static const struct {
    const char *host;
    unsigned port;
    const char *path;
    const char *k1, *v1, *k2, *v2;
    const char *url;
} url_cases[] = {
    {"127.0.0.1", 8081, "/health", NULL, NULL, NULL, NULL, "http://127.0.0.1:8081/health"},
    {"127.0.0.1", 1, "/orders", "state", "all", NULL, NULL,
     "http://127.0.0.1:1/orders?state=all"},
    {"::1", 65535, "/sim/price", "venue", "paper", "price", "59000.5",
     "http://[::1]:65535/sim/price?venue=paper&price=59000.5"},
    {"127.0.0.1", 80, "sim/cancel", "order_id", "a b&c=d/é", NULL, NULL,
     "http://127.0.0.1:80/sim/cancel?order_id=a%20b%26c%3Dd%2F%C3%A9"},
    {"127.0.0.1", 80, "/x", "k", "A-z_0.9~", NULL, NULL, "http://127.0.0.1:80/x?k=A-z_0.9~"},
};

START_TEST(url_table)
{
    char out[256];
    const char *keys[2] = {url_cases[_i].k1, url_cases[_i].k2};
    const char *vals[2] = {url_cases[_i].v1, url_cases[_i].v2};
    size_t n = url_cases[_i].k2 ? 2 : url_cases[_i].k1 ? 1 : 0;
    ck_assert_int_eq(fb_admin_url(url_cases[_i].host, url_cases[_i].port, url_cases[_i].path,
                                  keys, vals, n, out, sizeof out),
                     FB_OK);
    ck_assert_str_eq(out, url_cases[_i].url);
}
END_TEST

START_TEST(url_too_long)
{
    char out[32];
    const char *k = "order_id", *v = "&&&&&&&&&&"; /* 30 bytes encoded */
    ck_assert_int_eq(fb_admin_url("127.0.0.1", 8081, "/sim/cancel", &k, &v, 1, out, sizeof out),
                     FB_ERR_TOO_LARGE);
    ck_assert_int_eq(fb_admin_url("127.0.0.1", 8081, "/health", NULL, NULL, 0, out, 28),
                     FB_ERR_TOO_LARGE); /* 28 characters need 29 bytes: the NUL */
    ck_assert_int_eq(fb_admin_url("127.0.0.1", 8081, "/health", NULL, NULL, 0, out, 29), FB_OK);
}
END_TEST

static Suite *client_suite(void)
{
    Suite *s = suite_create("client_format");
    TCase *core = tcase_create("core");
    tcase_add_loop_test(core, split_table, 0, COUNT(split_cases));
    tcase_add_loop_test(core, build_table, 0, COUNT(build_cases));
    tcase_add_test(core, id_prefix_applies_to_names_and_references);
    tcase_add_loop_test(core, bad_table, 0, COUNT(bad_cases));
    tcase_add_test(core, script_verbs_need_script_mode);
    tcase_add_loop_test(core, time_table, 0, COUNT(time_cases));
    tcase_add_loop_test(core, format_table, 0, COUNT(format_cases));
    tcase_add_loop_test(core, tag_table, 0, COUNT(tag_cases));
    tcase_add_test(core, names_follow_version);
    tcase_add_loop_test(core, match_table, 0, COUNT(match_cases));
    tcase_add_test(core, expect_prints_back);
    tcase_add_loop_test(core, admin_table, 0, COUNT(admin_cases));
    tcase_add_loop_test(core, expand_table, 0, COUNT(expand_cases));
    tcase_add_loop_test(core, url_table, 0, COUNT(url_cases));
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, split_limits);
    tcase_add_test(limits, format_truncates_and_reports_length);
    tcase_add_loop_test(limits, msg_parse_rejects_garbage, 0, COUNT(bad_raw));
    tcase_add_test(limits, expand_limits);
    tcase_add_test(limits, url_too_long);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(client_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
