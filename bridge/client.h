/*
 * client.h -- the pure parts of `fixbridge client`: command and script-line
 * parsing (client_parse.c), building the FIX message a command sends and
 * naming ClOrdIDs (client_build.c), and the pretty-printer and expectation
 * matcher over received messages (client_format.c). None of it does I/O,
 * so tests/fix/test_client_format.c drives it without sockets or QuickFIX;
 * cmd_client.c is the I/O driver around it.
 *
 * Every buffer has a maximum (the FB_CLIENT_* constants); going over is an
 * error that names the limit, never a silent truncation. Decimal arguments
 * are validated with fb_dec_parse_str() and kept as the user typed them.
 */
#ifndef FB_CLIENT_H
#define FB_CLIENT_H

#include <stddef.h>

#include "bridge/decimal.h"
#include "bridge/error.h"

#define FB_CLIENT_VAL_MAX 128       /* one value (ClOrdID, Text, ...), NUL included */
#define FB_CLIENT_MAX_FIELDS 32     /* fields in one command or expectation */
#define FB_CLIENT_MAX_WORDS 64      /* words on one script line */
#define FB_CLIENT_LINE_MAX 4096     /* bytes in one script line */
#define FB_CLIENT_MSG_MAX_FIELDS 256 /* fields in one received message */
#define FB_CLIENT_MAX_ORDERS 4096   /* orders one run remembers by name */
#define FB_CLIENT_DEFAULT_TIMEOUT_MS 5000
#define FB_CLIENT_MAX_PARAMS 8      /* key=value arguments of one admin line */

enum fb_client_verb {
    FB_CV_NEW = 0,     /* buy / sell */
    FB_CV_CANCEL,      /* cancel REF */
    FB_CV_REPLACE,     /* replace REF qty=.. price=.. */
    FB_CV_STATUS,      /* status REF */
    FB_CV_MASS_CANCEL, /* mass-cancel [SYMBOL] */
    FB_CV_MASS_STATUS, /* mass-status [SYMBOL] */
    FB_CV_SEND,        /* send MSGTYPE tag=value... (raw, for negative tests) */
    FB_CV_EXPECT,      /* expect TYPE field=value... [timeout=S] */
    FB_CV_EXPECT_NONE, /* expect-none S */
    FB_CV_WAIT_FOR,    /* wait-for TYPE field=value... [timeout=S] */
    FB_CV_SLEEP,       /* sleep S */
    FB_CV_ADMIN        /* admin GET|POST /PATH key=value... (the admin endpoint) */
};

struct fb_client_kv {
    int tag;
    char value[FB_CLIENT_VAL_MAX];
};

/* One query argument of an admin line. A value "$NAME.Field" stands for the
 * last value of Field the run received for the order NAME (see
 * fb_client_expand()); any other value is literal. */
struct fb_client_param {
    char key[32];
    char value[FB_CLIENT_VAL_MAX];
};

/* One parsed command. Empty strings and 0 chars mean "not given". */
struct fb_client_cmd {
    enum fb_client_verb verb;
    char side;     /* Side(54): '1' buy, '2' sell */
    char ord_type; /* OrdType(40): '1' market, '2' limit, '3' stop, '4' stop limit */
    char tif;      /* TimeInForce(59) */
    int post_only; /* ExecInst(18)=6 */
    char symbol[64];
    char qty[FB_DEC_STRMAX];      /* OrderQty(38), as typed */
    char cash_qty[FB_DEC_STRMAX]; /* CashOrderQty(152) */
    char price[FB_DEC_STRMAX];    /* Price(44) */
    char stop_px[FB_DEC_STRMAX];  /* StopPx(99) */
    char display[FB_DEC_STRMAX];  /* MaxFloor(111) */
    char expire[32]; /* gtd=: 8 digits -> ExpireDate(432), else ExpireTime(126) */
    char id[64];     /* id=NAME for the ClOrdID this command sends; "" = generate */
    char ref[64];    /* the order a cancel/replace/status refers to */
    char account[64];
    char exdest[64];
    /* send/expect/wait-for: MsgType ("" = any, for expect *). */
    char msg_type[8];
    /* Extra NNN=value fields (orders, send) or the expected fields. */
    struct fb_client_kv fields[FB_CLIENT_MAX_FIELDS];
    size_t nfields;
    /* expect/wait-for: timeout (0 = default); expect-none/sleep: duration. */
    unsigned timeout_ms;
    /* admin: method ("GET"/"POST"), path ("/sim/price") and query arguments. */
    char method[8];
    char path[128];
    struct fb_client_param params[FB_CLIENT_MAX_PARAMS];
    size_t nparams;
};

/*
 * Splits a script line in place into words: blanks separate, '#' outside
 * quotes starts a comment, "..." groups (also inside a word: Text="a b"),
 * backslash escapes '"' and '\' inside quotes. Stores at most max words in
 * words[] (pointers into line). FB_ERR_PARSE on an unterminated quote,
 * FB_ERR_TOO_LARGE over max; err gets a message.
 */
enum fb_err fb_client_split(char *line, char **words, size_t max, size_t *nwords, char *err,
                            size_t errlen) FB_WARN_UNUSED;

/*
 * Parses one command from words (argv style, words[0] is the verb).
 * script != 0 also allows the script-only verbs (expect, sleep, ...).
 * On error returns FB_ERR_PARSE / FB_ERR_TOO_LARGE / FB_ERR_INVALID and
 * writes a one-line reason to err.
 */
enum fb_err fb_client_parse(int nwords, char *const *words, int script, struct fb_client_cmd *out,
                            char *err, size_t errlen) FB_WARN_UNUSED;

/* --- ClOrdIDs and what the run knows about its orders ------------------- */

struct fb_client_order {
    char name[64];                /* as referenced in commands */
    char clordid[FB_CLIENT_VAL_MAX]; /* as sent */
    char symbol[64];
    char side;
    char ord_type;
    char qty[FB_DEC_STRMAX];
    char price[FB_DEC_STRMAX];
};

/*
 * Names -> ClOrdIDs. A command's id=NAME is sent as prefix + NAME; without
 * id=, the name is gen + a counter (1, 2, ...), so a run is deterministic
 * given prefix and gen. Caller allocates (it is large) and zero-fills, then
 * sets prefix and gen.
 */
struct fb_client_ids {
    char prefix[32];
    char gen[32];
    unsigned counter;
    struct fb_client_order orders[FB_CLIENT_MAX_ORDERS];
    size_t norders;
};

/* The order called name, or NULL. Later definitions win. */
const struct fb_client_order *fb_client_ids_find(const struct fb_client_ids *ids,
                                                 const char *name);
/* The ClOrdID that name stands for: the remembered one, or name itself. */
const char *fb_client_ids_resolve(const struct fb_client_ids *ids, const char *name);

/*
 * What the run received, for $NAME.Field in admin lines: seen(user, clordid,
 * tag) returns the last value of tag in a received message whose ClOrdID(11)
 * or OrigClOrdID(41) is clordid, or NULL.
 */
typedef const char *(*fb_client_seen_fn)(void *user, const char *clordid, int tag);

/*
 * Expands one admin argument value into out: "$NAME.Field" becomes the
 * field's last received value for the order NAME (its ClOrdID through ids,
 * else NAME itself as a ClOrdID); anything else is copied. FB_ERR_NOT_FOUND
 * with a reason when nothing was received for it yet, FB_ERR_PARSE on a
 * malformed reference, FB_ERR_TOO_LARGE over outlen. With seen NULL only
 * the syntax is checked and value is copied unchanged (ids may be NULL).
 */
enum fb_err fb_client_expand(const char *value, const struct fb_client_ids *ids,
                             fb_client_seen_fn seen, void *user, char *out, size_t outlen,
                             char *err, size_t errlen) FB_WARN_UNUSED;

/* The message a command sends. Values point into this struct or into the
 * command; valid while both live. */
struct fb_client_out {
    char msg_type[8];
    size_t nfields;
    int tags[FB_CLIENT_MAX_FIELDS + 24];
    const char *values[FB_CLIENT_MAX_FIELDS + 24];
    char clordid[FB_CLIENT_VAL_MAX]; /* the ClOrdID (or request id) sent, "" if none */
    char orig[FB_CLIENT_VAL_MAX];    /* OrigClOrdID sent, "" if none */
    char name[64];                   /* the name clordid was given */
    /* Storage for values taken from a remembered order or made up here. */
    char symbol[64];
    char qty[FB_DEC_STRMAX];
    char price[FB_DEC_STRMAX];
    char side[2], ord_type[2], tif[2], mass_type[2];
};

/*
 * Builds the message for an order command (not expect/sleep/admin/...). fix44
 * selects FIX 4.4 rules (else 4.2: HandlInst(21) and OrderQty on a cancel
 * are required). transact_time is TransactTime(60), injected for tests.
 * Records new names in ids. FB_ERR_INVALID with a reason when a referenced
 * order is unknown and symbol=/side= were not given.
 */
enum fb_err fb_client_build(const struct fb_client_cmd *cmd, struct fb_client_ids *ids, int fix44,
                            const char *transact_time, struct fb_client_out *out, char *err,
                            size_t errlen) FB_WARN_UNUSED;

/* --- Received messages: names, pretty-printing, expectations ------------ */

struct fb_client_field {
    int tag;
    const char *value; /* points into the message's buffer */
};

struct fb_client_msg {
    int fix44; /* names follow 8=FIX.4.4 (else 4.2) */
    char *buf; /* owned copy of the raw text, SOH replaced by NUL */
    size_t nfields;
    struct fb_client_field f[FB_CLIENT_MSG_MAX_FIELDS];
};

/* Parses raw tag=value text separated by SOH (or '|' when bar != 0) into
 * m, which owns a copy afterwards (free with fb_client_msg_free()). */
enum fb_err fb_client_msg_parse(const char *raw, size_t len, int bar,
                                struct fb_client_msg *m) FB_WARN_UNUSED;
void fb_client_msg_free(struct fb_client_msg *m);
/* The first value of tag, or NULL. */
const char *fb_client_msg_get(const struct fb_client_msg *m, int tag);

/* Field name of tag in FIX 4.2 or 4.4, or NULL. */
const char *fb_client_tag_name(int tag, int fix44);
/* Tag for a field name (4.2 or 4.4 spelling) or a decimal tag; -1 if neither. */
int fb_client_tag_parse(const char *s);
/* Enum name of (tag, value) in that version, or NULL. */
const char *fb_client_enum_name(int tag, const char *value, int fix44);
/* MsgType for a name ("ExecutionReport") or a MsgType itself ("8"); NULL
 * if s is neither a known name nor a plausible MsgType. */
const char *fb_client_msgtype_parse(const char *s);
/* Name of a MsgType, or NULL. */
const char *fb_client_msgtype_name(const char *msg_type);

/*
 * Writes m as one line: the MsgType name, then body fields as Name=Value
 * with enum names (unknown tags as the number, unknown values raw; values
 * with blanks quoted). Session header/trailer fields are left out. Returns
 * the length the full line needs (like snprintf); out always ends in NUL.
 */
size_t fb_client_format(const struct fb_client_msg *m, char *out, size_t outlen);
/* Same for an outbound message about to be sent. */
size_t fb_client_format_out(const struct fb_client_out *o, int fix44, char *out, size_t outlen);

/*
 * 1 if m matches the expectation (an FB_CV_EXPECT/FB_CV_WAIT_FOR command):
 * the MsgType and every listed field compare exactly as text; a value may
 * also be the enum name, an order name known to ids (for ClOrdID and
 * OrigClOrdID), "*" (present) or "!" (absent). Otherwise 0, and why lists
 * every difference ("OrdStatus(39): expected Filled, got New (0)").
 */
int fb_client_match(const struct fb_client_cmd *expect, const struct fb_client_msg *m,
                    const struct fb_client_ids *ids, char *why, size_t whylen);

/* The expectation as text, for failure messages. */
size_t fb_client_format_expect(const struct fb_client_cmd *expect, int fix44, char *out,
                               size_t outlen);

#endif
