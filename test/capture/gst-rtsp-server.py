#!/usr/bin/python3
"""A real RTSP server (GStreamer's gst-rtsp-server) serving a test pattern at rtsp://<host>:<port>/cam1
(host: the optional second argument, default 127.0.0.1; the discovery tests bind 0.0.0.0 in a namespace).

Used by test/capture/real-sources.test.ts for the TCP-interleaved transport, which rtsp-server-perl
does not support (docs/detector.md "Testing RTSP here"). Needs gir1.2-gst-rtsp-server-1.0, python3-gi
gstreamer1.0-plugins-good and -ugly (x264enc) (test/system-deps.txt). Prints "ready" once listening.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

Gst.init(None)
port = sys.argv[1]
server = GstRtspServer.RTSPServer()
server.set_address(sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=10/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)
factory.set_shared(True)
# TCP only: proves the client really uses interleaved TCP (a UDP SETUP is refused).
factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
server.get_mount_points().add_factory("/cam1", factory)
server.attach(None)
print("ready", flush=True)
GLib.MainLoop().run()
