/* fs_loop: file-system operations for make bench, one per run:
 *   fs_loop stat N            stat("/etc/passwd")            -> stat_ns
 *   fs_loop openread N        open+read 4 KiB+close /usr/bin/ls -> openread_ns
 *   fs_loop seqio DIR MIB     write then read back MIB MiB     -> seqwrite_mbs, seqread_mbs
 *   fs_loop createunlink DIR N  create+close+unlink            -> createunlink_ns
 *   fs_loop readdir DIR N     readdir of N entries (made first) -> readdir_ns (whole listing) */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int die(const char *what)
{
	perror(what);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s stat|openread N | seqio|createunlink|readdir DIR N\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	long long t0, t1;
	char path[4096], buf[4096];

	if (!strcmp(mode, "stat") || !strcmp(mode, "openread")) {
		long n = atol(argv[2]);
		struct stat st;
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			if (mode[0] == 's') {
				if (stat("/etc/passwd", &st))
					return die("stat");
			} else {
				int fd = open("/usr/bin/ls", O_RDONLY);
				if (fd < 0 || read(fd, buf, sizeof buf) != sizeof buf)
					return die("open/read");
				close(fd);
			}
		}
		t1 = now_ns();
		printf("%s_ns %.1f\n", mode, (double)(t1 - t0) / (double)n);
		return 0;
	}
	if (argc < 4) {
		fprintf(stderr, "%s: %s needs DIR and a count\n", argv[0], mode);
		return 2;
	}
	const char *dir = argv[2];
	long n = atol(argv[3]);
	if (!strcmp(mode, "seqio")) {
		static char chunk[1 << 20];
		memset(chunk, 0x5a, sizeof chunk);
		snprintf(path, sizeof path, "%s/seqio", dir);
		int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
		if (fd < 0)
			return die("open");
		t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (write(fd, chunk, sizeof chunk) != sizeof chunk)
				return die("write");
		t1 = now_ns();
		printf("seqwrite_mbs %.1f\n", (double)n / ((double)(t1 - t0) / 1e9));
		lseek(fd, 0, SEEK_SET);
		t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (read(fd, chunk, sizeof chunk) != sizeof chunk)
				return die("read");
		t1 = now_ns();
		printf("seqread_mbs %.1f\n", (double)n / ((double)(t1 - t0) / 1e9));
		close(fd);
		unlink(path);
		return 0;
	}
	if (!strcmp(mode, "createunlink")) {
		snprintf(path, sizeof path, "%s/cu", dir);
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
			if (fd < 0)
				return die("create");
			close(fd);
			if (unlink(path))
				return die("unlink");
		}
		t1 = now_ns();
		printf("createunlink_ns %.1f\n", (double)(t1 - t0) / (double)n);
		return 0;
	}
	if (!strcmp(mode, "readdir")) {
		for (long i = 0; i < n; i++) {
			snprintf(path, sizeof path, "%s/e%06ld", dir, i);
			int fd = open(path, O_CREAT | O_WRONLY, 0600);
			if (fd < 0)
				return die("create");
			close(fd);
		}
		t0 = now_ns();
		DIR *d = opendir(dir);
		long seen = 0;
		if (!d)
			return die("opendir");
		while (readdir(d))
			seen++;
		closedir(d);
		t1 = now_ns();
		if (seen < n)
			return die("readdir count");
		printf("readdir_ns %.1f\n", (double)(t1 - t0));
		for (long i = 0; i < n; i++) {
			snprintf(path, sizeof path, "%s/e%06ld", dir, i);
			unlink(path);
		}
		return 0;
	}
	fprintf(stderr, "%s: unknown mode %s\n", argv[0], mode);
	return 2;
}
