/*
 * schema.h -- the config's key tables and the one walker that applies them
 * (internal to config/).
 *
 * After Redis's static_configs[]: every key is one `struct cfg_key` row
 * holding its name, type, bounds, default, where it is stored and its doc.
 * Loading, defaults, validation of single values, the summary dump and
 * freeing are all driven by the rows; only rules that relate two keys live
 * in code, in each table's `check` hook (config/checks.c).
 */
#ifndef FB_CONFIG_SCHEMA_H
#define FB_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "config/yaml_tree.h"

enum cfg_type {
    CFG_UINT,     /* unsigned, min..max */
    CFG_U64,      /* uint64_t, min..max (max as int64 bounds, 0 max = UINT64_MAX) */
    CFG_BOOL,     /* bool: true/false/yes/no */
    CFG_STR,      /* char *: any text, length min..max */
    CFG_NAME,     /* char *: [A-Za-z0-9_.-], length min..max */
    CFG_COMPID,   /* char *: printable ASCII, no spaces, length min..max */
    CFG_ENVNAME,  /* char *: an environment variable name */
    CFG_PATH,     /* char *: a path, stored resolved against the file's directory */
    CFG_URL,      /* char *: http:// or https:// */
    CFG_IPADDR,   /* char *: an IPv4 or IPv6 literal */
    CFG_PWHASH,   /* char *: sha256:<salt hex>:<64 hex> */
    CFG_ENUM,     /* int-sized enum: value = min + index into names[] */
    CFG_DEC,      /* struct fb_dec; min 1 means > 0, else >= 0 */
    CFG_TIME,     /* uint32_t seconds since midnight, "HH:MM:SS" */
    CFG_CIDRS,    /* struct fb_cidr * at off, size_t count at off_count */
    CFG_FLAGS,    /* unsigned at off: a list of names[], bit i for names[i]; min..max entries */
    CFG_MAP,      /* nested struct at off; see CFG_OPTIONAL */
    CFG_LIST,     /* array of sub->size structs at off, size_t count at off_count */
    CFG_FORBIDDEN /* never valid; doc is the reason */
};

/* Row flags. */
#define CFG_REQUIRED 0x1u  /* must be present (where valid for the variant) */
#define CFG_SECRETISH 0x2u /* the summary prints "(set)" instead of the value */
#define CFG_OPTIONAL                                                                               \
    0x4u /* CFG_MAP: off_aux is a bool "present"; absent = all zero. Without                       \
          * it an absent section still gets its defaults. */

/* Variant masks: which venue types a key is valid for (0 = all). */
#define CFG_V(type) (1u << (type))

struct cfg_ctx;
struct cfg_table;

struct cfg_key {
    const char *name;
    enum cfg_type type;
    unsigned flags;
    unsigned variants;
    int64_t min, max;            /* see the type; for lists: element count bounds */
    const char *def;             /* default as YAML text, parsed like the file's; NULL: zero/NULL */
    size_t off;                  /* value's offset in the owning struct */
    size_t off_aux;              /* CFG_MAP: bool present; CFG_LIST/CFG_CIDRS: size_t count */
    const char *const *names;    /* CFG_ENUM, NULL-terminated */
    const struct cfg_table *sub; /* CFG_MAP, CFG_LIST */
    const char *doc;
};

/* A mapping's keys. check runs after the rows applied without error. */
struct cfg_table {
    const char *what; /* "session", "venue", ... */
    const struct cfg_key *keys;
    size_t nkeys;
    size_t size;                      /* sizeof the struct a mapping fills */
    const char *variant_key;          /* an enum key applied first; its value selects variants */
    const char *const *variant_names; /* for "only valid for type ..." messages */
    void (*check)(struct cfg_ctx *ctx, const struct yt_node *map, void *obj, const char *path);
    /* Run check even when keys below had errors (it must then cope with
     * NULL strings and short lists), so cross-references are reported in
     * the same pass as typos. */
    bool check_despite_errors;
    /* Sparse blocks (policy overrides): the dump shows only the rows whose
     * name is set_names[i] with bit i set in the uint32_t at set_off (the
     * check hook fills it), so an unset key never prints as a zero. */
    const char *const *set_names;
    size_t set_off;
};

extern const struct cfg_table cfg_root_table;
/* policy limit key names in enum fb_policy_key order, NULL-terminated. */
extern const char *const cfg_policy_key_names[FB_PK_LAST + 1];

struct cfg_err {
    unsigned line, col;
    char *msg; /* the whole line, without a newline */
};

/* Loader state: where messages go and what paths resolve against. */
struct cfg_ctx {
    const char *file;
    const char *base_dir;
    struct cfg_err *errs; /* the first FB_CONFIG_MAX_ERRORS */
    size_t nerrs;         /* all, including those not kept */
    bool nomem;
};

/* Records "file:line:col: path: reason" at node (NULL node: line 1 col 1;
 * NULL or "" path omits the key part). Never put a free-form config value
 * in the reason: it could be a secret pasted into the wrong key (a validated
 * name, such as a venue's, is fine). */
void cfg_error(struct cfg_ctx *ctx, const struct yt_node *node, const char *path, const char *fmt,
               ...) FB_PRINTF(4, 5);

/* Fills obj (a zeroed table->size struct) from map. Returns false if any
 * error was recorded for this mapping or below. */
bool cfg_apply_table(struct cfg_ctx *ctx, const struct cfg_table *t, const struct yt_node *map,
                     void *obj, const char *path);
/* Frees what obj's strings and lists own (not obj itself). */
void cfg_free_table(const struct cfg_table *t, void *obj);
/* Writes obj as "prefix.key = value" lines. Returns false on a write error. */
bool cfg_dump_table(const struct cfg_table *t, const void *obj, const char *prefix, FILE *out);

/* Single-value parsers: return NULL on success or a static reason. */
const char *cfg_parse_uint(const struct yt_node *n, int64_t min, int64_t max, uint64_t *out);
const char *cfg_parse_bool(const struct yt_node *n, bool *out);
const char *config_parse_decimal(const char *s, struct fb_dec *out);
const char *cfg_parse_time(const char *s, uint32_t *out);
const char *cfg_parse_cidr(const char *s, struct fb_cidr *out);
const char *cfg_check_ipaddr(const char *s);
const char *cfg_check_name(const char *s);
const char *cfg_check_compid(const char *s);
const char *cfg_check_envname(const char *s);
const char *cfg_check_url(const char *s);
const char *cfg_check_pwhash(const char *s);
/* True if n is a YAML null (~, null, or an empty plain scalar). */
bool cfg_is_null(const struct yt_node *n);
/* Formats a decimal exactly; buf holds FB_DEC_STRMAX bytes. */
void cfg_format_decimal(struct fb_dec d, char *buf);

/* Table check hooks (config/checks.c). */
/* "path.name" (or "name" for the root) into buf of CFG_PATH_MAX bytes. */
#define CFG_PATH_MAX 512
void cfg_join(char *buf, const char *path, const char *name);

void cfg_check_root(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_session(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_credentials(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_tls(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_schedule(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_venue(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_market(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_session_throttle(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_venue_throttle(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_breaker(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_policy_default(struct cfg_ctx *, const struct yt_node *, void *, const char *);
void cfg_check_policy_override(struct cfg_ctx *, const struct yt_node *, void *, const char *);

#endif
