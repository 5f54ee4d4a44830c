/* WebRTC routes and the run-time GStreamer probe (see webrtc.h).
 *
 * The probe's result is the one piece of process state here: `unavailable`,
 * written once by gw_webrtc_probe() before the loop starts and only read
 * afterwards (by the handlers, on the loop thread). */
#include "gateway/webrtc.h"

#include "common/log.h"

#include <dlfcn.h>
#include <stdio.h>

#define INSTALL_HINT                                                                               \
    "install GStreamer's WebRTC elements (Debian: apt-get install gstreamer1.0-plugins-bad "       \
    "gstreamer1.0-nice gstreamer1.0-plugins-good gstreamer1.0-plugins-base) and restart the gateway"

static char unavailable[512] = "WebRTC was not probed";

typedef int (*gst_init_check_fn)(int *argc, char ***argv, void **error);
typedef void *(*gst_element_factory_find_fn)(const char *name);
typedef void (*gst_object_unref_fn)(void *object);

/* Whether GStreamer has the element `name` (NULL on success, else why not). */
static const char *missing_element(void *gst, const char *name, char *buf, size_t cap)
{
    gst_element_factory_find_fn find = (gst_element_factory_find_fn)dlsym(gst, "gst_element_factory_find");
    gst_object_unref_fn unref = (gst_object_unref_fn)dlsym(gst, "gst_object_unref");
    if (!find || !unref) {
        snprintf(buf, cap, "libgstreamer-1.0 lacks gst_element_factory_find");
        return buf;
    }
    void *factory = find(name);
    if (!factory) {
        snprintf(buf, cap, "GStreamer has no %s element", name);
        return buf;
    }
    unref(factory);
    return NULL;
}

static void probe(char *why, size_t cap)
{
    void *gst = dlopen("libgstreamer-1.0.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!gst) {
        snprintf(why, cap, "GStreamer is not installed (libgstreamer-1.0.so.0 not found); " INSTALL_HINT);
        return;
    }
    gst_init_check_fn init = (gst_init_check_fn)dlsym(gst, "gst_init_check");
    void *gerr = NULL;
    if (!init || !init(NULL, NULL, &gerr)) {
        snprintf(why, cap, "GStreamer failed to initialise; " INSTALL_HINT);
        return; /* the library stays loaded: GStreamer cannot be unloaded safely */
    }
    char buf[128];
    const char *missing = missing_element(gst, "webrtcbin", buf, sizeof buf);
    if (!missing)
        missing = missing_element(gst, "nicesrc", buf, sizeof buf);
    if (missing) {
        snprintf(why, cap, "%s; " INSTALL_HINT, missing);
        return;
    }
    snprintf(why, cap, "GStreamer's webrtcbin is installed, but this gateway's WebRTC session "
                       "module is not built yet; stream over the WebSocket /stream/speak instead");
}

void gw_webrtc_probe(char *why, size_t cap)
{
    probe(unavailable, sizeof unavailable);
    ss_info(NULL, "WebRTC: unavailable: %s", unavailable);
    if (why)
        snprintf(why, cap, "%s", unavailable);
}

static void answer_unavailable(gw_request *r)
{
    gw_reply_error(r, SS_ERR_WEBRTC_UNAVAILABLE, unavailable, NULL);
}

void gw_handle_webrtc_session_create(gw_request *r)
{
    answer_unavailable(r);
}

void gw_handle_webrtc_session_ice(gw_request *r)
{
    answer_unavailable(r);
}

void gw_handle_webrtc_session_delete(gw_request *r)
{
    answer_unavailable(r);
}
