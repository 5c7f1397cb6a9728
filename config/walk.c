/*
 * walk.c -- applies a key table (config/keys.c) to a YAML mapping, and the
 * table-driven free and dump. The only place that knows how a row's type
 * maps to storage.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config/schema.h"

static void *field(void *obj, size_t off)
{
    return (char *)obj + off;
}

static const void *cfield(const void *obj, size_t off)
{
    return (const char *)obj + off;
}

void cfg_join(char *buf, const char *path, const char *name)
{
    if (path && path[0])
        snprintf(buf, CFG_PATH_MAX, "%s.%s", path, name);
    else
        snprintf(buf, CFG_PATH_MAX, "%s", name);
}

/* A key may have one row per group of variants (venues[].throttle has
 * other defaults for sim than for REST venues): the row valid for variants
 * wins, else the first of that name (which then reports "only valid for"). */
static const struct cfg_key *find_key(const struct cfg_table *t, const char *name,
                                      unsigned variants)
{
    const struct cfg_key *first = NULL;
    for (size_t i = 0; i < t->nkeys; i++) {
        const struct cfg_key *k = &t->keys[i];
        if (strcmp(k->name, name) != 0)
            continue;
        if (k->variants == 0 || (k->variants & variants))
            return k;
        if (!first)
            first = k;
    }
    return first;
}

static bool is_string_type(enum cfg_type type)
{
    switch (type) {
    case CFG_STR:
    case CFG_NAME:
    case CFG_COMPID:
    case CFG_ENVNAME:
    case CFG_PATH:
    case CFG_URL:
    case CFG_IPADDR:
    case CFG_PWHASH:
        return true;
    case CFG_UINT:
    case CFG_U64:
    case CFG_BOOL:
    case CFG_ENUM:
    case CFG_DEC:
    case CFG_TIME:
    case CFG_CIDRS:
    case CFG_FLAGS:
    case CFG_MAP:
    case CFG_LIST:
    case CFG_FORBIDDEN:
        break;
    }
    return false;
}

static const char *check_string(enum cfg_type type, const char *s)
{
    switch (type) {
    case CFG_NAME:
        return cfg_check_name(s);
    case CFG_COMPID:
        return cfg_check_compid(s);
    case CFG_ENVNAME:
        return cfg_check_envname(s);
    case CFG_URL:
        return cfg_check_url(s);
    case CFG_IPADDR:
        return cfg_check_ipaddr(s);
    case CFG_PWHASH:
        return cfg_check_pwhash(s);
    default:
        return NULL;
    }
}

/* Relative paths are taken from the config file's directory, not the
 * process's working directory, so a config means the same wherever the
 * bridge is started from. */
static char *resolve_path(const struct cfg_ctx *ctx, const char *s)
{
    if (s[0] == '/' || !ctx->base_dir || !ctx->base_dir[0])
        return strdup(s);
    size_t n = strlen(ctx->base_dir) + 1 + strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", ctx->base_dir, s);
    return p;
}

static void store_string(struct cfg_ctx *ctx, char **slot, char *value)
{
    if (!value) {
        ctx->nomem = true;
        return;
    }
    free(*slot);
    *slot = value;
}

static void apply_enum(struct cfg_ctx *ctx, const struct cfg_key *k, const struct yt_node *n,
                       void *obj, const char *path)
{
    for (size_t i = 0; k->names[i]; i++) {
        if (strcmp(n->str, k->names[i]) == 0) {
            *(int *)field(obj, k->off) = (int)(k->min + (int64_t)i);
            return;
        }
    }
    char list[256] = "";
    size_t len = 0;
    for (size_t i = 0; k->names[i] && len < sizeof list; i++) {
        int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", k->names[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    cfg_error(ctx, n, path, "must be one of: %s", list);
}

/* A list of names becomes a bit set, so "which of these are allowed" stays
 * one readable line in the file and one word in the struct. */
static void apply_flags(struct cfg_ctx *ctx, const struct cfg_key *k, const struct yt_node *n,
                        void *obj, const char *path)
{
    unsigned bits = 0;
    bool ok = true;
    if (n->kind != YT_SEQ) {
        cfg_error(ctx, n, path, "expected a list, got %s", yt_kind_name(n));
        return;
    }
    if (n->n < (size_t)k->min || n->n > (size_t)k->max) {
        cfg_error(ctx, n, path, "must have %" PRId64 " to %" PRId64 " entries", k->min, k->max);
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        const struct yt_node *item = n->items[i];
        char ipath[CFG_PATH_MAX];
        size_t j = 0;
        if (snprintf(ipath, sizeof ipath, "%s[%zu]", path, i) < 0)
            ipath[0] = '\0';
        while (item->kind == YT_SCALAR && k->names[j] && strcmp(item->str, k->names[j]) != 0)
            j++;
        if (item->kind != YT_SCALAR || !k->names[j]) {
            struct cfg_key one = *k;
            one.type = CFG_ENUM;
            one.off = 0;
            one.min = 0;
            if (item->kind == YT_SCALAR)
                apply_enum(ctx, &one, item, &(int){0}, ipath); /* reports the names */
            else
                cfg_error(ctx, item, ipath, "expected a single value, got %s", yt_kind_name(item));
            ok = false;
        } else if (bits & (1u << j)) {
            cfg_error(ctx, item, ipath, "listed twice");
            ok = false;
        } else {
            bits |= 1u << j;
        }
    }
    if (ok)
        *(unsigned *)field(obj, k->off) = bits;
}

static void apply_list(struct cfg_ctx *ctx, const struct cfg_key *k, const struct yt_node *n,
                       void *obj, const char *path)
{
    if (n->kind != YT_SEQ) {
        cfg_error(ctx, n, path, "expected a list, got %s", yt_kind_name(n));
        return;
    }
    if (n->n < (size_t)k->min || n->n > (size_t)k->max) {
        cfg_error(ctx, n, path, "must have %" PRId64 " to %" PRId64 " entries", k->min, k->max);
        return;
    }
    size_t elem = k->type == CFG_LIST ? k->sub->size : sizeof(struct fb_cidr);
    char *arr = calloc(n->n, elem);
    if (!arr) {
        ctx->nomem = true;
        return;
    }
    /* Attach first so cfg_free_table() releases whatever the items got. */
    *(void **)field(obj, k->off) = arr;
    *(size_t *)field(obj, k->off_aux) = n->n;
    for (size_t i = 0; i < n->n; i++) {
        char ipath[CFG_PATH_MAX];
        if (snprintf(ipath, sizeof ipath, "%s[%zu]", path, i) < 0)
            ipath[0] = '\0';
        const struct yt_node *item = n->items[i];
        if (k->type == CFG_LIST) {
            cfg_apply_table(ctx, k->sub, item, arr + i * elem, ipath);
            continue;
        }
        const char *why =
            item->kind != YT_SCALAR
                ? "expected an IPv4/IPv6 address or CIDR"
                : cfg_parse_cidr(item->str, (struct fb_cidr *)(void *)(arr + i * elem));
        if (why)
            cfg_error(ctx, item, ipath, "%s", why);
    }
}

static void apply_value(struct cfg_ctx *ctx, const struct cfg_key *k, const struct yt_node *n,
                        void *obj, const char *path)
{
    const char *why = NULL;
    uint64_t u = 0;

    if (k->type == CFG_MAP) {
        if (k->flags & CFG_OPTIONAL)
            *(bool *)field(obj, k->off_aux) = true;
        cfg_apply_table(ctx, k->sub, n, field(obj, k->off), path);
        return;
    }
    if (k->type == CFG_LIST || k->type == CFG_CIDRS) {
        apply_list(ctx, k, n, obj, path);
        return;
    }
    if (k->type == CFG_FLAGS) {
        apply_flags(ctx, k, n, obj, path);
        return;
    }
    if (n->kind != YT_SCALAR) {
        cfg_error(ctx, n, path, "expected a single value, got %s", yt_kind_name(n));
        return;
    }
    if (cfg_is_null(n)) {
        cfg_error(ctx, n, path, "has no value");
        return;
    }
    if (is_string_type(k->type)) {
        size_t len = strlen(n->str);
        if (len < (size_t)k->min || len > (size_t)k->max) {
            cfg_error(ctx, n, path, "must be %" PRId64 " to %" PRId64 " characters long", k->min,
                      k->max);
            return;
        }
        why = check_string(k->type, n->str);
        if (why) {
            cfg_error(ctx, n, path, "%s", why);
            return;
        }
        char **slot = field(obj, k->off);
        store_string(ctx, slot, k->type == CFG_PATH ? resolve_path(ctx, n->str) : strdup(n->str));
        return;
    }
    switch (k->type) {
    case CFG_UINT:
    case CFG_U64:
        why = cfg_parse_uint(n, k->min, k->max, &u);
        if (why)
            break;
        if (k->type == CFG_UINT)
            *(unsigned *)field(obj, k->off) = (unsigned)u;
        else
            *(uint64_t *)field(obj, k->off) = u;
        break;
    case CFG_BOOL:
        why = cfg_parse_bool(n, field(obj, k->off));
        break;
    case CFG_ENUM:
        apply_enum(ctx, k, n, obj, path);
        break;
    case CFG_DEC: {
        struct fb_dec d;
        why = config_parse_decimal(n->str, &d);
        if (!why && k->min > 0 && fb_dec_sign(d) <= 0)
            why = "must be greater than 0";
        else if (!why && fb_dec_sign(d) < 0)
            why = "must not be negative";
        if (!why)
            *(struct fb_dec *)field(obj, k->off) = d;
        break;
    }
    case CFG_TIME:
        why = cfg_parse_time(n->str, field(obj, k->off));
        break;
    default:
        why = "internal error: unhandled key type";
        break;
    }
    if (why)
        cfg_error(ctx, n, path, "%s", why);
}

static bool valid_for(const struct cfg_key *k, unsigned variants)
{
    return k->variants == 0 || (k->variants & variants);
}

static void variant_error(struct cfg_ctx *ctx, const struct cfg_table *t, const struct cfg_key *k,
                          const struct yt_node *key, const char *path)
{
    char list[128] = "";
    size_t len = 0;
    int count = 0;
    for (unsigned v = 0; t->variant_names[v]; v++) {
        if (!(k->variants & (1u << v)))
            continue;
        int w =
            snprintf(list + len, sizeof list - len, "%s%s", count ? ", " : "", t->variant_names[v]);
        if (w < 0 || (size_t)w >= sizeof list - len)
            break;
        len += (size_t)w;
        count++;
    }
    cfg_error(ctx, key, path, "only valid for %s %s", count > 1 ? "types" : "type", list);
}

static void apply_default(struct cfg_ctx *ctx, const struct cfg_key *k, void *obj, const char *path)
{
    char text[CFG_PATH_MAX];
    struct yt_node n = {.kind = YT_SCALAR, .line = 0, .col = 0, .str = text, .plain = true};
    snprintf(text, sizeof text, "%s", k->def);
    if (k->type == CFG_PATH && k->def[0] == '/') {
        /* An absolute default (the compiled-in dictionary_dir) is used as is. */
        store_string(ctx, field(obj, k->off), strdup(k->def));
        return;
    }
    if (k->type == CFG_FLAGS) {
        /* The default is the names separated by spaces: "market limit". */
        struct yt_node items[32], *ptrs[32];
        struct yt_node seq = {.kind = YT_SEQ, .items = ptrs};
        for (char *save = NULL, *w = strtok_r(text, " ", &save); w && seq.n < 32;
             w = strtok_r(NULL, " ", &save)) {
            items[seq.n] = n;
            items[seq.n].str = w;
            ptrs[seq.n] = &items[seq.n];
            seq.n++;
        }
        apply_value(ctx, k, &seq, obj, path);
        return;
    }
    apply_value(ctx, k, &n, obj, path);
}

bool cfg_apply_table(struct cfg_ctx *ctx, const struct cfg_table *t, const struct yt_node *map,
                     void *obj, const char *path)
{
    size_t before = ctx->nerrs;
    char kpath[CFG_PATH_MAX];
    unsigned variants = ~0u;
    bool variant_known = false;

    if (map->kind != YT_MAP) {
        cfg_error(ctx, map, path, "expected a mapping, got %s",
                  cfg_is_null(map) ? "nothing" : yt_kind_name(map));
        return false;
    }
    if (t->variant_key) {
        const struct yt_node *vn = yt_map_get(map, t->variant_key);
        const struct cfg_key *vk = find_key(t, t->variant_key, ~0u);
        if (vn) {
            size_t b = ctx->nerrs;
            cfg_join(kpath, path, vk->name);
            apply_value(ctx, vk, vn, obj, kpath);
            if (ctx->nerrs == b) {
                variants = 1u << *(const int *)field(obj, vk->off);
                variant_known = true;
            }
        }
    }
    for (size_t i = 0; i < t->nkeys; i++) {
        const struct cfg_key *k = &t->keys[i];
        if (k->def && valid_for(k, variants)) {
            cfg_join(kpath, path, k->name);
            apply_default(ctx, k, obj, kpath);
        }
        if (k->type == CFG_MAP && !(k->flags & CFG_OPTIONAL) && valid_for(k, variants) &&
            !yt_map_get(map, k->name)) {
            /* An absent non-optional section still gets its defaults. */
            struct yt_node empty = {.kind = YT_MAP, .line = map->line, .col = map->col};
            cfg_join(kpath, path, k->name);
            cfg_apply_table(ctx, k->sub, &empty, field(obj, k->off), kpath);
        }
    }
    for (size_t i = 0; i + 1 < map->n; i += 2) {
        const struct yt_node *key = map->items[i], *val = map->items[i + 1];
        cfg_join(kpath, path, key->str);
        const struct yt_node *first = yt_map_key(map, key->str);
        if (first != key) {
            cfg_error(ctx, key, kpath, "duplicate key (first given at line %u)", first->line);
            continue;
        }
        const struct cfg_key *k = find_key(t, key->str, variants);
        if (!k) {
            cfg_error(ctx, key, kpath, "unknown key in %s", t->what);
            continue;
        }
        if (k->type == CFG_FORBIDDEN) {
            cfg_error(ctx, key, kpath, "%s", k->doc);
            continue;
        }
        if (variant_known && !valid_for(k, variants)) {
            variant_error(ctx, t, k, key, kpath);
            continue;
        }
        if (t->variant_key && strcmp(k->name, t->variant_key) == 0)
            continue; /* applied above */
        if (k->variants && !variant_known)
            continue; /* type missing or invalid: already reported */
        apply_value(ctx, k, val, obj, kpath);
    }
    for (size_t i = 0; i < t->nkeys; i++) {
        const struct cfg_key *k = &t->keys[i];
        if (!(k->flags & CFG_REQUIRED) || yt_map_get(map, k->name))
            continue;
        if (k->variants && !variant_known)
            continue;
        if (!valid_for(k, variants))
            continue;
        cfg_join(kpath, path, k->name);
        if (k->variants)
            cfg_error(ctx, map, kpath, "missing required key for type %s",
                      t->variant_names[*(const int *)field(
                          obj, find_key(t, t->variant_key, ~0u)->off)]);
        else
            cfg_error(ctx, map, kpath, "missing required key");
    }
    if ((ctx->nerrs == before || t->check_despite_errors) && !ctx->nomem && t->check)
        t->check(ctx, map, obj, path);
    return ctx->nerrs == before;
}

void cfg_free_table(const struct cfg_table *t, void *obj)
{
    for (size_t i = 0; i < t->nkeys; i++) {
        const struct cfg_key *k = &t->keys[i];
        if (is_string_type(k->type) || k->type == CFG_CIDRS) {
            free(*(void **)field(obj, k->off));
        } else if (k->type == CFG_MAP) {
            cfg_free_table(k->sub, field(obj, k->off));
        } else if (k->type == CFG_LIST) {
            char *arr = *(void **)field(obj, k->off);
            size_t n = *(size_t *)field(obj, k->off_aux);
            for (size_t j = 0; arr && j < n; j++)
                cfg_free_table(k->sub, arr + j * k->sub->size);
            free(arr);
        }
    }
}

/* A sparse table's row that its block does not set. */
static bool dump_skips(const struct cfg_table *t, const struct cfg_key *k, const void *obj)
{
    if (!t->set_names)
        return false;
    uint32_t set = *(const uint32_t *)cfield(obj, t->set_off);
    for (size_t i = 0; t->set_names[i]; i++)
        if (strcmp(t->set_names[i], k->name) == 0)
            return !(set & (1u << i));
    return false;
}

static bool dump_cidrs(const struct fb_cidr *c, size_t n, const char *kpath, FILE *out)
{
    if (fprintf(out, "%s =", kpath) < 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char buf[INET6_ADDRSTRLEN];
        if (!inet_ntop(c[i].family, c[i].addr, buf, sizeof buf))
            snprintf(buf, sizeof buf, "?");
        if (fprintf(out, "%s %s/%u", i ? "," : "", buf, c[i].prefix) < 0)
            return false;
    }
    return fputc('\n', out) != EOF;
}

bool cfg_dump_table(const struct cfg_table *t, const void *obj, const char *prefix, FILE *out)
{
    unsigned variants = ~0u;
    char kpath[CFG_PATH_MAX];
    if (t->variant_key)
        variants = 1u << *(const int *)cfield(obj, find_key(t, t->variant_key, ~0u)->off);
    for (size_t i = 0; i < t->nkeys; i++) {
        const struct cfg_key *k = &t->keys[i];
        const void *p = cfield(obj, k->off);
        int w = 0;
        if (k->type == CFG_FORBIDDEN || !valid_for(k, variants) || dump_skips(t, k, obj))
            continue;
        cfg_join(kpath, prefix, k->name);
        if (is_string_type(k->type)) {
            const char *s = *(char *const *)p;
            if (fprintf(out, "%s = %s\n", kpath,
                        !s                           ? "(none)"
                        : (k->flags & CFG_SECRETISH) ? "(set)"
                                                     : s) < 0)
                return false;
            continue;
        }
        switch (k->type) {
        case CFG_UINT:
            w = fprintf(out, "%s = %u\n", kpath, *(const unsigned *)p);
            break;
        case CFG_U64:
            w = fprintf(out, "%s = %" PRIu64 "\n", kpath, *(const uint64_t *)p);
            break;
        case CFG_BOOL:
            w = fprintf(out, "%s = %s\n", kpath, *(const bool *)p ? "true" : "false");
            break;
        case CFG_ENUM: {
            int64_t idx = *(const int *)p - k->min;
            w = fprintf(out, "%s = %s\n", kpath, idx < 0 ? "(none)" : k->names[idx]);
            break;
        }
        case CFG_DEC: {
            char buf[FB_DEC_STRMAX];
            cfg_format_decimal(*(const struct fb_dec *)p, buf);
            w = fprintf(out, "%s = %s\n", kpath, buf);
            break;
        }
        case CFG_TIME: {
            uint32_t s = *(const uint32_t *)p;
            w = fprintf(out, "%s = %02u:%02u:%02u\n", kpath, s / 3600, s / 60 % 60, s % 60);
            break;
        }
        case CFG_CIDRS: {
            size_t n = *(const size_t *)cfield(obj, k->off_aux);
            if (n == 0)
                w = fprintf(out, "%s = (any)\n", kpath);
            else if (!dump_cidrs(*(struct fb_cidr *const *)p, n, kpath, out))
                return false;
            break;
        }
        case CFG_FLAGS: {
            unsigned bits = *(const unsigned *)p;
            const char *sep = "";
            w = fprintf(out, "%s =", kpath);
            for (size_t j = 0; w >= 0 && k->names[j]; j++) {
                if (bits & (1u << j)) {
                    w = fprintf(out, "%s %s", sep, k->names[j]);
                    sep = ",";
                }
            }
            if (w >= 0)
                w = fputc('\n', out) == EOF ? -1 : 0;
            break;
        }
        case CFG_MAP:
            if ((k->flags & CFG_OPTIONAL) && !*(const bool *)cfield(obj, k->off_aux))
                w = fprintf(out, "%s = (none)\n", kpath);
            else if (!cfg_dump_table(k->sub, p, kpath, out))
                return false;
            break;
        case CFG_LIST: {
            const char *arr = *(const void *const *)p;
            size_t n = *(const size_t *)cfield(obj, k->off_aux);
            for (size_t j = 0; j < n; j++) {
                char ipath[CFG_PATH_MAX];
                if (snprintf(ipath, sizeof ipath, "%s[%zu]", kpath, j) < 0)
                    ipath[0] = '\0';
                if (!cfg_dump_table(k->sub, arr + j * k->sub->size, ipath, out))
                    return false;
            }
            break;
        }
        default:
            break;
        }
        if (w < 0)
            return false;
    }
    return true;
}
