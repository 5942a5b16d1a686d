#!/usr/bin/env python3
"""Small HTTP clients for tests/reliability/http_abuse.sh.

  http_client.py flood HOST PORT PATH N EXPECT
      opens N connections at once, then sends a GET on each and reads the
      answers. EXPECT "all": every one must be a 200; "some": the server may
      close the ones past its connection limit, but answers it gives must be
      well formed and at least one must be a 200.
  http_client.py raw HOST PORT FILE...
      sends each file's bytes as they are (a malformed request, say) on its
      own connection, half-closes, and checks the answer: nothing (closed)
      or a well-formed HTTP answer that is not a 500. Exits 1 naming the
      first file that got anything else.
"""
import concurrent.futures
import socket
import sys


def read_all(sock, limit=8 << 20):
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    return data


def status_of(answer):
    """The status of a well-formed HTTP/1.x answer, or None."""
    head, sep, _ = answer.partition(b"\r\n\r\n")
    line = head.split(b"\r\n", 1)[0]
    parts = line.split(b" ", 2)
    if not sep or len(parts) < 2 or parts[0] not in (b"HTTP/1.0", b"HTTP/1.1"):
        return None
    if not parts[1].isdigit() or len(parts[1]) != 3:
        return None
    return int(parts[1])


def flood(host, port, path, n, expect):
    socks = []
    refused = 0
    for _ in range(n):
        s = socket.socket()
        s.settimeout(30)
        try:
            s.connect((host, port))
            socks.append(s)
        except OSError:
            refused += 1
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\n"
               "Connection: close\r\n\r\n").encode()
    for s in socks:
        try:
            s.sendall(request)
        except OSError:
            pass
    counts = {}
    for s in socks:
        status = status_of(read_all(s))
        counts[status] = counts.get(status, 0) + 1
        s.close()
    print(f"  flood {n} -> {port}{path}: connect refused {refused}, "
          f"answers {dict(sorted(counts.items(), key=str))}")
    if expect == "all":
        return counts.get(200, 0) == n
    # Past the limit the server closes (no answer, None); what it answers
    # must still be a well-formed 200.
    return counts.get(200, 0) > 0 and set(counts) <= {200, None}


def send_raw(host, port, name):
    """Sends one file; returns None when the answer is acceptable."""
    with open(name, "rb") as f:
        data = f.read()
    s = socket.socket()
    s.settimeout(30)
    s.connect((host, port))
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the server may close on garbage before reading it all
    answer = read_all(s)
    s.close()
    if not answer:
        return "closed"
    status = status_of(answer)
    if status is None or status == 500:
        return f"{name}: bad answer {answer[:80]!r}"
    return "answered"


def raw(host, port, files):
    # Eight at a time (under the per-address limit of 16): some malformed
    # requests are only closed at the server's idle timeout.
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda f: send_raw(host, port, f), files))
    bad = [r for r in results if r not in ("closed", "answered")]
    for r in bad[:5]:
        print("  " + r)
    print(f"  raw -> {port}: {len(files)} requests, "
          f"{results.count('answered')} answered (no 500), "
          f"{results.count('closed')} closed, {len(bad)} bad")
    return not bad


def main(argv):
    if len(argv) >= 6 and argv[1] == "flood":
        ok = flood(argv[2], int(argv[3]), argv[4], int(argv[5]), argv[6])
    elif len(argv) >= 5 and argv[1] == "raw":
        ok = raw(argv[2], int(argv[3]), argv[4:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
