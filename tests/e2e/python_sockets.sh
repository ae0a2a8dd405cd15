#!/bin/bash
# e2e: python3 over the sentry's AF_UNIX sockets: socketpair, a threaded
# unix stream server and client, a multiprocessing Manager (its connections
# are unix sockets) and an asyncio unix server; output as on the host.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not installed"

cat >"$WORK/socks.py" <<'PY'
import asyncio, multiprocessing, os, socket, tempfile, threading

a, b = socket.socketpair()
a.sendall(b"over a pair")
print("pair:", b.recv(64).decode())
a.close(); b.close()

d = tempfile.mkdtemp(prefix="cvt-")
path = os.path.join(d, "srv.sock")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(4)

def serve():
    for _ in range(2):
        c, _ = srv.accept()
        with c:
            data = b""
            while not data.endswith(b"\n"):
                data += c.recv(5)
            c.sendall(data.upper())

t = threading.Thread(target=serve)
t.start()
for word in ("hello", "world"):
    cl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cl.connect(path)
    cl.sendall(word.encode() * 3 + b"\n")
    print("thread server:", cl.makefile().readline().strip())
    cl.close()
t.join()
srv.close()
os.unlink(path)

def work(q, n):
    q.put(n * n)

if __name__ == "__main__":
    with multiprocessing.Manager() as m:
        lst = m.list()
        dct = m.dict()
        for i in range(4):
            lst.append(i)
            dct[i] = str(i)
        q = m.Queue()
        ps = [multiprocessing.Process(target=work, args=(q, i)) for i in range(3)]
        for p in ps: p.start()
        for p in ps: p.join()
        print("manager:", list(lst), sorted(dct.items()), sorted(q.get() for _ in ps))

    apath = os.path.join(d, "aio.sock")
    async def handle(r, w):
        line = await r.readline()
        w.write(b"echo " + line)
        await w.drain()
        w.close()
    async def main():
        server = await asyncio.start_unix_server(handle, path=apath)
        async with server:
            r, w = await asyncio.open_unix_connection(apath)
            w.write(b"asyncio\n")
            await w.drain()
            print("asyncio:", (await r.readline()).decode().strip())
            w.close()
            await w.wait_closed()
    asyncio.run(main())
    os.unlink(apath)
    os.rmdir(d)
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        print("inet: available")
    except OSError as e:
        print("inet:", e.errno == 97)
PY
native sock.native /usr/bin/python3 "$WORK/socks.py"
sandboxed sock.sandbox -- /usr/bin/python3 "$WORK/socks.py"
[ "$(cat "$WORK/sock.sandbox.rc")" = 0 ] || { head -n 30 "$WORK/sock.sandbox.err"; fail "python exited $(cat "$WORK/sock.sandbox.rc")"; }
# AF_INET exists in the sandbox too (loopback only: python_inet.sh).
same_file "$WORK/sock.native.out" "$WORK/sock.sandbox.out" "stdout of socks.py"
exit 0
