/*
 * The venue registry: every backend by type name (the config's venue
 * `type:`). Like curl's available_backends[] in lib/vtls/vtls.c.
 */
#include <string.h>

#include "adapters/venue.h"

static const struct fb_venue_ops *const registry[] = {
    &fb_venue_sim,
    &fb_venue_binance,
    &fb_venue_kraken,
    /* binance and kraken go here: &fb_venue_binance, &fb_venue_kraken, */
    NULL,
};

const struct fb_venue_ops *fb_venue_find(const char *type_name)
{
    if (!type_name)
        return NULL;
    for (size_t i = 0; registry[i]; i++) {
        /* A backend built against another interface version would be
         * called with the wrong contracts: treat it as absent. */
        if (registry[i]->info.api_version != FB_VENUE_API_VERSION)
            continue;
        if (strcmp(registry[i]->info.name, type_name) == 0)
            return registry[i];
    }
    return NULL;
}

const struct fb_venue_ops *const *fb_venue_all(void)
{
    return registry;
}

int fb_venue_clordid_valid(const char *s)
{
    size_t n = 0;
    if (!s)
        return 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= FB_VENUE_CLORDID_MAX)
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return n > 0;
}

const char *fb_venue_event_kind_name(enum fb_venue_event_kind kind)
{
    /* No default: -Wswitch reports a kind added without a name. */
    switch (kind) {
    case FB_VEV_ACK:
        return "ACK";
    case FB_VEV_REJECT:
        return "REJECT";
    case FB_VEV_FILL:
        return "FILL";
    case FB_VEV_CANCELED:
        return "CANCELED";
    case FB_VEV_CANCEL_REJECT:
        return "CANCEL_REJECT";
    case FB_VEV_REPLACED:
        return "REPLACED";
    case FB_VEV_REPLACE_REJECT:
        return "REPLACE_REJECT";
    case FB_VEV_EXPIRED:
        return "EXPIRED";
    case FB_VEV_STATUS:
        return "STATUS";
    case FB_VEV_OPEN_ORDERS_END:
        return "OPEN_ORDERS_END";
    case FB_VEV_LAST:
        break;
    }
    return "?";
}
