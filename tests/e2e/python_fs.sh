#!/bin/bash
# e2e: python3's tempfile, shutil and pathlib on the sandbox's filesystem.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not installed"
py='import tempfile, shutil, pathlib, os, hashlib
with tempfile.TemporaryDirectory() as d:
    p = pathlib.Path(d)
    (p / "a").mkdir()
    (p / "a" / "f.txt").write_text("hello\n" * 1000)
    (p / "a" / "l").symlink_to("f.txt")
    shutil.copytree(p / "a", p / "b", symlinks=True)
    shutil.copy2("/etc/passwd", p / "b" / "passwd")
    shutil.move(str(p / "b"), str(p / "c"))
    with tempfile.NamedTemporaryFile(dir=d, delete=False) as t:
        t.write(os.urandom(10))
    os.replace(t.name, p / "c" / "rnd")
    print(sorted(x.name for x in (p / "c").iterdir()))
    print((p / "c" / "l").resolve().name, (p / "c" / "l").read_text().count("hello"))
    print(hashlib.sha256((p / "c" / "passwd").read_bytes()).hexdigest() == hashlib.sha256(open("/etc/passwd", "rb").read()).hexdigest())
    print(os.stat(p / "c" / "rnd").st_size, list(p.glob("**/*.txt")).__len__())
    shutil.rmtree(p / "c")
    print(sorted(os.listdir(d)))
print(os.path.exists(d))'
compare pyfs /usr/bin/python3 -c "$py"
