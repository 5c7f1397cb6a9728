/*
 * venues.h -- creates the configured venues: finds each backend by its type
 * name in the adapters' registry and maps the YAML config into the
 * backend's own parameters.
 */
#ifndef FB_VENUES_H
#define FB_VENUES_H

#include "adapters/venue.h"
#include "config/config.h"

struct fb_venue_inst {
    const struct fb_venue_ops *ops;
    void *state;
    const char *name; /* borrowed from the config */
    size_t index;
    void *engine;     /* the sink's owner */
};

/*
 * Creates one instance per cfg->venues[i] into insts (an array of
 * cfg->nvenues), each delivering events to sink_fn (and the FIX-in ->
 * request-written figure to written_fn) with user = &insts[i].
 * On failure destroys what it created and writes the reason to errbuf.
 */
enum fb_err fb_venues_create(const struct fb_config *cfg, struct fb_venue_inst *insts,
                             void (*sink_fn)(void *user, const struct fb_venue_event *ev),
                             void (*written_fn)(void *user, int64_t origin_ns,
                                                int64_t written_ns),
                             void *engine, char *errbuf, size_t errlen) FB_WARN_UNUSED;
void fb_venues_destroy(struct fb_venue_inst *insts, size_t n);

#endif
