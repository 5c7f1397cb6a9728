/* The FIX versions the bridge speaks; shared by config, translate and report. */
#ifndef FB_FIX_VERSION_H
#define FB_FIX_VERSION_H

enum fb_fix_version {
    FB_FIX_42 = 0,      /* BeginString FIX.4.2 */
    FB_FIX_44 = 1,      /* BeginString FIX.4.4 */
    FB_FIX_VERSION_LAST /* not a true version, never use this */
};

#endif
