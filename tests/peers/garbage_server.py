#!/usr/bin/python3
"""A hostile "STUN server" for tests: answers every UDP datagram and every
TCP connection with bytes that are not valid STUN.

usage: garbage_server.py PORT MODE    MODE: text | badlen | wrongtid
  text      an HTTP-ish line (first byte not 0..3)
  badlen    a STUN header whose length field exceeds the datagram
  wrongtid  a well-formed Binding success with a transaction ID we never sent
Runs until killed or 60 s pass (bounded).
"""
import os
import select
import socket
import struct
import sys
import time


def reply(mode, req):
    if mode == "text":
        return b"HTTP/1.1 400 Bad Request\r\n\r\n"
    if mode == "badlen":
        return struct.pack("!HHI", 0x0101, 400, 0x2112A442) + req[8:20] + b"\0" * 8
    # wrongtid: valid Binding success, XOR-MAPPED-ADDRESS 192.0.2.1:1, other tid
    tid = os.urandom(12)
    xport = 1 ^ 0x2112
    xip = bytes(a ^ b for a, b in zip(bytes([192, 0, 2, 1]), struct.pack("!I", 0x2112A442)))
    attr = struct.pack("!HHBBH", 0x0020, 8, 0, 1, xport) + xip
    return struct.pack("!HHI", 0x0101, len(attr), 0x2112A442) + tid + attr


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    tcp.listen(8)
    end = time.time() + 60
    conns = []
    while time.time() < end:
        r, _, _ = select.select([udp, tcp] + conns, [], [], 0.5)
        for s in r:
            if s is udp:
                data, src = udp.recvfrom(2048)
                udp.sendto(reply(mode, data.ljust(20, b"\0")), src)
            elif s is tcp:
                c, _ = tcp.accept()
                conns.append(c)
            else:
                data = s.recv(2048)
                if not data:
                    conns.remove(s)
                    s.close()
                    continue
                s.sendall(reply(mode, data.ljust(20, b"\0")))


if __name__ == "__main__":
    main()
