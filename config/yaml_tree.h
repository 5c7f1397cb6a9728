/*
 * yaml_tree.h -- a YAML document as a small tree that remembers where each
 * node came from (after h2o's yoml), so every config error can name
 * file:line:col.
 *
 * Only what a config needs: mappings, sequences and scalars. Aliases, more
 * than one document and nesting deeper than YT_MAX_DEPTH are refused, so
 * nothing downstream has to think about cycles or unbounded recursion.
 */
#ifndef FB_CONFIG_YAML_TREE_H
#define FB_CONFIG_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "bridge/error.h"

#define YT_MAX_DEPTH 32

enum yt_kind { YT_SCALAR, YT_MAP, YT_SEQ };

struct yt_node {
    enum yt_kind kind;
    unsigned line; /* 1-based */
    unsigned col;  /* 1-based */
    /* YT_SCALAR: NUL-terminated text (never contains a NUL itself). */
    char *str;
    bool plain; /* written without quotes, so "null", "yes" and "1e5" mean what YAML says */
    /* YT_MAP: items[2i] is a key (always a scalar), items[2i+1] its value.
     * YT_SEQ: items[i]. n counts items in both cases. */
    struct yt_node **items;
    size_t n;
};

/*
 * Parses text (len bytes) into a tree. On success *root is the document's
 * root node, or NULL for an empty document; free with yt_free(). On failure
 * returns FB_ERR_PARSE or FB_ERR_NOMEM and, for a parse error, writes
 * "line:col: reason" into err (errlen bytes, always NUL-terminated).
 */
enum fb_err yt_parse(const char *text, size_t len, struct yt_node **root, char *err,
                     size_t errlen) FB_WARN_UNUSED;

void yt_free(struct yt_node *node);

/* Number of key/value pairs of a mapping. */
static inline size_t yt_map_size(const struct yt_node *map)
{
    return map->n / 2;
}

/* The value for key in map, or NULL (first match). */
const struct yt_node *yt_map_get(const struct yt_node *map, const char *key);
/* The key node for key in map, or NULL. */
const struct yt_node *yt_map_key(const struct yt_node *map, const char *key);

/* "a mapping", "a list", "a string", ... for messages. */
const char *yt_kind_name(const struct yt_node *node);

#endif
