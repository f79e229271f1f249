#!/usr/bin/python3
"""mdns_responder.py NAME ADDR IFADDR SECONDS - answers mDNS queries for
NAME (a ".local" host name, as browsers put in ICE candidates) with ADDR,
on the interface with address IFADDR, for SECONDS: a real responder
(python3-zeroconf, Debian), not ours."""
import socket
import sys
import time

from zeroconf import ServiceInfo, Zeroconf

name, addr, ifaddr, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
zc = Zeroconf(interfaces=[ifaddr])
info = ServiceInfo("_natprobe._udp.local.", "probe._natprobe._udp.local.",
                   addresses=[socket.inet_aton(addr)], port=9,
                   server=name if name.endswith(".") else name + ".")
zc.register_service(info)
print("registered", name, flush=True)
time.sleep(secs)
zc.unregister_service(info)
zc.close()
