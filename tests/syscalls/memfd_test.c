/* memfd_test: memfd_create (names, flags, /proc links), shared mappings across fork, and the
 * file seals: F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_FUTURE_WRITE, F_SEAL_SEAL. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static int mfd(const char *name, unsigned flags) { return (int)syscall(SYS_memfd_create, name, flags); }

TEST(create_and_names)
{
	int fd = mfd("hello", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	char link[64], buf[PATH_MAX];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	CHECK(n > 0);
	buf[n] = 0;
	CHECK_STREQ(buf, "/memfd:hello (deleted)");
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 0);
	int fd2 = mfd("plain", 0);
	CHECK(fd2 >= 0);
	CHECK_EQ(fcntl(fd2, F_GETFD), 0);
	close(fd2);
	/* Unknown flags and over-long names. */
	CHECK_ERRNO(mfd("x", 0x100), EINVAL);
	char lng[300];
	memset(lng, 'n', sizeof lng - 1);
	lng[sizeof lng - 1] = 0;
	CHECK_ERRNO(mfd(lng, 0), EINVAL);
	lng[249] = 0;
	fd2 = mfd(lng, 0);
	CHECK(fd2 >= 0);
	close(fd2);
	CHECK_ERRNO(mfd(NULL, 0), EFAULT);
	close(fd);
}

TEST(write_read_and_maps)
{
	int fd = mfd("data", 0);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "abcdef", 6), 6);
	char buf[8] = {0};
	CHECK_EQ(pread(fd, buf, 6, 0), 6);
	CHECK_STREQ(buf, "abcdef");
	CHECK_OK(ftruncate(fd, 8192));
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK(memcmp(m, "abcdef", 6) == 0);
	/* /proc/self/maps names the mapping as Linux does. */
	FILE *f = fopen("/proc/self/maps", "r");
	CHECK(f);
	char line[512];
	int found = 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, "/memfd:data (deleted)"))
			found = 1;
	fclose(f);
	CHECK(found);
	pid_t pid = fork();
	if (pid == 0) {
		CCHECK(memcmp(m, "abcdef", 6) == 0);
		memcpy(m + 4096, "from child", 10);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK(memcmp(m + 4096, "from child", 10) == 0);
	CHECK_EQ(pread(fd, buf, 4, 4096 + 5), 4);
	CHECK(memcmp(buf, "chil", 4) == 0);
	munmap(m, 8192);
	close(fd);
}

TEST(seals_need_allow_sealing)
{
	int fd = mfd("nosealing", 0);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(fd);
	/* Not a memory file at all. */
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_ERRNO(fcntl(p[0], F_GET_SEALS), EINVAL);
	CHECK_ERRNO(fcntl(p[1], F_ADD_SEALS, F_SEAL_WRITE), EINVAL);
	close(p[0]);
	close(p[1]);
}

TEST(seal_write)
{
	int fd = mfd("w", MFD_ALLOW_SEALING);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), 0);
	CHECK_EQ(write(fd, "12345678", 8), 8);
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	/* A writable shared mapping blocks F_SEAL_WRITE. */
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
	CHECK_OK(munmap(m, 4096));
	/* A private mapping does not. */
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), 0);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_WRITE);
	m[0] = 'p'; /* copy-on-write, allowed */
	CHECK_ERRNO(write(fd, "x", 1), EPERM);
	CHECK_ERRNO(pwrite(fd, "x", 1, 0), EPERM);
	CHECK_ERRNO(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	char *r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(r != MAP_FAILED);
	CHECK_EQ(r[0], '1');
	CHECK_ERRNO(mprotect(r, 4096, PROT_READ | PROT_WRITE), EACCES);
	/* Size changes are still allowed. */
	CHECK_OK(ftruncate(fd, 4));
	munmap(r, 4096);
	munmap(m, 4096);
	close(fd);
}

TEST(seal_shrink_grow)
{
	int fd = mfd("sg", MFD_ALLOW_SEALING);
	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, 100));
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	CHECK_ERRNO(ftruncate(fd, 50), EPERM);
	CHECK_OK(ftruncate(fd, 200));
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW);
	CHECK_ERRNO(ftruncate(fd, 300), EPERM);
	CHECK_OK(ftruncate(fd, 200)); /* no change */
	CHECK_EQ(pwrite(fd, "in", 2, 10), 2);
	CHECK_ERRNO(pwrite(fd, "out", 3, 199), EPERM);
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 200);
	close(fd);
}

TEST(seal_future_write)
{
	int fd = mfd("fw", MFD_ALLOW_SEALING);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "abc", 3), 3);
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0);
	/* The existing mapping keeps writing; nothing new may. */
	m[0] = 'Z';
	char c;
	CHECK_EQ(pread(fd, &c, 1, 0), 1);
	CHECK_EQ(c, 'Z');
	CHECK_ERRNO(write(fd, "x", 1), EPERM);
	CHECK_ERRNO(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
	munmap(m, 4096);
	close(fd);
}

TEST(seal_seal)
{
	int fd = mfd("ss", MFD_ALLOW_SEALING);
	CHECK(fd >= 0);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, 0x1000), EINVAL);
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL), 0);
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL);
	CHECK_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	CHECK_EQ(write(fd, "still writable", 14), 14);
	/* A read-only descriptor of a memfd may not add seals. */
	int fd2 = mfd("ro", MFD_ALLOW_SEALING);
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd2);
	int ro = open(link, O_RDONLY);
	CHECK(ro >= 0);
	CHECK_ERRNO(fcntl(ro, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	CHECK_EQ(fcntl(ro, F_GET_SEALS), 0);
	close(ro);
	close(fd2);
	close(fd);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, create_and_names, write_read_and_maps, seals_need_allow_sealing,
			 seal_write, seal_shrink_grow, seal_future_write, seal_seal);
}
