/* pipe_pingpong: one round trip of a SIZE-byte message between two processes over two pipes. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Pipes may split a large message: read and write until all of it moved. */
static int xfer(int fd, char *buf, size_t len, int writing)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r =
		    writing ? write(fd, buf + done, len - done) : read(fd, buf + done, len - done);
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? (size_t)atol(argv[1]) : 1;
	long n = argc > 2 ? atol(argv[2]) : 10000;
	int ab[2], ba[2], st;
	char *buf;
	long long t0, t1;

	if (size == 0 || n <= 0) {
		fprintf(stderr, "usage: %s SIZE>0 [ITERATIONS>0]\n", argv[0]);
		return 2;
	}
	buf = calloc(1, size);
	if (!buf || pipe(ab) || pipe(ba)) {
		perror("pipe_pingpong: setup");
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("pipe_pingpong: fork");
		return 1;
	}
	if (pid == 0) {
		/* The echo side: everything it reads goes straight back. */
		close(ab[1]);
		close(ba[0]);
		for (long i = 0; i <= n; i++)
			if (xfer(ab[0], buf, size, 0) || xfer(ba[1], buf, size, 1))
				_exit(1);
		_exit(0);
	}
	close(ab[0]);
	close(ba[1]);
	/* One round trip first, outside the timing. */
	if (xfer(ab[1], buf, size, 1) || xfer(ba[0], buf, size, 0))
		return 1;
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		if (xfer(ab[1], buf, size, 1) || xfer(ba[0], buf, size, 0)) {
			fprintf(stderr, "pipe_pingpong: transfer failed\n");
			return 1;
		}
	t1 = now_ns();
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "pipe_pingpong: echo process failed\n");
		return 1;
	}
	/* The key names the size the way bench/run.sh asks for it. */
	if (size >= 1024 && size % 1024 == 0)
		printf("pipe%zuk_ns %.1f\n", size / 1024, (double)(t1 - t0) / (double)n);
	else
		printf("pipe%zu_ns %.1f\n", size, (double)(t1 - t0) / (double)n);
	return 0;
}
