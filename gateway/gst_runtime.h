/* GStreamer, GLib and GObject loaded at run time (dlopen), never linked.
 *
 * The gateway binary must start where GStreamer is not installed (WebRTC
 * then answers 501), so nothing here comes from GStreamer's headers: the
 * few types are opaque pointers, the few functions are looked up once with
 * dlsym into the table `gst` below, and the one struct whose fields we set
 * (a buffer's timestamps) mirrors GStreamer 1.x's stable ABI.
 *
 * Global state (documented): the table, filled once by gst_runtime_load()
 * before the event loop starts and read-only afterwards (so any thread may
 * call through it). */
#ifndef SS_GATEWAY_GST_RUNTIME_H
#define SS_GATEWAY_GST_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

typedef int gboolean;
typedef void *gpointer;
typedef size_t GType;
typedef void (*GCallback)(void);
typedef gboolean (*GSourceFunc)(gpointer data);
typedef struct {
    uint32_t domain;
    int code;
    char *message;
} GError;

/* GstBuffer's public head (gst/gstbuffer.h, ABI-stable through 1.x): only
 * pts and duration are written. */
typedef struct {
    GType type;
    int refcount, lockstate;
    unsigned flags;
    void *copy, *dispose, *free;
    unsigned priv_uint;
    void *priv_pointer;
} gst_mini_object_head;
typedef struct {
    gst_mini_object_head mini_object;
    void *pool;
    uint64_t pts, dts, duration, offset, offset_end;
} gst_buffer_head;

/* GstWebRTCSessionDescription (public struct of libgstwebrtc). */
typedef struct {
    int type; /* GstWebRTCSDPType: 1 offer, 3 answer */
    void *sdp; /* GstSDPMessage */
} gst_webrtc_sdp;

enum {
    GST_STATE_NULL_ = 1,
    GST_STATE_PLAYING_ = 4,
    GST_STATE_CHANGE_FAILURE_ = 0,
    GST_SDP_OK_ = 0,
    GST_WEBRTC_SDP_TYPE_OFFER_ = 1,
    GST_WEBRTC_DIRECTION_SENDONLY_ = 2,
    GST_WEBRTC_ICE_GATHERING_COMPLETE_ = 2,
    GST_FLOW_OK_ = 0,
};

typedef struct {
    /* glib */
    void *(*g_main_loop_new)(void *context, gboolean is_running);
    void (*g_main_loop_run)(void *loop);
    unsigned (*g_idle_add)(GSourceFunc fn, gpointer data);
    unsigned (*g_timeout_add)(unsigned ms, GSourceFunc fn, gpointer data);
    void (*g_error_free)(GError *e);
    void (*g_free)(void *p);
    /* gobject */
    void (*g_object_set)(void *obj, const char *first, ...);
    void (*g_object_get)(void *obj, const char *first, ...);
    unsigned long (*g_signal_connect_data)(void *obj, const char *signal, GCallback cb, gpointer data,
                                           void *destroy, int flags);
    void (*g_signal_emit_by_name)(void *obj, const char *signal, ...);
    void (*g_object_unref)(void *obj);
    GType (*g_error_get_type)(void);
    /* gstreamer core */
    gboolean (*gst_init_check)(int *argc, char ***argv, GError **error);
    void *(*gst_element_factory_find)(const char *name);
    void (*gst_object_unref)(void *obj);
    void *(*gst_parse_launch)(const char *description, GError **error);
    void *(*gst_bin_get_by_name)(void *bin, const char *name);
    int (*gst_element_set_state)(void *element, int state);
    void *(*gst_element_get_static_pad)(void *element, const char *name);
    void *(*gst_caps_from_string)(const char *caps);
    void (*gst_mini_object_unref)(void *obj);
    void *(*gst_promise_new_with_change_func)(void (*fn)(void *promise, gpointer data), gpointer data,
                                              void *destroy);
    const void *(*gst_promise_get_reply)(void *promise);
    gboolean (*gst_structure_get)(const void *structure, const char *first, ...);
    gboolean (*gst_structure_has_field)(const void *structure, const char *field);
    void *(*gst_buffer_new_allocate)(void *allocator, size_t size, void *params);
    size_t (*gst_buffer_fill)(void *buffer, size_t offset, const void *src, size_t size);
    /* gstapp */
    int (*gst_app_src_push_buffer)(void *appsrc, void *buffer);
    /* gstsdp */
    int (*gst_sdp_message_new_from_text)(const char *text, void **msg);
    char *(*gst_sdp_message_as_text)(const void *msg);
    int (*gst_sdp_message_free)(void *msg);
    /* gstwebrtc */
    gst_webrtc_sdp *(*gst_webrtc_session_description_new)(int type, void *sdp);
    void (*gst_webrtc_session_description_free)(gst_webrtc_sdp *desc);
    GType (*gst_webrtc_session_description_get_type)(void);
} gst_runtime;

extern gst_runtime gst;

/* Loads the libraries, fills `gst`, initialises GStreamer and checks for
 * the elements a WebRTC session uses. 0, or -1 with why (not installed, a
 * missing element or symbol) in `why`. Once, before the loop. */
int gst_runtime_load(char *why, size_t cap);

#endif
