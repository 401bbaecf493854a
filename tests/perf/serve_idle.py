#!/usr/bin/python3
"""Idle keep-alive connections for tests/perf/serve.sh: opens up to N
connections to 127.0.0.1:PORT, sends one GET PATH (HTTP/1.1, keep-alive)
on each and reads its answer, then leaves them idle. After a second it
reads the server's VmRSS (/proc/PID/status), times one request on a new
connection (is the server still serving?), counts the idle connections the
server has not closed, and prints one line:
  held K open K2 rss_kib R fresh_ms T
then closes them all. It stops opening after 20 failures in a row (the
server's connection limit) and raises its own open-file limit to the hard
limit.

Usage: /usr/bin/python3 tests/perf/serve_idle.py PORT PID N [PATH]
"""
import resource
import select
import socket
import sys
import time


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def ask(port, path, timeout=5.0):
    """A connected socket that got a whole answer to GET path, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                   % path).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise OSError("closed")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 2"):
            raise OSError("status")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(rest) < length:
            chunk = s.recv(4096)
            if not chunk:
                raise OSError("closed")
            rest += chunk
        return s
    except OSError:
        s.close()
        return None


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: serve_idle.py PORT PID N [PATH]")
    port, pid, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    path = sys.argv[4] if len(sys.argv) == 5 else "/v2/health/ready"
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    held, failed = [], 0
    while len(held) < n and failed < 20:
        s = ask(port, path)
        if s is None:
            failed += 1
        else:
            failed = 0
            held.append(s)
    time.sleep(1.0)
    rss = rss_kib(pid)
    t = time.perf_counter()
    s = ask(port, path)
    fresh = (time.perf_counter() - t) * 1e3 if s else -1.0
    if s:
        s.close()
    closed = 0
    poll = select.poll()
    for s in held:
        poll.register(s, select.POLLIN)
    ready = {fd for fd, _ in poll.poll(0)}
    for s in held:
        if s.fileno() in ready:
            try:
                s.setblocking(False)
                if s.recv(1) == b"":
                    closed += 1
            except OSError:
                closed += 1
    print("held %d open %d rss_kib %d fresh_ms %.1f"
          % (len(held), len(held) - closed, rss, fresh), flush=True)
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
