/* The dlopen'd GStreamer table (see gst_runtime.h): which library holds
 * which symbol, and the start-up checks. */
#include "gateway/gst_runtime.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

gst_runtime gst;

enum { LIB_GLIB, LIB_GOBJECT, LIB_GST, LIB_APP, LIB_SDP, LIB_WEBRTC, LIB_COUNT };

static const char *const LIBS[LIB_COUNT] = {
    "libglib-2.0.so.0", "libgobject-2.0.so.0", "libgstreamer-1.0.so.0",
    "libgstapp-1.0.so.0", "libgstsdp-1.0.so.0", "libgstwebrtc-1.0.so.0",
};

#define SYM(lib, name) {lib, #name, offsetof(gst_runtime, name)}
static const struct {
    int lib;
    const char *name;
    size_t offset;
} SYMBOLS[] = {
    SYM(LIB_GLIB, g_main_loop_new),
    SYM(LIB_GLIB, g_main_loop_run),
    SYM(LIB_GLIB, g_idle_add),
    SYM(LIB_GLIB, g_timeout_add),
    SYM(LIB_GLIB, g_error_free),
    SYM(LIB_GLIB, g_free),
    SYM(LIB_GOBJECT, g_object_set),
    SYM(LIB_GOBJECT, g_object_get),
    SYM(LIB_GOBJECT, g_signal_connect_data),
    SYM(LIB_GOBJECT, g_signal_emit_by_name),
    SYM(LIB_GOBJECT, g_object_unref),
    SYM(LIB_GOBJECT, g_error_get_type),
    SYM(LIB_GST, gst_init_check),
    SYM(LIB_GST, gst_element_factory_find),
    SYM(LIB_GST, gst_object_unref),
    SYM(LIB_GST, gst_parse_launch),
    SYM(LIB_GST, gst_bin_get_by_name),
    SYM(LIB_GST, gst_element_set_state),
    SYM(LIB_GST, gst_element_get_static_pad),
    SYM(LIB_GST, gst_caps_from_string),
    SYM(LIB_GST, gst_mini_object_unref),
    SYM(LIB_GST, gst_promise_new_with_change_func),
    SYM(LIB_GST, gst_promise_get_reply),
    SYM(LIB_GST, gst_structure_get),
    SYM(LIB_GST, gst_structure_has_field),
    SYM(LIB_GST, gst_buffer_new_allocate),
    SYM(LIB_GST, gst_buffer_fill),
    SYM(LIB_APP, gst_app_src_push_buffer),
    SYM(LIB_SDP, gst_sdp_message_new_from_text),
    SYM(LIB_SDP, gst_sdp_message_as_text),
    SYM(LIB_SDP, gst_sdp_message_free),
    SYM(LIB_WEBRTC, gst_webrtc_session_description_new),
    SYM(LIB_WEBRTC, gst_webrtc_session_description_free),
    SYM(LIB_WEBRTC, gst_webrtc_session_description_get_type),
};

/* The elements of a session's pipeline (webrtc_peer.c) and libnice's. */
static const char *const ELEMENTS[] = {"appsrc", "rtpopuspay", "capsfilter", "webrtcbin", "nicesrc"};

int gst_runtime_load(char *why, size_t cap)
{
    void *libs[LIB_COUNT];
    for (int i = 0; i < LIB_COUNT; i++) {
        libs[i] = dlopen(LIBS[i], RTLD_NOW | RTLD_LOCAL);
        if (!libs[i]) {
            snprintf(why, cap, i == LIB_GST ? "GStreamer is not installed (%s not found)" : "%s not found",
                     LIBS[i]);
            return -1; /* what was loaded stays: GStreamer cannot be unloaded safely */
        }
    }
    gst_runtime t;
    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < sizeof SYMBOLS / sizeof SYMBOLS[0]; i++) {
        void *p = dlsym(libs[SYMBOLS[i].lib], SYMBOLS[i].name);
        if (!p) {
            snprintf(why, cap, "%s lacks %s", LIBS[SYMBOLS[i].lib], SYMBOLS[i].name);
            return -1;
        }
        memcpy((char *)&t + SYMBOLS[i].offset, &p, sizeof p);
    }
    GError *gerr = NULL;
    if (!t.gst_init_check(NULL, NULL, &gerr)) {
        snprintf(why, cap, "GStreamer failed to initialise: %s", gerr ? gerr->message : "no reason given");
        return -1;
    }
    for (size_t i = 0; i < sizeof ELEMENTS / sizeof ELEMENTS[0]; i++) {
        void *factory = t.gst_element_factory_find(ELEMENTS[i]);
        if (!factory) {
            snprintf(why, cap, "GStreamer has no %s element", ELEMENTS[i]);
            return -1;
        }
        t.gst_object_unref(factory);
    }
    gst = t;
    return 0;
}
