#!/usr/bin/env python3
"""Puts N gauge values into a running collectd through its unixsock
plugin, shaped like tacho's series: plugin "tacho", one plugin instance per
pipeline, 32 values each (the last pipeline gets what is left).

    collectd_putval.py SOCKET N

Values are put with a one-hour interval, so they stay in collectd's cache
(and in write_prometheus's output) for the whole benchmark. Exits non-zero
on the first refused value.
"""
import socket
import sys


def main():
    path, total = sys.argv[1], int(sys.argv[2])
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    reader = sock.makefile("r")
    for i in range(total):
        pipeline, metric = divmod(i, 32)
        line = ('PUTVAL "bench/tacho-p%04d/gauge-m%02d" interval=3600 N:%d\n'
                % (pipeline, metric, 1000 + i))
        sock.sendall(line.encode())
        answer = reader.readline()
        if not answer.startswith("0 "):
            sys.exit("collectd refused %s: %s" % (line.strip(), answer.strip()))
    sock.close()


if __name__ == "__main__":
    main()
