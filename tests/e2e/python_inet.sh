#!/bin/bash
# e2e: python3 over the sentry's loopback AF_INET/AF_INET6 sockets:
# http.server in a thread with a urllib GET, create_server/create_connection
# (dual-stack), an asyncio TCP echo, a UDP echo and getaddrinfo; output as
# on the host.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not installed"

cat >"$WORK/inet.py" <<'PY'
import asyncio, http.server, socket, threading, urllib.request

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("path " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
t = threading.Thread(target=httpd.serve_forever)
t.start()
url = "http://127.0.0.1:%d/hello?x=1" % httpd.server_address[1]
with urllib.request.urlopen(url) as r:
    print("http:", r.status, r.read().decode())
httpd.shutdown()
t.join()
httpd.server_close()

srv = socket.create_server(("::", 0), family=socket.AF_INET6, dualstack_ipv6=True)
port = srv.getsockname()[1]
for host in ("127.0.0.1", "::1", "localhost"):
    c = socket.create_connection((host, port))
    a, peer = srv.accept()
    c.sendall(b"via " + host.encode())
    print("dual-stack:", a.recv(64).decode(), peer[0] in ("::ffff:127.0.0.1", "::1"))
    a.close(); c.close()
srv.close()

async def echo(r, w):
    w.write((await r.readline()).upper())
    await w.drain()
    w.close()

async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    p = server.sockets[0].getsockname()[1]
    async with server:
        r, w = await asyncio.open_connection("127.0.0.1", p)
        w.write(b"asyncio echo\n")
        await w.drain()
        print("asyncio:", (await r.readline()).decode().strip())
        w.close()
        await w.wait_closed()
asyncio.run(main())

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
def udp_echo():
    for _ in range(3):
        d, a = u.recvfrom(100)
        u.sendto(d[::-1], a)
ut = threading.Thread(target=udp_echo)
ut.start()
cl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cl.settimeout(10)
for w in (b"abc", b"datagram", b""):
    cl.sendto(w, u.getsockname())
    d, a = cl.recvfrom(100)
    print("udp:", d, a == u.getsockname())
ut.join()
u.close(); cl.close()

print("getaddrinfo:", sorted({ai[4][0] for ai in socket.getaddrinfo("localhost", 80)}) != [])
try:
    socket.create_connection(("192.0.2.1", 80), timeout=2)
    print("unreachable: connected")
except OSError as e:
    print("unreachable:", e.errno)
PY
native inet.native /usr/bin/python3 "$WORK/inet.py"
sandboxed inet.sandbox -- /usr/bin/python3 "$WORK/inet.py"
[ "$(cat "$WORK/inet.sandbox.rc")" = 0 ] || { head -n 30 "$WORK/inet.sandbox.err"; fail "python exited $(cat "$WORK/inet.sandbox.rc")"; }
# The host routes 192.0.2.1 somewhere (or times out); the sandbox has only lo.
grep -v '^unreachable:' "$WORK/inet.native.out" >"$WORK/n.out"
grep -v '^unreachable:' "$WORK/inet.sandbox.out" >"$WORK/s.out"
same_file "$WORK/n.out" "$WORK/s.out" "stdout of inet.py"
grep -qx "unreachable: 101" "$WORK/inet.sandbox.out" || fail "192.0.2.1: $(grep unreachable: "$WORK/inet.sandbox.out")"
exit 0
