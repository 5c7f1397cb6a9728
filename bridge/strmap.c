#include "bridge/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char tombstone_key;
#define TOMBSTONE (&tombstone_key)

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (size_t)(h ^ (h >> 29));
}

void fb_strmap_init(struct fb_strmap *m)
{
    memset(m, 0, sizeof *m);
}

void fb_strmap_free(struct fb_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
            free(m->slots[i].key);
    }
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static enum fb_err grow(struct fb_strmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    /* If tombstones make up most of the load, rehash at the same size. */
    if (m->cap && m->live * 2 < m->cap)
        ncap = m->cap;
    struct fb_strmap_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return FB_ERR_NOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        struct fb_strmap_slot *s = &m->slots[i];
        if (!s->key || s->key == TOMBSTONE)
            continue;
        size_t j = s->hash & (ncap - 1);
        while (ns[j].key)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    m->used = m->live;
    return FB_OK;
}

static struct fb_strmap_slot *find(const struct fb_strmap *m, const char *key, size_t h)
{
    if (!m->cap)
        return NULL;
    for (size_t j = h & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
        struct fb_strmap_slot *s = &m->slots[j];
        if (!s->key)
            return NULL;
        if (s->key != TOMBSTONE && s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

enum fb_err fb_strmap_put(struct fb_strmap *m, const char *key, void *value)
{
    size_t h = hash_str(key);
    struct fb_strmap_slot *s = find(m, key, h);
    if (s) {
        s->value = value;
        return FB_OK;
    }
    if ((m->used + 1) * 10 >= m->cap * 7) {
        enum fb_err rc = grow(m);
        if (rc)
            return rc;
    }
    char *k = strdup(key);
    if (!k)
        return FB_ERR_NOMEM;
    size_t j = h & (m->cap - 1);
    while (m->slots[j].key && m->slots[j].key != TOMBSTONE)
        j = (j + 1) & (m->cap - 1);
    if (!m->slots[j].key)
        m->used++;
    m->slots[j].key = k;
    m->slots[j].hash = h;
    m->slots[j].value = value;
    m->live++;
    return FB_OK;
}

void *fb_strmap_get(const struct fb_strmap *m, const char *key)
{
    struct fb_strmap_slot *s = find(m, key, hash_str(key));
    return s ? s->value : NULL;
}

void *fb_strmap_del(struct fb_strmap *m, const char *key)
{
    struct fb_strmap_slot *s = find(m, key, hash_str(key));
    if (!s)
        return NULL;
    void *v = s->value;
    free(s->key);
    s->key = TOMBSTONE;
    s->value = NULL;
    m->live--;
    return v;
}
