/* special_nodes_test: device nodes and FIFOs made with mknod in a
 * directory of the writable tree: a 1:3 node is /dev/null, 1:5 is
 * /dev/zero, a device nobody has is ENXIO; a FIFO is one pipe for every
 * opener. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "testlib.h"

static const char *dir;

static const char *in_dir(const char *name)
{
	static char bufs[4][128];
	static int i;
	char *b = bufs[i++ & 3];
	snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
	return b;
}

static void setup(void)
{
	CHECK((dir = tl_tmpdir()) != NULL);
}

static void teardown(void)
{
	tl_rmtree(dir);
}

TEST(null_node_anywhere)
{
	setup();
	struct stat st;
	char buf[16];
	CHECK_OK(mknod(in_dir("null"), S_IFCHR | 0666, makedev(1, 3)));
	CHECK_OK(stat(in_dir("null"), &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 3);
	int fd = CHECK_OK(open(in_dir("null"), O_RDWR));
	CHECK_EQ(write(fd, "discarded", 9), 9);
	CHECK_EQ(read(fd, buf, sizeof buf), 0);
	close(fd);
	/* O_TRUNC means nothing to a device. */
	fd = CHECK_OK(open(in_dir("null"), O_WRONLY | O_TRUNC));
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
	teardown();
}

TEST(zero_node_reads_zeros)
{
	setup();
	char buf[8];
	memset(buf, 'x', sizeof buf);
	CHECK_OK(mknod(in_dir("zero"), S_IFCHR | 0444, makedev(1, 5)));
	int fd = CHECK_OK(open(in_dir("zero"), O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof buf), 8);
	for (size_t i = 0; i < sizeof buf; i++)
		CHECK_EQ(buf[i], 0);
	close(fd);
	teardown();
}

TEST(unknown_device_is_enxio)
{
	setup();
	/* Major 60 is reserved for local use: no driver has it. */
	CHECK_OK(mknod(in_dir("nodev"), S_IFCHR | 0666, makedev(60, 77)));
	CHECK_ERRNO(open(in_dir("nodev"), O_RDONLY), ENXIO);
	/* O_PATH names it without opening the device. */
	int fd = CHECK_OK(open(in_dir("nodev"), O_PATH));
	close(fd);
	teardown();
}

TEST(fifo_shared_by_openers)
{
	setup();
	char buf[16];
	CHECK_OK(mkfifo(in_dir("fifo"), 0600));
	/* O_RDWR never waits for the other end. */
	int rw = CHECK_OK(open(in_dir("fifo"), O_RDWR));
	int w = CHECK_OK(open(in_dir("fifo"), O_WRONLY | O_NONBLOCK));
	int r = CHECK_OK(open(in_dir("fifo"), O_RDONLY | O_NONBLOCK));
	CHECK_EQ(write(w, "through", 7), 7);
	CHECK_EQ(read(r, buf, sizeof buf), 7);
	CHECK(!memcmp(buf, "through", 7));
	CHECK_EQ(write(rw, "again", 5), 5);
	CHECK_EQ(read(r, buf, sizeof buf), 5);
	CHECK(!memcmp(buf, "again", 5));
	CHECK_ERRNO(read(r, buf, sizeof buf), EAGAIN);
	close(rw);
	close(w);
	/* No writer left: end of file. */
	CHECK_EQ(read(r, buf, sizeof buf), 0);
	close(r);
	/* No reader: a non-blocking writer cannot open. */
	CHECK_ERRNO(open(in_dir("fifo"), O_WRONLY | O_NONBLOCK), ENXIO);
	teardown();
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, null_node_anywhere, zero_node_reads_zeros,
			 unknown_device_is_enxio, fifo_shared_by_openers);
}
