/* libFuzzer target: arbitrary byte sequences as gofer requests, handled by
 * a fresh server over a small temporary tree for each input. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/server.h"

/* gofer_main's isolation lives in common/sandbox.c; the fuzzer never calls it. */
__attribute__((weak)) int sandbox_enter_tree(const char *path) { return -ENOSYS; }

static char tree[64];
static void *resp;

static void make(const char *rel, const char *content)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, content, strlen(content)) < 0)
			abort();
		close(fd);
	}
}

static void init(void)
{
	char p[128];
	strcpy(tree, "/tmp/gofer_fuzz.XXXXXX");
	if (!mkdtemp(tree))
		abort();
	make("file", "contents\n");
	snprintf(p, sizeof p, "%s/dir", tree);
	mkdir(p, 0755);
	make("dir/inner", "x");
	snprintf(p, sizeof p, "%s/link", tree);
	if (symlink("../../etc/passwd", p))
		abort();
	snprintf(p, sizeof p, "%s/fifo", tree);
	mkfifo(p, 0644);
	resp = malloc(GOFER_MAX_MSG);
}

/* Input: a sequence of [u16 length][message bytes].  Node ids are small
 * (slot + 1 | generation 1 << 32), so the fuzzer can find them: the root
 * is attached first as 0x100000001 (writable), then again from the
 * read-only export 1 as 0x100000002.  Mutations change the temporary tree
 * from run to run, which only widens what later inputs meet. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int done;
	struct gofer_server s;
	int fd;
	if (!done) {
		init();
		done = 1;
	}
	/* Export 0 writable (the mutating requests reach the host calls),
	 * export 1 the same tree read-only. */
	gofer_server_init(&s, open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC));
	s.exports[0].ro = false;
	gofer_server_add_export(&s, open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC), true);
	struct gofer_hdr a = {.type = GOFER_T_ATTACH, .len = sizeof a};
	gofer_handle_msg(&s, &a, sizeof a, resp, &fd);
	struct gofer_attach_req a1 = {.h = {.type = GOFER_T_ATTACH, .len = sizeof a1},
				      .export_idx = 1};
	gofer_handle_msg(&s, &a1, sizeof a1, resp, &fd);
	while (size >= 2) {
		size_t len = (size_t)data[0] | (size_t)data[1] << 8;
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		/* A copy of exactly len bytes, so ASan sees any overread. */
		uint8_t *msg = malloc(len ? len : 1);
		memcpy(msg, data, len);
		size_t rl = gofer_handle_msg(&s, msg, len, resp, &fd);
		free(msg);
		if (rl < sizeof(struct gofer_rhdr) || rl > GOFER_MAX_MSG)
			abort();
		if (fd >= 0)
			close(fd);
		data += len;
		size -= len;
	}
	gofer_server_destroy(&s);
	return 0;
}
