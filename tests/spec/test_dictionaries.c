/*
 * Structural checks of the bridge's own QuickFIX data dictionaries,
 * spec/FIX42.xml and spec/FIX44.xml:
 *  - every field is defined once, with a number, a name and a known type;
 *  - every field, group and component referenced from the header, trailer,
 *    messages, components and groups is defined;
 *  - the header, trailer and session messages carry the standard fields;
 *  - every standard message type of the version is declared;
 *  - spec/bridge_tags.txt (the tags the bridge reads and writes, and the enum
 *    values it honours) agrees with the dictionaries;
 *  - the properties QuickFIX's session-layer acceptance scripts depend on
 *    (see spec/RULES_OF_ENGAGEMENT.md, "Conformance").
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#ifndef FB_SOURCE_DIR
#error "FB_SOURCE_DIR must be defined"
#endif

#define MAX_TAG 10000
#define MAX_ENUMS 64

struct field {
    int num;
    const char *name;
    const char *type;
    int nenums;
    const char *enums[MAX_ENUMS];
};

struct dict {
    const char *version; /* "FIX.4.2" */
    xmlDocPtr doc;
    xmlNodePtr header, trailer, messages, components;
    struct field *fields; /* indexed by tag number; num == 0 when undefined */
    int nfields;
};

static struct dict dicts[2] = {{.version = "FIX.4.2"}, {.version = "FIX.4.4"}};

/* ---- small helpers ---- */

static const char *source_dir(void)
{
    const char *d = getenv("FB_SOURCE_DIR");
    return d && *d ? d : FB_SOURCE_DIR;
}

static int is_elem(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* Attribute as a C string owned by the document: the dictionaries stay
 * loaded for the whole run. xmlHasProp, unlike xmlGetProp, copies nothing,
 * so LeakSanitizer has nothing to report. */
static const char *attr(xmlNodePtr n, const char *name)
{
    xmlAttrPtr a = xmlHasProp(n, (const xmlChar *)name);
    if (!a || !a->children || !a->children->content)
        return a ? "" : NULL;
    return (const char *)a->children->content;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
        if (is_elem(n, name))
            return n;
    return NULL;
}

static int field_by_name(const struct dict *d, const char *name)
{
    for (int t = 1; t < MAX_TAG; t++)
        if (d->fields[t].num && strcmp(d->fields[t].name, name) == 0)
            return t;
    return 0;
}

static xmlNodePtr component_by_name(const struct dict *d, const char *name)
{
    for (xmlNodePtr c = d->components ? d->components->children : NULL; c; c = c->next) {
        const char *n = is_elem(c, "component") ? attr(c, "name") : NULL;
        if (n && strcmp(n, name) == 0)
            return c;
    }
    return NULL;
}

static xmlNodePtr message_by_type(const struct dict *d, const char *msgtype)
{
    for (xmlNodePtr m = d->messages->children; m; m = m->next) {
        const char *t = is_elem(m, "message") ? attr(m, "msgtype") : NULL;
        if (t && strcmp(t, msgtype) == 0)
            return m;
    }
    return NULL;
}

static const char *const known_types[] = {
    "STRING",   "CHAR",         "PRICE",       "INT",       "AMT",          "QTY",
    "CURRENCY", "MULTIPLEVALUESTRING",         "EXCHANGE",  "UTCTIMESTAMP", "BOOLEAN",
    "LOCALMKTDATE",             "DATA",        "FLOAT",     "PRICEOFFSET",  "MONTHYEAR",
    "DAYOFMONTH",               "UTCDATE",     "UTCDATEONLY",               "UTCTIMEONLY",
    "NUMINGROUP",               "PERCENTAGE",  "SEQNUM",    "LENGTH",       "COUNTRY",
};

static int known_type(const char *t)
{
    for (size_t i = 0; i < sizeof known_types / sizeof known_types[0]; i++)
        if (strcmp(t, known_types[i]) == 0)
            return 1;
    return 0;
}

/* ---- loading; every structural problem found is appended to errs ---- */

static char errs[8192];

static void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void err(const char *fmt, ...)
{
    size_t used = strlen(errs);
    if (used + 2 >= sizeof errs)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errs + used, sizeof errs - used - 1, fmt, ap);
    va_end(ap);
    strcat(errs, "\n");
}

static void load(struct dict *d)
{
    if (d->doc)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/spec/FIX%c%c.xml", source_dir(), d->version[4],
             d->version[6]);
    d->doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    ck_assert_msg(d->doc != NULL, "cannot parse %s", path);
    xmlNodePtr root = xmlDocGetRootElement(d->doc);
    ck_assert_msg(root && is_elem(root, "fix"), "%s: root element is not <fix>", path);
    ck_assert_str_eq(attr(root, "major"), "4");
    ck_assert_str_eq(attr(root, "minor"), d->version[6] == '2' ? "2" : "4");
    d->header = child(root, "header");
    d->trailer = child(root, "trailer");
    d->messages = child(root, "messages");
    d->components = child(root, "components");
    ck_assert_msg(d->header && d->trailer && d->messages, "%s: missing section", path);

    d->fields = calloc(MAX_TAG, sizeof *d->fields);
    ck_assert_ptr_nonnull(d->fields);
    xmlNodePtr fields = child(root, "fields");
    ck_assert_msg(fields != NULL, "%s: no <fields>", path);
    for (xmlNodePtr f = fields->children; f; f = f->next) {
        if (!is_elem(f, "field"))
            continue;
        const char *num = attr(f, "number"), *name = attr(f, "name"), *type = attr(f, "type");
        if (!num || !name || !type || !*name) {
            err("%s: <field> without number, name or type (%s)", d->version, name ? name : "?");
            continue;
        }
        char *end;
        long n = strtol(num, &end, 10);
        if (*end || n <= 0 || n >= MAX_TAG) {
            err("%s: field %s has bad number '%s'", d->version, name, num);
            continue;
        }
        if (!known_type(type))
            err("%s: field %ld %s has unknown type %s", d->version, n, name, type);
        if (d->fields[n].num)
            err("%s: field number %ld defined twice (%s, %s)", d->version, n, d->fields[n].name,
                name);
        if (field_by_name(d, name))
            err("%s: field name %s defined twice", d->version, name);
        struct field *fd = &d->fields[n];
        fd->num = (int)n;
        fd->name = name;
        fd->type = type;
        d->nfields++;
        for (xmlNodePtr v = f->children; v; v = v->next) {
            if (!is_elem(v, "value"))
                continue;
            const char *e = attr(v, "enum");
            if (!e || !*e) {
                err("%s: field %s has a value without enum", d->version, name);
                continue;
            }
            for (int i = 0; i < fd->nenums; i++)
                if (strcmp(fd->enums[i], e) == 0)
                    err("%s: field %s lists value %s twice", d->version, name, e);
            if (fd->nenums < MAX_ENUMS)
                fd->enums[fd->nenums++] = e;
        }
    }
}

static struct dict *dict(const char *version)
{
    for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++) {
        if (strcmp(dicts[i].version, version) == 0) {
            load(&dicts[i]);
            return &dicts[i];
        }
    }
    ck_abort_msg("no dictionary for %s", version);
    return NULL;
}

/*
 * Walk the members of a header, trailer, message, group or component: check
 * every reference, and mark every tag the message can carry (groups
 * included) in seen[]. top[] marks tags at the top level of the message
 * (after expanding components) to find duplicates.
 */
static void walk(const struct dict *d, xmlNodePtr node, const char *where, unsigned char *seen,
                 unsigned char *top, int depth)
{
    if (depth > 16) {
        err("%s %s: nesting too deep (component cycle?)", d->version, where);
        return;
    }
    for (xmlNodePtr n = node->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = attr(n, "name");
        const char *req = attr(n, "required");
        if (!name) {
            err("%s %s: <%s> without name", d->version, where, (const char *)n->name);
            continue;
        }
        if (!req || (strcmp(req, "Y") != 0 && strcmp(req, "N") != 0))
            err("%s %s: %s has required='%s'", d->version, where, name, req ? req : "");
        if (is_elem(n, "component")) {
            xmlNodePtr c = component_by_name(d, name);
            if (!c)
                err("%s %s: component %s is not defined", d->version, where, name);
            else
                walk(d, c, where, seen, top, depth + 1);
            continue;
        }
        if (!is_elem(n, "field") && !is_elem(n, "group")) {
            err("%s %s: unexpected <%s>", d->version, where, (const char *)n->name);
            continue;
        }
        int tag = field_by_name(d, name);
        if (!tag) {
            err("%s %s: %s is not defined in <fields>", d->version, where, name);
            continue;
        }
        if (top) {
            if (top[tag])
                err("%s %s: tag %d appears twice", d->version, where, tag);
            top[tag] = 1;
        }
        seen[tag] = 1;
        if (is_elem(n, "group")) {
            const char *t = d->fields[tag].type;
            if (strcmp(t, "NUMINGROUP") != 0 && strcmp(t, "INT") != 0)
                err("%s %s: group %s has type %s", d->version, where, name, t);
            xmlNodePtr first = n->children;
            while (first && first->type != XML_ELEMENT_NODE)
                first = first->next;
            if (!first)
                err("%s %s: group %s is empty", d->version, where, name);
            unsigned char *gtop = calloc(MAX_TAG, 1);
            ck_assert_ptr_nonnull(gtop);
            walk(d, n, where, seen, gtop, depth + 1);
            free(gtop);
        }
    }
}

/* Tags a message can carry (all levels); caller frees. NULL if undeclared. */
static unsigned char *message_tags(const struct dict *d, const char *msgtype)
{
    xmlNodePtr m = message_by_type(d, msgtype);
    if (!m)
        return NULL;
    unsigned char *seen = calloc(MAX_TAG, 1), *top = calloc(MAX_TAG, 1);
    ck_assert(seen && top);
    walk(d, m, msgtype, seen, top, 0);
    free(top);
    return seen;
}

/* Whether the message declares tag at its top level (components expanded). */
static int top_level_has(const struct dict *d, xmlNodePtr node, int tag, int depth)
{
    for (xmlNodePtr n = node->children; n && depth < 16; n = n->next) {
        const char *name = n->type == XML_ELEMENT_NODE ? attr(n, "name") : NULL;
        if (!name)
            continue;
        if (is_elem(n, "component")) {
            xmlNodePtr c = component_by_name(d, name);
            if (c && top_level_has(d, c, tag, depth + 1))
                return 1;
        } else if (field_by_name(d, name) == tag) {
            return 1;
        }
    }
    return 0;
}

static xmlNodePtr member(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr n = node->children; n; n = n->next) {
        const char *nm = n->type == XML_ELEMENT_NODE ? attr(n, "name") : NULL;
        if (nm && strcmp(nm, name) == 0)
            return n;
    }
    return NULL;
}

static int has_enum(const struct dict *d, int tag, const char *v)
{
    for (int i = 0; i < d->fields[tag].nenums; i++)
        if (strcmp(d->fields[tag].enums[i], v) == 0)
            return 1;
    return 0;
}

/* ---- tests ---- */

static void check_structure(const char *version)
{
    errs[0] = '\0';
    struct dict *d = dict(version);
    ck_assert_int_gt(d->nfields, 100);
    unsigned char *seen = calloc(MAX_TAG, 1), *top = calloc(MAX_TAG, 1);
    ck_assert(seen && top);
    walk(d, d->header, "header", seen, top, 0);
    memset(top, 0, MAX_TAG);
    walk(d, d->trailer, "trailer", seen, top, 0);
    for (xmlNodePtr c = d->components ? d->components->children : NULL; c; c = c->next) {
        if (!is_elem(c, "component"))
            continue;
        memset(top, 0, MAX_TAG);
        walk(d, c, attr(c, "name"), seen, top, 0);
    }
    int nmsg = 0;
    for (xmlNodePtr m = d->messages->children; m; m = m->next) {
        if (!is_elem(m, "message"))
            continue;
        const char *mt = attr(m, "msgtype"), *cat = attr(m, "msgcat"), *name = attr(m, "name");
        if (!mt || !*mt || !name || !cat) {
            err("%s: message without msgtype, name or msgcat", version);
            continue;
        }
        if (strcmp(cat, "admin") != 0 && strcmp(cat, "app") != 0)
            err("%s %s: msgcat '%s'", version, mt, cat);
        if (message_by_type(d, mt) != m)
            err("%s: msgtype %s declared twice", version, mt);
        memset(top, 0, MAX_TAG);
        walk(d, m, mt, seen, top, 0);
        nmsg++;
    }
    /* No user-defined tags: 14a expects 5000 to be an invalid tag number. */
    for (int t = 5000; t < MAX_TAG; t++)
        if (d->fields[t].num)
            err("%s: user-defined field %d %s", version, t, d->fields[t].name);
    free(seen);
    free(top);
    ck_assert_msg(errs[0] == '\0', "%s", errs);
}

START_TEST(fix42_structure)
{
    check_structure("FIX.4.2");
}
END_TEST

START_TEST(fix44_structure)
{
    check_structure("FIX.4.4");
}
END_TEST

static void check_all_types(const char *version, const char *const *types, size_t n)
{
    struct dict *d = dict(version);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(message_by_type(d, types[i]) != NULL, "%s: MsgType %s not declared",
                      version, types[i]);
    size_t declared = 0;
    for (xmlNodePtr m = d->messages->children; m; m = m->next)
        declared += is_elem(m, "message");
    ck_assert_uint_eq(declared, n);
}

/* Every standard message type of the version is declared: those the bridge
 * does not handle must reach it to be answered with 35=j, 380=3. */
START_TEST(fix42_every_standard_msgtype)
{
    static const char *const t[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B",
                                    "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P",
                                    "Q", "R", "S", "T", "V", "W", "X", "Y", "Z", "a", "b", "c",
                                    "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"};
    check_all_types("FIX.4.2", t, sizeof t / sizeof t[0]);
    struct dict *d = dict("FIX.4.2");
    ck_assert_ptr_null(message_by_type(d, "q"));
    ck_assert_ptr_null(message_by_type(d, "r"));
    ck_assert_ptr_null(message_by_type(d, "AF"));
}
END_TEST

START_TEST(fix44_every_standard_msgtype)
{
    static const char *const t[] = {
        "0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "A",  "B",  "C",  "D",
        "E",  "F",  "G",  "H",  "J",  "K",  "L",  "M",  "N",  "P",  "Q",  "R",  "S",  "T",
        "V",  "W",  "X",  "Y",  "Z",  "a",  "b",  "c",  "d",  "e",  "f",  "g",  "h",  "i",
        "j",  "k",  "l",  "m",  "n",  "o",  "p",  "q",  "r",  "s",  "t",  "u",  "v",  "w",
        "x",  "y",  "z",  "AA", "AB", "AC", "AD", "AE", "AF", "AG", "AH", "AI", "AJ", "AK",
        "AL", "AM", "AN", "AO", "AP", "AQ", "AR", "AS", "AT", "AU", "AV", "AW", "AX", "AY",
        "AZ", "BA", "BB", "BC", "BD", "BE", "BF", "BG", "BH"};
    check_all_types("FIX.4.4", t, sizeof t / sizeof t[0]);
}
END_TEST

static void check_header_trailer(const char *version)
{
    struct dict *d = dict(version);
    static const int required[] = {8, 9, 35, 49, 56, 34, 52};
    static const int optional[] = {115, 128, 90, 91, 50, 142, 57, 143, 116, 144, 129, 145,
                                   43,  97,  122, 212, 213, 347, 369};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        xmlNodePtr f = member(d->header, d->fields[required[i]].name ? d->fields[required[i]].name
                                                                     : "?");
        ck_assert_msg(f != NULL, "%s header lacks %d", version, required[i]);
        ck_assert_str_eq(attr(f, "required"), "Y");
    }
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        const char *name = d->fields[optional[i]].name;
        ck_assert_msg(name && member(d->header, name), "%s header lacks %d", version,
                      optional[i]);
        ck_assert_str_eq(attr(member(d->header, name), "required"), "N");
    }
    if (strcmp(version, "FIX.4.4") == 0)
        ck_assert_ptr_nonnull(member(d->header, "NoHops"));
    else
        ck_assert_ptr_nonnull(member(d->header, "OnBehalfOfSendingTime"));
    ck_assert_ptr_nonnull(member(d->trailer, "SignatureLength"));
    ck_assert_ptr_nonnull(member(d->trailer, "Signature"));
    ck_assert_str_eq(attr(member(d->trailer, "CheckSum"), "required"), "Y");
    /* Data fields the parser must know to read binary values. */
    ck_assert_str_eq(d->fields[91].type, "DATA");
    ck_assert_str_eq(d->fields[96].type, "DATA");
    ck_assert_str_eq(d->fields[89].type, "DATA");
}

START_TEST(fix42_header_trailer)
{
    check_header_trailer("FIX.4.2");
}
END_TEST

START_TEST(fix44_header_trailer)
{
    check_header_trailer("FIX.4.4");
}
END_TEST

/* What the session-layer acceptance scripts need from the dictionaries. */
static void check_conformance(const char *version)
{
    struct dict *d = dict(version);
    int v44 = strcmp(version, "FIX.4.4") == 0;
    /* 14i: NoTradingSessions is a group in D whose first member is 336. */
    xmlNodePtr g = member(message_by_type(d, "D"), "NoTradingSessions");
    ck_assert_msg(g && is_elem(g, "group"), "%s: D lacks group 386", version);
    xmlNodePtr first = g->children;
    while (first && first->type != XML_ELEMENT_NODE)
        first = first->next;
    ck_assert_str_eq(attr(first, "name"), "TradingSessionID");
    /* ReverseRoute: 40=w is out of range. */
    ck_assert(!has_enum(d, 40, "w"));
    ck_assert_int_gt(d->fields[40].nenums, 0);
    /* 14f and RejectResentMessage: format checks. */
    ck_assert_str_eq(d->fields[38].type, "QTY");
    ck_assert_str_eq(d->fields[126].type, "UTCTIMESTAMP");
    ck_assert_str_eq(d->fields[60].type, "UTCTIMESTAMP");
    ck_assert_str_eq(d->fields[52].type, "UTCTIMESTAMP");
    ck_assert_str_eq(d->fields[122].type, "UTCTIMESTAMP");
    /* 14b: the lowest-numbered required tag the scripts omit from D is
     * 55 (FIX.4.2, where 11 is sent) and 11 (FIX.4.4); OrderQty must not be
     * required (2k sends D without it). */
    xmlNodePtr dm = message_by_type(d, "D");
    ck_assert_str_eq(attr(member(dm, "ClOrdID"), "required"), "Y");
    ck_assert_str_eq(attr(member(dm, "Symbol"), "required"), "Y");
    ck_assert_str_eq(attr(member(dm, "OrderQty"), "required"), "N");
    for (int t = 1; t < 55; t++) {
        const char *name = d->fields[t].name;
        xmlNodePtr f = name ? member(dm, name) : NULL;
        if (f && strcmp(attr(f, "required"), "Y") == 0)
            ck_assert_msg(t == 11 || t == 21 || t == 40 || t == 54,
                          "%s: D requires tag %d, which 14b/2k do not send", version, t);
    }
    /* 14c: Symbol is defined but not part of a Heartbeat. */
    ck_assert_int_eq(d->fields[55].num, 55);
    ck_assert(!top_level_has(d, message_by_type(d, "0"), 55, 0));
    /* 14a: 999 is not a tag of either version. */
    ck_assert_int_eq(d->fields[999].num, 0);
    /* 2q: '*' is no message type. */
    ck_assert_ptr_null(message_by_type(d, "*"));
    /* 2r: an ExecutionReport with these tags passes validation. */
    unsigned char *er = message_tags(d, "8");
    ck_assert_ptr_nonnull(er);
    static const int er_tags[] = {37, 17, 150, 39, 55, 54, 151, 14, 6};
    for (size_t i = 0; i < sizeof er_tags / sizeof er_tags[0]; i++)
        ck_assert_msg(er[er_tags[i]], "%s: 8 lacks %d", version, er_tags[i]);
    if (!v44)
        ck_assert(er[20]);
    free(er);
    ck_assert(has_enum(d, 150, "0") && has_enum(d, 39, "0") && has_enum(d, 54, "1"));
    ck_assert(has_enum(d, 21, "1") && has_enum(d, 21, "3") && has_enum(d, 40, "1"));
    if (!v44)
        ck_assert(has_enum(d, 20, "0"));
    /* Logon: credentials in both versions; 141 for SessionReset. */
    xmlNodePtr logon = message_by_type(d, "A");
    ck_assert_ptr_nonnull(member(logon, "Username"));
    ck_assert_ptr_nonnull(member(logon, "Password"));
    ck_assert_ptr_nonnull(member(logon, "ResetSeqNumFlag"));
    ck_assert_str_eq(attr(member(logon, "EncryptMethod"), "required"), "Y");
    ck_assert_str_eq(attr(member(logon, "HeartBtInt"), "required"), "Y");
    if (v44)
        ck_assert_ptr_nonnull(member(logon, "NextExpectedMsgSeqNum"));
    /* Session messages used by the scripts. */
    ck_assert(top_level_has(d, message_by_type(d, "0"), 112, 0));
    ck_assert(top_level_has(d, message_by_type(d, "4"), 123, 0));
    ck_assert(top_level_has(d, message_by_type(d, "4"), 36, 0));
    ck_assert_str_eq(d->fields[43].type, "BOOLEAN");
    ck_assert_str_eq(d->fields[123].type, "BOOLEAN");
}

START_TEST(fix42_conformance_needs)
{
    check_conformance("FIX.4.2");
}
END_TEST

START_TEST(fix44_conformance_needs)
{
    check_conformance("FIX.4.4");
}
END_TEST

/* spec/bridge_tags.txt against both dictionaries. */
START_TEST(bridge_tags_declared)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/spec/bridge_tags.txt", source_dir());
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    char line[2048];
    int lineno = 0, nmsg = 0, nenum = 0;
    errs[0] = '\0';
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *save = NULL;
        char *ver = strtok_r(line, " \t\r\n", &save);
        if (!ver)
            continue;
        char *what = strtok_r(NULL, " \t\r\n", &save);
        ck_assert_msg(what != NULL, "%s:%d: incomplete line", path, lineno);
        struct dict *d = dict(ver);
        if (strcmp(what, "enum") == 0) {
            char *tagstr = strtok_r(NULL, " \t\r\n", &save);
            ck_assert_msg(tagstr != NULL, "%s:%d: enum without tag", path, lineno);
            int tag = atoi(tagstr);
            ck_assert_msg(tag > 0 && tag < MAX_TAG && d->fields[tag].num, "%s:%d: %s tag %s",
                          path, lineno, ver, tagstr);
            int n = 0;
            for (char *v; (v = strtok_r(NULL, " \t\r\n", &save)) != NULL; n++)
                if (!has_enum(d, tag, v))
                    err("%s:%d: %s tag %d lacks value %s", path, lineno, ver, tag, v);
            if (n != d->fields[tag].nenums)
                err("%s:%d: %s tag %d has %d values, the line %d", path, lineno, ver, tag,
                    d->fields[tag].nenums, n);
            nenum++;
            continue;
        }
        char *dir = strtok_r(NULL, " \t\r\n", &save);
        ck_assert_msg(dir && (strcmp(dir, "in") == 0 || strcmp(dir, "out") == 0 ||
                              strcmp(dir, "ign") == 0),
                      "%s:%d: direction must be in, ign or out", path, lineno);
        unsigned char *tags = message_tags(d, what);
        if (!tags) {
            err("%s:%d: %s does not declare MsgType %s", path, lineno, ver, what);
            continue;
        }
        for (char *t; (t = strtok_r(NULL, " \t\r\n", &save)) != NULL;) {
            int tag = atoi(t);
            if (tag <= 0 || tag >= MAX_TAG || !tags[tag])
                err("%s:%d: %s %s does not declare tag %s", path, lineno, ver, what, t);
        }
        free(tags);
        nmsg++;
    }
    fclose(fp);
    ck_assert_msg(errs[0] == '\0', "%s", errs);
    ck_assert_int_ge(nmsg, 40);
    ck_assert_int_ge(nenum, 30);
}
END_TEST

/* Tags the dictionaries declare in the bridge's own messages must each be
 * listed in bridge_tags.txt (as in, ign or out): nothing is accepted that
 * the Rules of Engagement do not account for. */
START_TEST(bridge_messages_accounted_for)
{
    static const char *const own[][2] = {
        {"FIX.4.2", "D"}, {"FIX.4.2", "F"}, {"FIX.4.2", "G"}, {"FIX.4.2", "H"},
        {"FIX.4.2", "8"}, {"FIX.4.2", "9"}, {"FIX.4.2", "j"}, {"FIX.4.4", "D"},
        {"FIX.4.4", "F"}, {"FIX.4.4", "G"}, {"FIX.4.4", "H"}, {"FIX.4.4", "q"},
        {"FIX.4.4", "AF"}, {"FIX.4.4", "8"}, {"FIX.4.4", "9"}, {"FIX.4.4", "j"},
        {"FIX.4.4", "r"}};
    char path[1024];
    snprintf(path, sizeof path, "%s/spec/bridge_tags.txt", source_dir());
    errs[0] = '\0';
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        struct dict *d = dict(own[i][0]);
        unsigned char *tags = message_tags(d, own[i][1]);
        ck_assert_ptr_nonnull(tags);
        unsigned char *listed = calloc(MAX_TAG, 1);
        ck_assert_ptr_nonnull(listed);
        FILE *fp = fopen(path, "r");
        ck_assert_ptr_nonnull(fp);
        char line[2048];
        while (fgets(line, sizeof line, fp)) {
            char *hash = strchr(line, '#');
            if (hash)
                *hash = '\0';
            char *save = NULL;
            char *ver = strtok_r(line, " \t\r\n", &save);
            char *mt = ver ? strtok_r(NULL, " \t\r\n", &save) : NULL;
            char *dir = mt ? strtok_r(NULL, " \t\r\n", &save) : NULL;
            if (!dir || strcmp(ver, own[i][0]) != 0 || strcmp(mt, own[i][1]) != 0)
                continue;
            for (char *t; (t = strtok_r(NULL, " \t\r\n", &save)) != NULL;) {
                int tag = atoi(t);
                if (tag > 0 && tag < MAX_TAG)
                    listed[tag] = 1;
            }
        }
        fclose(fp);
        for (int t = 1; t < MAX_TAG; t++)
            if (tags[t] && !listed[t])
                err("%s %s declares tag %d (%s), not listed in bridge_tags.txt", own[i][0],
                    own[i][1], t, d->fields[t].name);
        free(listed);
        free(tags);
    }
    ck_assert_msg(errs[0] == '\0', "%s", errs);
}
END_TEST

static Suite *dictionaries_suite(void)
{
    Suite *s = suite_create("dictionaries");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fix42_structure);
    tcase_add_test(tc, fix44_structure);
    tcase_add_test(tc, fix42_every_standard_msgtype);
    tcase_add_test(tc, fix44_every_standard_msgtype);
    tcase_add_test(tc, fix42_header_trailer);
    tcase_add_test(tc, fix44_header_trailer);
    tcase_add_test(tc, fix42_conformance_needs);
    tcase_add_test(tc, fix44_conformance_needs);
    tcase_add_test(tc, bridge_tags_declared);
    tcase_add_test(tc, bridge_messages_accounted_for);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    xmlInitParser();
    SRunner *sr = srunner_create(dictionaries_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    xmlCleanupParser();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
