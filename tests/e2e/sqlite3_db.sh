#!/bin/bash
# e2e: sqlite3 (file locks, fsync, pwrite, a journal) through python3 and the sqlite3 shell.
. "$(dirname "$0")/lib/common.sh"
need_cvisor
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not installed"
db=/tmp/cvisor-sqlite-$$.db
py="import sqlite3, os
c = sqlite3.connect('$db')
c.execute('create table t(a integer, b text)')
c.executemany('insert into t values(?, ?)', [(i, str(i) * 3) for i in range(5000)])
c.commit()
c.execute('pragma journal_mode=wal')
c.execute('update t set b = b || \"x\" where a % 7 = 0')
c.commit()
print(c.execute('select count(*), sum(a), sum(length(b)) from t').fetchone())
c.close()
os.unlink('$db')
for s in ('-wal', '-shm'):
    if os.path.exists('$db' + s): os.unlink('$db' + s)"
compare sqlite_py /usr/bin/python3 -c "$py"
if command -v sqlite3 >/dev/null; then
	compare sqlite_shell /bin/sh -c "sqlite3 $db 'create table x(v); insert into x values(1),(2),(3); select sum(v) from x;' && rm -f $db"
fi
[ ! -e "$db" ] || fail "$db left on the host"
