#include "config/yaml_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static struct yt_node *node_new(enum yt_kind kind, yaml_mark_t mark)
{
    struct yt_node *n = calloc(1, sizeof *n);
    if (n) {
        n->kind = kind;
        n->line = (unsigned)mark.line + 1;
        n->col = (unsigned)mark.column + 1;
    }
    return n;
}

void yt_free(struct yt_node *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->n; i++)
        yt_free(node->items[i]);
    free(node->items);
    free(node->str);
    free(node);
}

/* Takes ownership of child in all cases, so the caller never double-frees. */
static enum fb_err append(struct yt_node *parent, struct yt_node *child, size_t *cap)
{
    if (parent->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct yt_node **items = realloc(parent->items, ncap * sizeof *items);
        if (!items) {
            yt_free(child);
            return FB_ERR_NOMEM;
        }
        parent->items = items;
        *cap = ncap;
    }
    parent->items[parent->n++] = child;
    return FB_OK;
}

struct frame {
    struct yt_node *node;
    size_t cap;
};

FB_PRINTF(4, 5)
static enum fb_err fail(char *err, size_t errlen, yaml_mark_t mark, const char *fmt, ...);

static enum fb_err fail(char *err, size_t errlen, yaml_mark_t mark, const char *fmt, ...)
{
    int k = snprintf(err, errlen, "%zu:%zu: ", mark.line + 1, mark.column + 1);
    if (k >= 0 && (size_t)k < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return FB_ERR_PARSE;
}

enum fb_err yt_parse(const char *text, size_t len, struct yt_node **root, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct frame stack[YT_MAX_DEPTH + 1];
    size_t depth = 0;
    struct yt_node *doc = NULL;
    int ndocs = 0;
    enum fb_err rc = FB_OK;
    bool done = false;

    if (errlen)
        err[0] = '\0';
    if (!yaml_parser_initialize(&parser))
        return FB_ERR_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            if (parser.error == YAML_MEMORY_ERROR)
                rc = FB_ERR_NOMEM;
            else
                rc = fail(err, errlen, parser.problem_mark, "%s",
                          parser.problem ? parser.problem : "invalid YAML");
            goto out;
        }
        struct yt_node *n = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++ndocs > 1)
                rc = fail(err, errlen, ev.start_mark, "only one YAML document is allowed");
            break;
        case YAML_ALIAS_EVENT:
            /* Aliases would let one node appear twice in the tree (and in
             * the config): refuse rather than reason about sharing. */
            rc = fail(err, errlen, ev.start_mark, "YAML aliases are not supported");
            break;
        case YAML_SCALAR_EVENT:
            n = node_new(YT_SCALAR, ev.start_mark);
            if (!n) {
                rc = FB_ERR_NOMEM;
                break;
            }
            if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length)) {
                yt_free(n);
                rc = fail(err, errlen, ev.start_mark, "scalar contains a NUL character");
                break;
            }
            n->str = malloc(ev.data.scalar.length + 1);
            if (!n->str) {
                yt_free(n);
                rc = FB_ERR_NOMEM;
                break;
            }
            memcpy(n->str, ev.data.scalar.value, ev.data.scalar.length);
            n->str[ev.data.scalar.length] = '\0';
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev.data.scalar.tag;
            break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth == YT_MAX_DEPTH) {
                rc =
                    fail(err, errlen, ev.start_mark, "nesting deeper than %d levels", YT_MAX_DEPTH);
                break;
            }
            n = node_new(ev.type == YAML_MAPPING_START_EVENT ? YT_MAP : YT_SEQ, ev.start_mark);
            if (!n) {
                rc = FB_ERR_NOMEM;
                break;
            }
            stack[depth].node = n;
            stack[depth].cap = 0;
            depth++;
            n = NULL; /* attached to its parent when it ends */
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            n = stack[--depth].node;
            break;
        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            break;
        }
        yaml_event_delete(&ev);
        if (rc) {
            yt_free(n);
            goto out;
        }
        if (!n)
            continue;
        if (depth == 0) {
            doc = n;
            continue;
        }
        struct frame *top = &stack[depth - 1];
        if (top->node->kind == YT_MAP && top->node->n % 2 == 0 && n->kind != YT_SCALAR) {
            yaml_mark_t m = {0, n->line - 1, n->col - 1};
            yt_free(n);
            rc = fail(err, errlen, m, "mapping keys must be plain strings");
            goto out;
        }
        rc = append(top->node, n, &top->cap);
        if (rc)
            goto out;
    }
    *root = doc;
    doc = NULL;
out:
    while (depth > 0)
        yt_free(stack[--depth].node);
    yt_free(doc);
    yaml_parser_delete(&parser);
    return rc;
}

const struct yt_node *yt_map_key(const struct yt_node *map, const char *key)
{
    if (!map || map->kind != YT_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (strcmp(map->items[i]->str, key) == 0)
            return map->items[i];
    return NULL;
}

const struct yt_node *yt_map_get(const struct yt_node *map, const char *key)
{
    if (!map || map->kind != YT_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (strcmp(map->items[i]->str, key) == 0)
            return map->items[i + 1];
    return NULL;
}

const char *yt_kind_name(const struct yt_node *node)
{
    switch (node->kind) {
    case YT_MAP:
        return "a mapping";
    case YT_SEQ:
        return "a list";
    case YT_SCALAR:
        break;
    }
    return "a scalar";
}
