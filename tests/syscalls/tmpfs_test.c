/* tmpfs_test: the memory filesystem on /dev/shm: file I/O and sizes, directories, rename,
 * unlink of open files, links, permissions with the sticky bit, statfs, shared mappings,
 * POSIX shm and semaphores; the rest of the root stays read-only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

/* A failed check in a child ends it with 99 (see fork_test). */
/* A unique path under /dev/shm for this run (the test's pid, also in
 * forked children). */
static pid_t test_pid;
static const char *p(const char *name)
{
	static char bufs[4][256];
	static int i;
	char *b = bufs[i++ & 3];
	snprintf(b, sizeof bufs[0], "/dev/shm/tmpfs_test.%d.%s", (int)test_pid, name);
	return b;
}

static int64_t ts_ns(struct timespec ts) { return ts.tv_sec * 1000000000LL + ts.tv_nsec; }

TEST(file_io)
{
	char buf[64];
	struct stat st;
	struct timespec before;
	/* File times come from the kernel's coarse clock, which may lag the
	 * precise one by a tick. */
	clock_gettime(CLOCK_REALTIME_COARSE, &before);
	int fd = CHECK_OK(open(p("f"), O_CREAT | O_EXCL | O_RDWR, 0640));
	CHECK_ERRNO(open(p("f"), O_CREAT | O_EXCL | O_RDWR, 0640), EEXIST);
	CHECK_EQ(write(fd, "hello world", 11), 11);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
	CHECK_EQ(lseek(fd, 6, SEEK_SET), 6);
	CHECK_EQ(read(fd, buf, sizeof buf), 5);
	CHECK(!memcmp(buf, "world", 5));
	CHECK_EQ(read(fd, buf, sizeof buf), 0);
	CHECK_EQ(pread(fd, buf, 5, 0), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(pwrite(fd, "J", 1, 0), 1);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11); /* pwrite leaves the offset */
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 11);
	CHECK_EQ(st.st_mode, S_IFREG | (0640 & ~umask(022)));
	umask(022);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK(ts_ns(st.st_mtim) >= ts_ns(before));

	/* Growing reads zeros; a hole far away costs no blocks. */
	CHECK_OK(ftruncate(fd, 100000));
	CHECK_OK(stat(p("f"), &st));
	CHECK_EQ(st.st_size, 100000);
	CHECK(st.st_blocks <= 16);
	memset(buf, 'x', sizeof buf);
	CHECK_EQ(pread(fd, buf, 10, 50000), 10);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(buf[i], 0);
	CHECK_EQ(pread(fd, buf, 20, 99990), 10);
	/* Shrinking cuts, and the cut tail reads zeros when regrown. */
	CHECK_OK(ftruncate(fd, 3));
	CHECK_OK(ftruncate(fd, 8));
	CHECK_EQ(pread(fd, buf, 20, 0), 8);
	CHECK(!memcmp(buf, "Jel\0\0\0\0\0", 8));
	CHECK_EQ(lseek(fd, 0, SEEK_END), 8);
	CHECK_OK(close(fd));

	/* O_TRUNC empties; O_APPEND writes at the end whatever the offset. */
	fd = CHECK_OK(open(p("f"), O_WRONLY | O_TRUNC | O_APPEND));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(write(fd, "ab", 2), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(write(fd, "cd", 2), 2);
	CHECK_OK(close(fd));
	fd = CHECK_OK(open(p("f"), O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof buf), 4);
	CHECK(!memcmp(buf, "abcd", 4));
	CHECK_ERRNO(write(fd, "x", 1), EBADF);
	CHECK_ERRNO(ftruncate(fd, 0), EINVAL);
	CHECK_OK(close(fd));
	CHECK_OK(truncate(p("f"), 1));
	CHECK_OK(stat(p("f"), &st));
	CHECK_EQ(st.st_size, 1);

	/* Attributes. */
	CHECK_OK(chmod(p("f"), 0600));
	CHECK_OK(stat(p("f"), &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
	struct timespec ts[2] = {{.tv_sec = 1000, .tv_nsec = 5}, {.tv_sec = 2000, .tv_nsec = 7}};
	CHECK_OK(utimensat(AT_FDCWD, p("f"), ts, 0));
	CHECK_OK(stat(p("f"), &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000);
	CHECK_EQ(st.st_mtim.tv_sec, 2000);
	CHECK_EQ(st.st_mtim.tv_nsec, 7);
	CHECK_OK(chown(p("f"), 123, 456));
	CHECK_OK(stat(p("f"), &st));
	CHECK_EQ(st.st_uid, 123);
	CHECK_EQ(st.st_gid, 456);
	CHECK_ERRNO(open(p("f/"), O_RDONLY), ENOTDIR);
	CHECK_ERRNO(open(p("nodir/f"), O_CREAT | O_RDWR, 0600), ENOENT);
	CHECK_OK(unlink(p("f")));
	CHECK_ERRNO(unlink(p("f")), ENOENT);
}

static int count_entries(const char *dir, const char *want, int *found)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	*found = 0;
	while ((e = readdir(d))) {
		n++;
		if (!strcmp(e->d_name, want))
			*found = e->d_type;
	}
	closedir(d);
	return n;
}

TEST(directories)
{
	struct stat st;
	int found;
	CHECK_OK(mkdir(p("d"), 0755));
	CHECK_ERRNO(mkdir(p("d"), 0755), EEXIST);
	CHECK_OK(stat(p("d"), &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_OK(mkdir(p("d/sub"), 0700));
	CHECK_OK(stat(p("d"), &st));
	CHECK_EQ(st.st_nlink, 3);
	int fd = CHECK_OK(open(p("d/file"), O_CREAT | O_WRONLY, 0644));
	CHECK_OK(close(fd));
	CHECK_EQ(count_entries(p("d"), "file", &found), 4);
	CHECK_EQ(found, DT_REG);
	CHECK_EQ(count_entries(p("d"), "sub", &found), 4);
	CHECK_EQ(found, DT_DIR);
	CHECK_ERRNO(rmdir(p("d")), ENOTEMPTY);
	CHECK_ERRNO(rmdir(p("d/file")), ENOTDIR);
	CHECK_ERRNO(unlink(p("d/sub")), EISDIR);
	CHECK_ERRNO(open(p("d"), O_WRONLY), EISDIR);
	CHECK_ERRNO(mkdir(p("d/file/x"), 0700), ENOTDIR);

	/* A directory opened and used as a dirfd. */
	int dfd = CHECK_OK(open(p("d"), O_RDONLY | O_DIRECTORY));
	CHECK_OK(fstatat(dfd, "file", &st, 0));
	CHECK_OK(unlinkat(dfd, "file", 0));
	CHECK_OK(unlinkat(dfd, "sub", AT_REMOVEDIR));
	CHECK_ERRNO(fstatat(dfd, "file", &st, 0), ENOENT);
	CHECK_OK(close(dfd));
	CHECK_OK(stat(p("d"), &st));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_OK(rmdir(p("d")));
	CHECK_ERRNO(stat(p("d"), &st), ENOENT);
}

static void put_file(const char *path, const char *text)
{
	int fd = CHECK_OK(open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644));
	CHECK_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	CHECK_OK(close(fd));
}

static void check_file(const char *path, const char *text)
{
	char buf[64] = {0};
	int fd = CHECK_OK(open(path, O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof buf - 1), (ssize_t)strlen(text));
	CHECK_STREQ(buf, text);
	CHECK_OK(close(fd));
}

TEST(renames)
{
	struct stat st;
	put_file(p("a"), "A");
	put_file(p("b"), "B");
	CHECK_OK(rename(p("a"), p("c")));
	CHECK_ERRNO(stat(p("a"), &st), ENOENT);
	check_file(p("c"), "A");
	/* Replacing an existing name. */
	CHECK_OK(rename(p("c"), p("b")));
	check_file(p("b"), "A");
	CHECK_ERRNO(stat(p("c"), &st), ENOENT);
	put_file(p("c"), "C");
	CHECK_ERRNO(syscall(SYS_renameat2, AT_FDCWD, p("c"), AT_FDCWD, p("b"), RENAME_NOREPLACE),
		    EEXIST);
	CHECK_OK(syscall(SYS_renameat2, AT_FDCWD, p("c"), AT_FDCWD, p("b"), RENAME_EXCHANGE));
	check_file(p("b"), "C");
	check_file(p("c"), "A");
	CHECK_ERRNO(syscall(SYS_renameat2, AT_FDCWD, p("c"), AT_FDCWD, p("zz"), RENAME_EXCHANGE),
		    ENOENT);
	/* Directories: into another, not into themselves, not over files. */
	CHECK_OK(mkdir(p("d1"), 0755));
	CHECK_OK(mkdir(p("d2"), 0755));
	CHECK_OK(rename(p("c"), p("d1/c")));
	check_file(p("d1/c"), "A");
	CHECK_OK(rename(p("d1"), p("d2/d1")));
	check_file(p("d2/d1/c"), "A");
	CHECK_ERRNO(rename(p("d2"), p("d2/d1/x")), EINVAL);
	CHECK_ERRNO(rename(p("d2"), p("b")), ENOTDIR);
	CHECK_ERRNO(rename(p("b"), p("d2")), EISDIR);
	CHECK_ERRNO(rename(p("d2"), p("d2/d1")), EINVAL);
	CHECK_OK(mkdir(p("d3"), 0755));
	CHECK_ERRNO(rename(p("d3"), p("d2")), ENOTEMPTY);
	CHECK_OK(rename(p("d2/d1"), p("d3/d1"))); /* d3 was empty: the dir moves in */
	CHECK_OK(rename(p("d3"), p("d2")));	  /* d2 now empty: replaced */
	check_file(p("d2/d1/c"), "A");
	CHECK_OK(stat(p("d2"), &st));
	CHECK_EQ(st.st_nlink, 3);
	CHECK_OK(unlink(p("d2/d1/c")));
	CHECK_OK(rmdir(p("d2/d1")));
	CHECK_OK(rmdir(p("d2")));
	CHECK_OK(unlink(p("b")));
	/* Out of the filesystem: EXDEV. */
	put_file(p("x"), "X");
	CHECK_ERRNO(rename(p("x"), "/tmp/tmpfs_test_x"), EXDEV);
	CHECK_ERRNO(link(p("x"), "/tmp/tmpfs_test_x"), EXDEV);
	CHECK_OK(unlink(p("x")));
}

TEST(unlink_open_file)
{
	char buf[16];
	struct stat st;
	int fd = CHECK_OK(open(p("u"), O_CREAT | O_RDWR, 0600));
	CHECK_EQ(write(fd, "still here", 10), 10);
	CHECK_OK(unlink(p("u")));
	CHECK_ERRNO(stat(p("u"), &st), ENOENT);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(st.st_size, 10);
	CHECK_EQ(pread(fd, buf, sizeof buf, 0), 10);
	CHECK(!memcmp(buf, "still here", 10));
	/* The name is free again, for a different file. */
	put_file(p("u"), "new");
	CHECK_EQ(pwrite(fd, "S", 1, 0), 1);
	check_file(p("u"), "new");
	CHECK_OK(close(fd));
	CHECK_OK(unlink(p("u")));
}

TEST(links)
{
	char buf[256];
	struct stat st;
	put_file(p("t"), "target");
	CHECK_OK(symlink(p("t"), p("s")));
	CHECK_EQ(readlink(p("s"), buf, sizeof buf), (ssize_t)strlen(p("t")));
	buf[strlen(p("t"))] = 0;
	CHECK_STREQ(buf, p("t"));
	CHECK_OK(lstat(p("s"), &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(st.st_size, (off_t)strlen(p("t")));
	check_file(p("s"), "target");
	CHECK_ERRNO(open(p("s"), O_RDONLY | O_NOFOLLOW), ELOOP);
	CHECK_ERRNO(symlink("x", p("s")), EEXIST);
	CHECK_OK(link(p("t"), p("h")));
	CHECK_OK(stat(p("t"), &st));
	CHECK_EQ(st.st_nlink, 2);
	ino_t ino = st.st_ino;
	CHECK_OK(stat(p("h"), &st));
	CHECK_EQ(st.st_ino, ino);
	CHECK_ERRNO(link(p("t"), p("h")), EEXIST);
	CHECK_OK(mkdir(p("ld"), 0700));
	CHECK_ERRNO(link(p("ld"), p("ld2")), EPERM);
	CHECK_OK(rmdir(p("ld")));
	CHECK_OK(unlink(p("t")));
	CHECK_OK(stat(p("h"), &st));
	CHECK_EQ(st.st_nlink, 1);
	check_file(p("h"), "target");
	CHECK_ERRNO(stat(p("s"), &st), ENOENT); /* dangling now */
	CHECK_OK(unlink(p("s")));
	CHECK_OK(unlink(p("h")));
}

TEST(sticky_permissions)
{
	struct stat st;
	if (geteuid() != 0) {
		printf("(not root: skipped)\n");
		return;
	}
	CHECK_OK(stat("/dev/shm", &st));
	CHECK_EQ(st.st_mode & 07777, 01777);
	put_file(p("root_file"), "r");
	CHECK_OK(chmod(p("root_file"), 0600));
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CCHECK(setgid(65534) == 0 && setuid(65534) == 0);
		/* Not its file: no read, no unlink, no rename over it. */
		CCHECK(open(p("root_file"), O_RDONLY) < 0 && errno == EACCES);
		CCHECK(unlink(p("root_file")) < 0 && errno == EPERM);
		CCHECK(chmod(p("root_file"), 0666) < 0 && errno == EPERM);
		/* Its own file in the sticky directory is fine. */
		int fd = open(p("user_file"), O_CREAT | O_EXCL | O_RDWR, 0600);
		CCHECK(fd >= 0);
		struct stat s;
		CCHECK(fstat(fd, &s) == 0 && s.st_uid == 65534 && s.st_gid == 65534);
		close(fd);
		CCHECK(rename(p("user_file"), p("root_file")) < 0 && errno == EPERM);
		CCHECK(chmod(p("user_file"), 0644) == 0);
		CCHECK(unlink(p("user_file")) == 0);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK_OK(unlink(p("root_file")));
}

TEST(statfs_type)
{
	struct statfs sf;
	CHECK_OK(statfs("/dev/shm", &sf));
	CHECK_EQ(sf.f_type, 0x01021994);
	CHECK(sf.f_blocks > 0);
	int fd = CHECK_OK(open(p("sf"), O_CREAT | O_RDWR, 0600));
	CHECK_OK(fstatfs(fd, &sf));
	CHECK_EQ(sf.f_type, 0x01021994);
	CHECK_OK(close(fd));
	CHECK_OK(unlink(p("sf")));
}

TEST(mmap_shared)
{
	int fd = CHECK_OK(open(p("m"), O_CREAT | O_RDWR, 0600));
	/* ftruncate grows, then the pages map. */
	CHECK_OK(ftruncate(fd, 2 * 4096));
	char *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *c = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(a != MAP_FAILED && b != MAP_FAILED && c != MAP_FAILED);
	CHECK_EQ(a[100], 0);
	strcpy(a + 4096, "via a");
	CHECK_STREQ(b + 4096, "via a");
	CHECK_STREQ(c + 4096, "via a"); /* private, not yet written: the file's page */
	char buf[8] = {0};
	CHECK_EQ(pread(fd, buf, 5, 4096), 5);
	CHECK_STREQ(buf, "via a");
	CHECK_EQ(pwrite(fd, "file", 4, 0), 4);
	CHECK(!memcmp(a, "file", 4) && !memcmp(b, "file", 4));
	/* A private write stays private. */
	c[0] = 'P';
	CHECK_EQ(a[0], 'f');
	CHECK_EQ(pread(fd, buf, 1, 0), 1);
	CHECK_EQ(buf[0], 'f');
	/* A child's writes through the shared mapping reach the parent. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CCHECK(!strcmp(a + 4096, "via a"));
		strcpy(a + 100, "from child");
		char *d = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
		CCHECK(d != MAP_FAILED);
		strcpy(d + 200, "child map");
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK_STREQ(a + 100, "from child");
	CHECK_STREQ(b + 100, "from child");
	CHECK_STREQ(b + 4096 + 200, "child map");
	CHECK_OK(munmap(a, 8192));
	CHECK_OK(munmap(b, 8192));
	CHECK_OK(munmap(c, 8192));
	/* The bytes outlive the mappings. */
	char big[16] = {0};
	CHECK_EQ(pread(fd, big, 10, 100), 10);
	CHECK_STREQ(big, "from child");
	CHECK_OK(close(fd));
	CHECK_OK(unlink(p("m")));
}

TEST(shm_open_and_semaphores)
{
	char name[64], sname[64];
	snprintf(name, sizeof name, "/tmpfs_test_shm.%d", (int)getpid());
	snprintf(sname, sizeof sname, "/tmpfs_test_sem.%d", (int)getpid());
	int fd = CHECK_OK(shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600));
	CHECK_OK(ftruncate(fd, 4096));
	int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(shared != MAP_FAILED);
	sem_t *sem = sem_open(sname, O_CREAT | O_EXCL, 0600, 0);
	CHECK(sem != SEM_FAILED);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* Its own mapping of the segment, by name. */
		int cfd = shm_open(name, O_RDWR, 0);
		CCHECK(cfd >= 0);
		int *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		CCHECK(m != MAP_FAILED);
		sem_t *s = sem_open(sname, 0);
		CCHECK(s != SEM_FAILED);
		m[0] = 4242;
		CCHECK(sem_post(s) == 0);
		_exit(0);
	}
	CHECK_OK(sem_wait(sem));
	CHECK_EQ(shared[0], 4242);
	WAIT_EXIT(pid, 0);
	CHECK_OK(sem_close(sem));
	CHECK_OK(sem_unlink(sname));
	CHECK_OK(munmap(shared, 4096));
	CHECK_OK(close(fd));
	CHECK_OK(shm_unlink(name));
	CHECK_ERRNO(shm_open(name, O_RDWR, 0), ENOENT);
}

TEST(rest_of_root_read_only)
{
	/* Natively the root is usually writable: EROFS is checked where it
	 * is read-only (the sandbox). */
	struct statfs sf;
	CHECK_OK(statfs("/etc", &sf));
	if (!(sf.f_flags & ST_RDONLY)) {
		printf("(root writable here: EROFS not checked)\n");
		return;
	}
	CHECK_ERRNO(open("/etc/tmpfs_test_x", O_CREAT | O_WRONLY, 0600), EROFS);
	CHECK_ERRNO(mkdir("/etc/tmpfs_test_d", 0700), EROFS);
	CHECK_ERRNO(unlink("/etc/passwd"), EROFS);
	CHECK_ERRNO(chmod("/etc/passwd", 0600), EROFS);
	CHECK_ERRNO(truncate("/etc/passwd", 0), EROFS);
}

int main(int argc, char **argv)
{
	umask(022);
	test_pid = getpid();
	return RUN_TESTS(argc, argv, file_io, directories, renames, unlink_open_file, links,
			 sticky_permissions, statfs_type, mmap_shared, shm_open_and_semaphores,
			 rest_of_root_read_only);
}
