/* eventfd: counter semantics, semaphore mode, nonblocking EAGAIN, EINVAL
 * cases, poll readiness and a blocked reader woken by a writer thread. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>

#include "testlib.h"

TEST(counter)
{
	int fd = eventfd(5, EFD_NONBLOCK);
	CHECK(fd >= 0);
	uint64_t v = 7;
	CHECK_EQ(write(fd, &v, 8), 8);
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 12);
	CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
	CHECK_EQ(eventfd_write(fd, 3), 0);
	eventfd_t e;
	CHECK_EQ(eventfd_read(fd, &e), 0);
	CHECK_EQ(e, 3);
	close(fd);
}

TEST(semaphore)
{
	int fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	uint64_t v;
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 1);
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 1);
	CHECK_ERRNO(read(fd, &v, 8), EAGAIN);
	close(fd);
}

TEST(errors)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	CHECK(fd >= 0);
	uint64_t v = 0xffffffffffffffffULL;
	CHECK_ERRNO(write(fd, &v, 8), EINVAL);
	CHECK_ERRNO(write(fd, &v, 4), EINVAL);
	CHECK_ERRNO(read(fd, &v, 4), EINVAL);
	v = 0xfffffffffffffffeULL;
	CHECK_EQ(write(fd, &v, 8), 8);
	v = 1;
	CHECK_ERRNO(write(fd, &v, 8), EAGAIN);
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 0xfffffffffffffffeULL);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT);
	CHECK_ERRNO(eventfd(0, 0x4000000), EINVAL);
	close(fd);
}

static void *writer(void *arg)
{
	usleep(20000);
	uint64_t v = 42;
	write(*(int *)arg, &v, 8);
	return NULL;
}

TEST(blocking_read)
{
	int fd = eventfd(0, 0);
	CHECK(fd >= 0);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, writer, &fd), 0);
	uint64_t v = 0;
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 42);
	pthread_join(th, NULL);
	close(fd);
}

int main(int argc, char **argv) { RUN_TESTS(argc, argv, counter, semaphore, errors, blocking_read); }
