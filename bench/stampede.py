#!/usr/bin/env python3
"""bench/run's stampede: a link was just posted in chat, and everyone opens it.

Signs in SESSIONS new sessions (local mode, round the given usernames),
writes a note to the handoff through the API so that its page is fresh
(nothing kept, nothing remembered), opens one connection per session, and
then sends every session's GET of the permalink at once. Prints one JSON
object: {"requests", "ok", "p50_ms", "p99_ms", "errors"}; a request is ok
when it is answered 200 with the handoff's page. Latency is from the
request's first byte sent to the response's last byte read.

    bench/stampede.py BASE HANDOFF_ID TOKEN USERNAME [USERNAME...]
"""

import http.client
import json
import re
import socket
import sys
import threading
import time
import urllib.parse

SESSIONS = 500
TIMEOUT = 30


def sign_in(host, port, username):
    """A new session cookie for `username`, or None."""
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    conn.request("GET", "/login")
    res = conn.getresponse()
    page = res.read().decode()
    cookie = res.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf" value="([^"]*)"', page)
    if not token:
        return None
    body = urllib.parse.urlencode({"username": username, "next": "/", "csrf": token.group(1)})
    conn.request("POST", "/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    res = conn.getresponse()
    res.read()
    conn.close()
    session = [c.split(";")[0] for c in res.headers.get_all("Set-Cookie") or []
               if c.startswith("baton_session=")]
    return session[-1] if res.status == 303 and session else None


def write_note(host, port, handoff, token):
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    body = json.dumps({"body": "Posted in chat: everyone, look at this one now."})
    conn.request("POST", f"/api/v1/handoffs/{handoff}/notes", body=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    res = conn.getresponse()
    res.read()
    conn.close()
    if res.status != 201:
        sys.exit(f"stampede: writing the note answered {res.status}")


def read_response(sock):
    """Reads one HTTP/1.1 response to a `Connection: close` request: its status."""
    data = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head = bytes(data[:data.find(b"\r\n")]).decode(errors="replace").split()
    return int(head[1]) if len(head) > 1 and head[1].isdigit() else 0, bytes(data)


def main():
    base, handoff, token, *users = sys.argv[1:]
    url = urllib.parse.urlsplit(base)
    host, port = url.hostname, url.port or 80
    cookies = []
    for i in range(SESSIONS):
        cookie = sign_in(host, port, users[i % len(users)])
        if cookie is None:
            sys.exit(f"stampede: signing in as {users[i % len(users)]} failed")
        cookies.append(cookie)
    write_note(host, port, handoff, token)

    path = f"/handoffs/{handoff}"
    socks = [socket.create_connection((host, port), timeout=TIMEOUT) for _ in cookies]
    start = threading.Barrier(len(socks))
    results = [None] * len(socks)

    def one(i):
        request = (f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nCookie: {cookies[i]}\r\n"
                   "Connection: close\r\n\r\n").encode()
        start.wait()
        t0 = time.perf_counter()
        try:
            socks[i].sendall(request)
            status, body = read_response(socks[i])
            ok = status == 200 and handoff.encode() in body
        except OSError:
            ok = False
        results[i] = (ok, (time.perf_counter() - t0) * 1000)
        socks[i].close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(socks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times = sorted(ms for _, ms in results)
    ok = sum(1 for good, _ in results if good)

    def pick(q):
        return round(times[min(len(times) - 1, int(q * len(times)))], 3)

    print(json.dumps({"requests": len(results), "ok": ok, "p50_ms": pick(0.50),
                      "p99_ms": pick(0.99), "errors": len(results) - ok}))


if __name__ == "__main__":
    main()
