"""Whether this machine can offer WebRTC, probed the way the gateway does
(gateway/gst_runtime.c): the GLib/GStreamer libraries load, GStreamer
initialises and has the pipeline's elements. Tests pick the 501 checks or
the live ones with it, so both machine states are covered."""
import ctypes

LIBS = ["libglib-2.0.so.0", "libgobject-2.0.so.0", "libgstreamer-1.0.so.0", "libgstapp-1.0.so.0",
        "libgstsdp-1.0.so.0", "libgstwebrtc-1.0.so.0"]
ELEMENTS = [b"appsrc", b"rtpopuspay", b"capsfilter", b"webrtcbin", b"nicesrc"]


def webrtc_available():
    try:
        libs = [ctypes.CDLL(name) for name in LIBS]
    except OSError:
        return False
    gst = libs[2]
    if not gst.gst_init_check(None, None, None):
        return False
    gst.gst_element_factory_find.restype = ctypes.c_void_p
    gst.gst_object_unref.argtypes = [ctypes.c_void_p]
    for name in ELEMENTS:
        factory = gst.gst_element_factory_find(name)
        if not factory:
            return False
        gst.gst_object_unref(factory)
    return True
