/* Tests of the gofer protocol (server and client) over a socketpair and a
 * temporary tree, and of the sentry's path walk against it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/proto.h"
#include "gofer/server.h"
#include "sentry/fs/gofer/client.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/dentry.h"

/* The gofer's isolation and the sentry's user copies are other modules:
 * stand-ins for linking (real definitions win when linked in). */
__attribute__((weak)) int sandbox_enter_tree(const char *path) { return -ENOSYS; }
__attribute__((weak)) int mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t n)
{
	memcpy(dst, (void *)(uintptr_t)src, n);
	return 0;
}
__attribute__((weak)) int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	memcpy((void *)(uintptr_t)dst, src, n);
	return 0;
}

#define NBIG 200

static char tree[64];
static pid_t server_pid;
static struct gofer_client cl;
static int raw_sock; /* the client's socket, for hand-made messages */

static void put_file(const char *rel, const char *content, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	chmod(p, mode);
}

static void put_dir(const char *rel, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	assert_int_equal(mkdir(p, mode), 0);
	chmod(p, mode);
}

static void put_link(const char *rel, const char *target)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	assert_int_equal(symlink(target, p), 0);
}

static void make_tree(void)
{
	char p[256];
	strcpy(tree, "/tmp/gofer_test.XXXXXX");
	assert_non_null(mkdtemp(tree));
	chmod(tree, 0755);
	put_file("hello.txt", "hello world\n", 0644);
	put_file("prog", "#!/bin/sh\n", 0755);
	put_dir("dir", 0755);
	put_dir("dir/sub", 0755);
	put_file("dir/sub/f", "deep\n", 0644);
	put_dir("etc", 0755);
	put_file("etc/passwd", "inside\n", 0644);
	put_dir("private", 0700);
	put_file("private/secret", "s\n", 0644);
	put_link("rel", "dir/sub/f");
	put_link("escape", "../../etc/passwd");
	put_link("abs", "/etc/passwd");
	put_link("loop1", "loop2");
	put_link("loop2", "loop1");
	put_link("dirlink", "dir");
	put_link("dangling", "nowhere");
	put_dir("big", 0755);
	for (int i = 0; i < NBIG; i++) {
		snprintf(p, sizeof p, "big/file-with-a-longish-name-%03d", i);
		put_file(p, "", 0644);
	}
	snprintf(p, sizeof p, "%s/fifo", tree);
	assert_int_equal(mkfifo(p, 0644), 0);
}

/* Starts a server over tree in a child; returns the client's socket. */
static int start_server(pid_t *pid)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		close(sv[0]);
		int root = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
		_exit(gofer_serve(sv[1], root) ? 1 : 0);
	}
	close(sv[1]);
	return sv[0];
}

static int teardown(void **state)
{
	char cmd[128];
	int st;
	gofer_client_close(&cl);
	waitpid(server_pid, &st, 0);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tree);
	return system(cmd) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static uint64_t root_node(void)
{
	uint64_t n;
	struct stat st;
	assert_int_equal(gofer_attach(&cl, &n, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	return n;
}

static uint64_t walk_path(uint64_t n, const char *path, struct stat *st)
{
	char buf[256], *save, *c;
	strcpy(buf, path);
	for (c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save))
		assert_int_equal(gofer_walk(&cl, n, c, &n, st), 0);
	return n;
}

static void test_walk_stat(void **state)
{
	uint64_t root = root_node(), n;
	struct stat st, host;
	char p[256];

	n = walk_path(root, "hello.txt", &st);
	snprintf(p, sizeof p, "%s/hello.txt", tree);
	assert_int_equal(stat(p, &host), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 12);
	assert_int_equal(st.st_ino, host.st_ino);
	assert_int_equal(gofer_stat(&cl, n, &st), 0);
	assert_int_equal(st.st_ino, host.st_ino);

	/* Walks stop at symlinks. */
	walk_path(root, "rel", &st);
	assert_true(S_ISLNK(st.st_mode));
	walk_path(root, "dir/sub/f", &st);
	assert_int_equal(st.st_size, 5);

	assert_int_equal(gofer_walk(&cl, root, "missing", &n, &st), -ENOENT);
	uint64_t file = walk_path(root, "hello.txt", &st);
	assert_int_equal(gofer_walk(&cl, file, "x", &n, &st), -ENOTDIR);
}

static void test_refused_names(void **state)
{
	uint64_t root = root_node(), n;
	struct stat st;
	assert_int_equal(gofer_walk(&cl, root, "..", &n, &st), -EINVAL);
	assert_int_equal(gofer_walk(&cl, root, ".", &n, &st), -EINVAL);
	assert_int_equal(gofer_walk(&cl, root, "", &n, &st), -EINVAL);
	assert_int_equal(gofer_walk(&cl, root, "dir/sub", &n, &st), -EINVAL);
	assert_int_equal(gofer_walk(&cl, root, "/etc", &n, &st), -EINVAL);
	char longname[300];
	memset(longname, 'a', 256);
	longname[256] = '\0';
	assert_int_equal(gofer_walk(&cl, root, longname, &n, &st), -ENAMETOOLONG);
}

static void test_open_read(void **state)
{
	uint64_t root = root_node();
	struct stat st;
	char buf[64];
	uint64_t n = walk_path(root, "hello.txt", &st);
	int fd = gofer_open(&cl, n, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof buf, 0), 12);
	assert_memory_equal(buf, "hello world\n", 12);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	assert_int_equal(gofer_open(&cl, n, O_WRONLY), -EROFS);
	assert_int_equal(gofer_open(&cl, n, O_RDWR), -EROFS);
	assert_int_equal(gofer_open(&cl, n, O_RDONLY | O_TRUNC), -EROFS);
	assert_int_equal(gofer_open(&cl, n, O_RDONLY | O_CREAT), -EROFS);
	assert_int_equal(gofer_open(&cl, n, O_RDONLY | O_DIRECTORY), -ENOTDIR);
	assert_int_equal(gofer_open(&cl, walk_path(root, "fifo", &st), O_RDONLY), -EACCES);
	assert_int_equal(gofer_open(&cl, walk_path(root, "rel", &st), O_RDONLY), -ELOOP);
	fd = gofer_open(&cl, walk_path(root, "dir", &st), O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(gofer_open(&cl, root, O_WRONLY), -EISDIR);
}

static void test_readlink(void **state)
{
	uint64_t root = root_node();
	struct stat st;
	char buf[4096];
	assert_int_equal(gofer_readlink(&cl, walk_path(root, "escape", &st), buf, sizeof buf), 16);
	assert_string_equal(buf, "../../etc/passwd");
	assert_int_equal(gofer_readlink(&cl, walk_path(root, "abs", &st), buf, sizeof buf), 11);
	assert_string_equal(buf, "/etc/passwd");
	assert_int_equal(gofer_readlink(&cl, walk_path(root, "hello.txt", &st), buf, sizeof buf),
			 -EINVAL);
}

static void test_getdents(void **state)
{
	uint64_t root = root_node();
	struct stat st;
	uint64_t dir = walk_path(root, "big", &st);
	struct gofer_dent ents[7];
	uint64_t cookie = 0;
	int total = 0, files = 0, batches = 0;
	bool eof = false;
	static bool seen[NBIG];
	memset(seen, 0, sizeof seen);
	while (!eof) {
		int n = gofer_getdents(&cl, dir, cookie, ents, 7, &eof);
		assert_true(n >= 0);
		if (n == 0)
			break;
		batches++;
		for (int i = 0; i < n; i++) {
			int k;
			if (sscanf(ents[i].name, "file-with-a-longish-name-%d", &k) == 1) {
				assert_true(k >= 0 && k < NBIG);
				assert_false(seen[k]);
				seen[k] = true;
				assert_int_equal(ents[i].type, DT_REG);
				files++;
			}
			total++;
			cookie = ents[i].next;
		}
	}
	assert_int_equal(files, NBIG);
	assert_int_equal(total, NBIG + 2);
	assert_true(batches > 1);
	assert_int_equal(gofer_getdents(&cl, walk_path(root, "hello.txt", &st), 0, ents, 7, &eof),
			 -ENOTDIR);
}

static void test_unknown_ids(void **state)
{
	struct stat st;
	uint64_t n;
	char buf[64];
	assert_int_equal(gofer_stat(&cl, 0, &st), -EBADF);
	assert_int_equal(gofer_stat(&cl, 123456789, &st), -EBADF);
	assert_int_equal(gofer_stat(&cl, ~0ULL, &st), -EBADF);
	assert_int_equal(gofer_walk(&cl, 99999, "x", &n, &st), -EBADF);
	assert_int_equal(gofer_readlink(&cl, 77, buf, sizeof buf), -EBADF);
	/* A clunked id is stale even when its slot is reused. */
	uint64_t root = root_node();
	uint64_t f = walk_path(root, "hello.txt", &st);
	assert_int_equal(gofer_clunk(&cl, f), 0);
	assert_int_equal(gofer_stat(&cl, f, &st), -EBADF);
	assert_int_equal(gofer_clunk(&cl, f), -EBADF);
	uint64_t g = walk_path(root, "hello.txt", &st);
	assert_int_not_equal(g, f);
	assert_int_equal(gofer_stat(&cl, f, &st), -EBADF);
	assert_int_equal(gofer_stat(&cl, g, &st), 0);
}

/* Sends raw bytes and returns the reply's errno (-1 if no proper reply). */
static int raw_exchange(const void *msg, size_t len, uint32_t tag)
{
	static void *buf;
	if (!buf)
		buf = malloc(GOFER_MAX_MSG);
	assert_int_equal(send(raw_sock, msg, len, 0), (ssize_t)len);
	ssize_t n = recv(raw_sock, buf, GOFER_MAX_MSG, 0);
	struct gofer_rhdr *r = buf;
	if (n < (ssize_t)sizeof *r || r->h.len != (uint32_t)n)
		return -1;
	if (tag && r->h.tag != tag)
		return -1;
	return r->err;
}

static void test_malformed(void **state)
{
	uint64_t root = root_node();
	char msg[512];
	struct gofer_hdr h = {.type = GOFER_T_STAT, .len = 8, .tag = 7};

	/* Shorter than a header. */
	assert_int_equal(raw_exchange("abc", 3, 0), EINVAL);
	/* Length field disagreeing with the packet. */
	h.len = 1000;
	assert_int_equal(raw_exchange(&h, sizeof h, 7), EINVAL);
	/* Unknown type. */
	h = (struct gofer_hdr){.type = 999, .len = sizeof h, .tag = 8};
	assert_int_equal(raw_exchange(&h, sizeof h, 8), EOPNOTSUPP);
	h.type = GOFER_RESP | GOFER_T_STAT;
	assert_int_equal(raw_exchange(&h, sizeof h, 8), EOPNOTSUPP);
	/* STAT without its node. */
	h = (struct gofer_hdr){.type = GOFER_T_STAT, .len = sizeof h, .tag = 9};
	assert_int_equal(raw_exchange(&h, sizeof h, 9), EINVAL);
	/* WALK whose name length runs past the packet, or is huge. */
	struct gofer_walk_req w = {.h = {.type = GOFER_T_WALK, .tag = 10}, .dir = root};
	memcpy(msg, &w, sizeof w);
	memcpy(msg + sizeof w, "hello.txt", 9);
	w.namelen = 20;
	w.h.len = sizeof w + 9;
	memcpy(msg, &w, sizeof w);
	assert_int_equal(raw_exchange(msg, sizeof w + 9, 10), EINVAL);
	w.namelen = 0xffffffff;
	memcpy(msg, &w, sizeof w);
	assert_int_equal(raw_exchange(msg, sizeof w + 9, 10), EINVAL);
	/* A name with an embedded NUL. */
	w.namelen = 9;
	memcpy(msg, &w, sizeof w);
	msg[sizeof w + 5] = '\0';
	assert_int_equal(raw_exchange(msg, sizeof w + 9, 10), EINVAL);
	/* GETDENTS asking for no room, or a cookie beyond any offset. */
	struct gofer_getdents_req g = {.h = {.type = GOFER_T_GETDENTS, .len = sizeof g, .tag = 11},
				       .dir = root,
				       .max_bytes = 1};
	assert_int_equal(raw_exchange(&g, sizeof g, 11), EINVAL);
	g.max_bytes = 0xffffffff;
	g.cookie = ~0ULL;
	assert_int_equal(raw_exchange(&g, sizeof g, 11), EINVAL);
	/* OPEN with O_ACCMODE. */
	struct gofer_open_req o = {.h = {.type = GOFER_T_OPEN, .len = sizeof o, .tag = 12},
				   .node = root,
				   .flags = O_ACCMODE};
	assert_int_equal(raw_exchange(&o, sizeof o, 12), EINVAL);
	/* A packet over the maximum. */
	char *big = calloc(1, GOFER_MAX_MSG + 100);
	struct gofer_hdr bh = {.type = GOFER_T_STAT, .len = GOFER_MAX_MSG + 100, .tag = 13};
	memcpy(big, &bh, sizeof bh);
	assert_int_equal(raw_exchange(big, GOFER_MAX_MSG + 100, 0), EINVAL);
	free(big);
	/* An fd passed to the gofer is dropped, the request still answered. */
	struct gofer_node_req s = {.h = {.type = GOFER_T_STAT, .len = sizeof s, .tag = 14},
				   .node = root};
	struct iovec iov = {.iov_base = &s, .iov_len = sizeof s};
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	int zero = 0;
	memcpy(CMSG_DATA(c), &zero, sizeof zero);
	assert_int_equal(sendmsg(raw_sock, &m, 0), (ssize_t)sizeof s);
	struct gofer_node_resp nr;
	assert_int_equal(recv(raw_sock, &nr, sizeof nr, 0), (ssize_t)sizeof nr);
	assert_int_equal(nr.r.err, 0);

	/* Still serving. */
	struct stat st;
	assert_int_equal(gofer_stat(&cl, root, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
}

/* The handler alone, in-process: every prefix of a valid WALK and junk. */
static void test_handler_direct(void **state)
{
	struct gofer_server s;
	void *resp = malloc(GOFER_MAX_MSG);
	int fd;
	gofer_server_init(&s, open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC));
	struct gofer_hdr a = {.type = GOFER_T_ATTACH, .len = sizeof a, .tag = 1};
	assert_int_equal(gofer_handle_msg(&s, &a, sizeof a, resp, &fd),
			 sizeof(struct gofer_node_resp));
	uint64_t root = ((struct gofer_node_resp *)resp)->node;
	char msg[64];
	struct gofer_walk_req w = {
	    .h = {.type = GOFER_T_WALK, .len = sizeof w + 3}, .dir = root, .namelen = 3};
	memcpy(msg, &w, sizeof w);
	memcpy(msg + sizeof w, "dir", 3);
	for (size_t l = 0; l < sizeof w + 3; l++) {
		size_t n = gofer_handle_msg(&s, msg, l, resp, &fd);
		assert_int_equal(n, sizeof(struct gofer_rhdr));
		assert_int_equal(((struct gofer_rhdr *)resp)->err, EINVAL);
		assert_int_equal(fd, -1);
	}
	/* Misaligned input is fine too. */
	memmove(msg + 1, msg, sizeof w + 3);
	assert_int_equal(gofer_handle_msg(&s, msg + 1, sizeof w + 3, resp, &fd),
			 sizeof(struct gofer_node_resp));
	assert_int_equal(((struct gofer_rhdr *)resp)->err, 0);
	srand(1);
	for (int i = 0; i < 20000; i++) {
		uint32_t junk[16];
		for (int j = 0; j < 16; j++)
			junk[j] = (uint32_t)rand();
		junk[0] = (uint32_t)(rand() % (GOFER_T_MAX + 1));
		size_t len = (size_t)(rand() % 64);
		junk[1] = rand() % 2 ? (uint32_t)len : junk[1];
		if (rand() % 2 && len >= 24) {
			junk[4] = (uint32_t)root;
			junk[5] = (uint32_t)(root >> 32);
		}
		gofer_handle_msg(&s, junk, len, resp, &fd);
		if (fd >= 0)
			close(fd);
	}
	gofer_server_destroy(&s);
	free(resp);
}

/* ---- the sentry's walk over a second server ---- */

static struct task task;
static pid_t vfs_pid;

static int vfs_setup(void **state)
{
	int s = start_server(&vfs_pid);
	if (vfs_init(s))
		return -1;
	task.fs = fs_ctx_new_root();
	task.cred.cap_effective = task.cred.cap_permitted = (1ULL << 41) - 1;
	return task.fs ? 0 : -1;
}

static int vfs_teardown(void **state)
{
	int st;
	fs_ctx_put(task.fs);
	gofer_client_close(&vfs_gofer);
	waitpid(vfs_pid, &st, 0);
	return 0;
}

static ino_t host_ino(const char *rel)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	assert_int_equal(lstat(p, &st), 0);
	return st.st_ino;
}

static int walk(const char *path, int flags, struct dentry **d)
{
	return vfs_walk(&task, NULL, path, flags, d);
}

static void expect_ino(const char *path, int flags, const char *rel)
{
	struct dentry *d;
	int r = walk(path, flags, &d);
	if (r)
		fprintf(stderr, "walk %s: %s\n", path, strerror(-r));
	assert_int_equal(r, 0);
	assert_int_equal(d->st.st_ino, host_ino(rel));
	dentry_put(d);
}

static void test_vfs_walk(void **state)
{
	struct dentry *d;
	expect_ino("/hello.txt", 0, "hello.txt");
	expect_ino("hello.txt", 0, "hello.txt");
	expect_ino("/dir/sub/f", 0, "dir/sub/f");
	expect_ino("//dir///sub/./f", 0, "dir/sub/f");
	expect_ino("/dir/sub/../sub/f", 0, "dir/sub/f");
	/* ".." never leaves the root. */
	expect_ino("/../../../hello.txt", 0, "hello.txt");
	expect_ino("/dir/../../..", 0, ".");
	expect_ino("/", 0, ".");
	/* Symlinks: relative, escaping with "..", absolute; all stay inside. */
	expect_ino("/rel", WALK_FOLLOW, "dir/sub/f");
	expect_ino("/rel", 0, "rel");
	expect_ino("/escape", WALK_FOLLOW, "etc/passwd");
	expect_ino("/abs", WALK_FOLLOW, "etc/passwd");
	expect_ino("/dirlink/sub/f", 0, "dir/sub/f");
	expect_ino("/dirlink/", 0, "dir");
	expect_ino("/dirlink/..", 0, ".");
	assert_int_equal(walk("/loop1", WALK_FOLLOW, &d), -ELOOP);
	expect_ino("/loop1", 0, "loop1");
	assert_int_equal(walk("/loop1/x", 0, &d), -ELOOP);
	assert_int_equal(walk("/dangling", WALK_FOLLOW, &d), -ENOENT);
	assert_int_equal(walk("/missing", 0, &d), -ENOENT);
	assert_int_equal(walk("/missing", 0, &d), -ENOENT); /* negative dentry */
	assert_int_equal(walk("", 0, &d), -ENOENT);
	assert_int_equal(walk("/hello.txt/", 0, &d), -ENOTDIR);
	assert_int_equal(walk("/hello.txt/x", 0, &d), -ENOTDIR);
	assert_int_equal(walk("/hello.txt/.", 0, &d), -ENOTDIR);
	assert_int_equal(walk("/rel/", 0, &d), -ENOTDIR);
	assert_int_equal(walk("/hello.txt", WALK_DIR, &d), -ENOTDIR);
	char name[300] = "/";
	memset(name + 1, 'n', 256);
	name[257] = '\0';
	assert_int_equal(walk(name, 0, &d), -ENAMETOOLONG);
	char *longp = malloc(5000);
	memset(longp, '/', 4999);
	longp[4999] = '\0';
	assert_int_equal(walk(longp, 0, &d), -ENAMETOOLONG);
	free(longp);

	/* Relative to a start dentry, and the parent walk. */
	struct dentry *dir, *parent;
	char last[256];
	assert_int_equal(walk("/dir", 0, &dir), 0);
	assert_int_equal(vfs_walk(&task, dir, "sub/f", 0, &d), 0);
	assert_int_equal(d->st.st_ino, host_ino("dir/sub/f"));
	dentry_put(d);
	assert_int_equal(vfs_walk_parent(&task, dir, "sub/newname", &parent, last), 0);
	assert_string_equal(last, "newname");
	assert_int_equal(parent->st.st_ino, host_ino("dir/sub"));
	dentry_put(parent);
	assert_int_equal(vfs_walk_parent(&task, dir, "nope/newname", &parent, last), -ENOENT);
	dentry_put(dir);

	char buf[4096];
	assert_int_equal(walk("/dir/sub", 0, &d), 0);
	struct dentry *root = vfs_root();
	assert_int_equal(dentry_path(root, d, buf, sizeof buf), 8);
	assert_string_equal(buf, "/dir/sub");
	dentry_put(d);
	assert_int_equal(dentry_path(root, root, buf, sizeof buf), 1);
	assert_string_equal(buf, "/");
	dentry_put(root);

	assert_int_equal(vfs_chdir(&task, "/dir"), 0);
	expect_ino("sub/f", 0, "dir/sub/f");
	assert_int_equal(vfs_chdir(&task, "/hello.txt"), -ENOTDIR);
	assert_int_equal(vfs_chdir(&task, "/"), 0);
}

static void test_vfs_permissions(void **state)
{
	struct dentry *d;
	struct file *f;
	char buf[64];
	/* Root: a file without x bits is not executable, one with them is. */
	assert_int_equal(vfs_open_exec(&task, "/hello.txt", &f), -EACCES);
	assert_int_equal(vfs_open_exec(&task, "/dir", &f), -EACCES);
	assert_int_equal(vfs_open_exec(&task, "/missing", &f), -ENOENT);
	assert_int_equal(vfs_open_exec(&task, "/hello.txt/x", &f), -ENOTDIR);
	assert_int_equal(vfs_open_exec(&task, "/loop1", &f), -ELOOP);
	assert_int_equal(vfs_open_exec(&task, "/prog", &f), 0);
	assert_int_equal(file_pread(f, buf, sizeof buf, 2), 8);
	assert_memory_equal(buf, "/bin/sh\n", 8);
	file_put(f);
	expect_ino("/private/secret", 0, "private/secret");

	/* Another user: no search permission in a 0700 root-owned dir. */
	struct cred saved = task.cred;
	memset(&task.cred, 0, sizeof task.cred);
	task.cred.ruid = task.cred.euid = task.cred.fsuid = 1000;
	task.cred.rgid = task.cred.egid = task.cred.fsgid = 1000;
	assert_int_equal(walk("/private/secret", 0, &d), -EACCES);
	assert_int_equal(walk("/hello.txt", 0, &d), 0);
	assert_int_equal(vfs_permission(&task.cred, &d->st, MAY_READ), 0);
	assert_int_equal(vfs_permission(&task.cred, &d->st, MAY_WRITE), -EACCES);
	assert_int_equal(vfs_permission(&task.cred, &d->st, MAY_EXEC), -EACCES);
	dentry_put(d);
	task.cred = saved;
}

static void test_vfs_files(void **state)
{
	struct dentry *d;
	struct file *f;
	char buf[4096];
	assert_int_equal(walk("/hello.txt", 0, &d), 0);
	assert_int_equal(vfs_open_dentry(&task, d, O_RDONLY, &f), 0);
	struct iovec iov[2] = {{buf, 5}, {buf + 5, 100}};
	assert_int_equal(f->ops->read(f, iov, 2, -1), 12);
	assert_memory_equal(buf, "hello world\n", 12);
	assert_int_equal(f->ops->read(f, iov, 2, -1), 0);
	assert_int_equal(f->ops->lseek(f, -6, SEEK_END), 6);
	assert_int_equal(f->ops->read(f, iov, 1, -1), 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(f->ops->lseek(f, -100, SEEK_CUR), -EINVAL);
	struct stat st;
	assert_int_equal(f->ops->fstat(f, &st), 0);
	assert_int_equal(st.st_ino, d->st.st_ino);
	file_put(f);
	dentry_put(d);

	/* Directory listing through GETDENTS, in small buffers. */
	assert_int_equal(walk("/big", 0, &d), 0);
	assert_int_equal(vfs_open_dentry(&task, d, O_RDONLY | O_DIRECTORY, &f), 0);
	assert_int_equal(f->ops->getdents(f, buf, 10), -EINVAL);
	int count = 0;
	for (;;) {
		ssize_t n = f->ops->getdents(f, buf, 300);
		assert_true(n >= 0);
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			uint16_t reclen;
			memcpy(&reclen, buf + off + 16, 2);
			assert_true(reclen > 0 && reclen % 8 == 0);
			off += reclen;
			count++;
		}
	}
	assert_int_equal(count, NBIG + 2);
	/* Rewind and read it all at once. */
	assert_int_equal(f->ops->lseek(f, 0, SEEK_SET), 0);
	ssize_t n = f->ops->getdents(f, buf, sizeof buf);
	assert_true(n > 0);
	assert_int_equal(f->ops->read(f, iov, 1, -1), -EISDIR);
	file_put(f);
	dentry_put(d);
}

/* ---- mutations, against a writable server over the same tree ---- */

static struct gofer_client wcl;
static pid_t wpid;

static int rw_setup(void **state)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	wpid = fork();
	if (wpid < 0)
		return -1;
	if (wpid == 0) {
		struct gofer_server srv;
		close(sv[0]);
		umask(0);
		gofer_server_init(&srv, open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC));
		srv.exports[0].ro = false;
		/* export 1: the same tree, read-only */
		gofer_server_add_export(&srv, open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC), true);
		_exit(gofer_serve_server(sv[1], &srv) ? 1 : 0);
	}
	close(sv[1]);
	return gofer_client_init(&wcl, sv[0]) ? -1 : 0;
}

static int rw_teardown(void **state)
{
	int st;
	gofer_client_close(&wcl);
	waitpid(wpid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void host_path(char *p, const char *rel) { snprintf(p, 256, "%s/%s", tree, rel); }

static void test_mutations(void **state)
{
	uint64_t root, n, n2, d;
	struct stat st, hs;
	bool ro;
	char p[256], buf[64];
	assert_int_equal(gofer_attach_export(&wcl, 0, &root, &st, &ro), 0);
	assert_false(ro);

	/* CREATE donates an fd on the new file, owned as asked. */
	int fd = gofer_create(&wcl, root, "new", O_RDWR, S_IFREG | 0640, 1234, 5678, &n, &st);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	host_path(p, "new");
	assert_int_equal(lstat(p, &hs), 0);
	assert_int_equal(hs.st_size, 3);
	assert_int_equal(hs.st_mode & 07777, 0640);
	assert_int_equal(hs.st_uid, geteuid() == 0 ? 1234u : geteuid());
	assert_int_equal(st.st_ino, hs.st_ino);
	assert_int_equal(gofer_create(&wcl, root, "new", O_RDWR, 0600, 0, 0, &n2, &st), -EEXIST);
	assert_int_equal(gofer_create(&wcl, root, "..", O_RDWR, 0600, 0, 0, &n2, &st), -EINVAL);
	/* Through a symlink: refused, never followed. */
	assert_int_equal(gofer_create(&wcl, root, "dangling", O_RDWR, 0600, 0, 0, &n2, &st), -EEXIST);

	assert_int_equal(gofer_mkdir(&wcl, root, "md", S_IFDIR | 0705, -1, -1, &d, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0705);
	assert_int_equal(gofer_mknod(&wcl, d, "fifo", S_IFIFO | 0600, -1, -1, &n2, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(gofer_mknod(&wcl, d, "chr", S_IFCHR | 0600, -1, -1, &n2, &st), -EPERM);
	assert_int_equal(gofer_symlink(&wcl, d, "sl", "../new", -1, -1, &n2, &st), 0);
	assert_int_equal(gofer_readlink(&wcl, n2, buf, sizeof buf), 6);
	assert_string_equal(buf, "../new");
	assert_int_equal(gofer_link(&wcl, n, d, "hard", &n2, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(gofer_link(&wcl, d, root, "dirlink", &n2, &st), -EPERM);

	/* RENAME: the node follows its name (OPEN still works), NOREPLACE and
	 * EXCHANGE as renameat2. */
	assert_int_equal(gofer_rename(&wcl, root, "new", d, "moved", 0), 0);
	fd = gofer_open(&wcl, n, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof buf), 3);
	close(fd);
	assert_int_equal(gofer_rename(&wcl, d, "moved", d, "hard", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(gofer_rename(&wcl, d, "fifo", d, "sl", RENAME_EXCHANGE), 0);
	host_path(p, "md/fifo");
	assert_int_equal(lstat(p, &hs), 0);
	assert_true(S_ISLNK(hs.st_mode));

	/* SETATTR: size, mode, times with UTIME_OMIT. */
	struct gofer_setattr_req q = {.node = n,
				      .mask = GOFER_SA_SIZE | GOFER_SA_MODE | GOFER_SA_ATIME |
					      GOFER_SA_MTIME,
				      .size = 10,
				      .mode = 0604,
				      .atime_sec = 1000,
				      .atime_nsec = 7,
				      .mtime_nsec = UTIME_OMIT};
	assert_int_equal(gofer_setattr(&wcl, &q, &st), 0);
	assert_int_equal(st.st_size, 10);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_int_equal(st.st_atim.tv_nsec, 7);
	q.mask = GOFER_SA_MTIME;
	q.mtime_nsec = 1000000000;
	assert_int_equal(gofer_setattr(&wcl, &q, &st), -EINVAL);

	struct statfs sf;
	assert_int_equal(gofer_statfs(&wcl, n, &sf), 0);
	assert_true(sf.f_bsize > 0);

	/* user.* xattrs only. */
	long r = gofer_xattr(&wcl, GOFER_T_SETXATTR, n, "user.k", "vv", 2, 0, NULL, 0);
	if (r != -EOPNOTSUPP) {
		assert_int_equal(r, 0);
		assert_int_equal(gofer_xattr(&wcl, GOFER_T_GETXATTR, n, "user.k", NULL, 0, 0, buf,
					     sizeof buf),
				 2);
		assert_memory_equal(buf, "vv", 2);
		assert_int_equal(gofer_xattr(&wcl, GOFER_T_LISTXATTR, n, NULL, NULL, 0, 0, buf,
					     sizeof buf),
				 7);
		assert_int_equal(gofer_xattr(&wcl, GOFER_T_REMOVEXATTR, n, "user.k", NULL, 0, 0,
					     NULL, 0),
				 0);
	}
	assert_int_equal(gofer_xattr(&wcl, GOFER_T_SETXATTR, n, "trusted.k", "v", 1, 0, NULL, 0),
			 -EOPNOTSUPP);

	/* UNLINK and rmdir. */
	assert_int_equal(gofer_unlink(&wcl, root, "md", AT_REMOVEDIR), -ENOTEMPTY);
	assert_int_equal(gofer_unlink(&wcl, d, "moved", 0), 0);
	assert_int_equal(gofer_open(&wcl, n, O_RDONLY), -ESTALE);
	assert_int_equal(gofer_unlink(&wcl, d, "hard", 0), 0);
	assert_int_equal(gofer_unlink(&wcl, d, "fifo", 0), 0);
	assert_int_equal(gofer_unlink(&wcl, d, "sl", 0), 0);
	assert_int_equal(gofer_unlink(&wcl, root, "md", AT_REMOVEDIR), 0);
	host_path(p, "md");
	assert_int_equal(lstat(p, &hs), -1);

	/* A read-only export refuses every mutation. */
	uint64_t r1;
	assert_int_equal(gofer_attach_export(&wcl, 1, &r1, &st, &ro), 0);
	assert_true(ro);
	assert_int_equal(gofer_mkdir(&wcl, r1, "x", S_IFDIR | 0700, -1, -1, &d, &st), -EROFS);
	assert_int_equal(gofer_unlink(&wcl, r1, "file", 0), -EROFS);
	assert_int_equal(gofer_attach_export(&wcl, 2, &r1, &st, &ro), -ENOENT);
	/* Across exports: EXDEV. */
	assert_int_equal(gofer_rename(&wcl, r1, "file", root, "x", 0), -EROFS);
	assert_int_equal(gofer_mkdir(&wcl, root, "xd", S_IFDIR | 0700, -1, -1, &d, &st), 0);
	assert_int_equal(gofer_rename(&wcl, root, "xd", r1, "xd", 0), -EROFS);
	assert_int_equal(gofer_unlink(&wcl, root, "xd", AT_REMOVEDIR), 0);
	/* The read-only server of the other tests, likewise. */
	assert_int_equal(gofer_mkdir(&cl, root_node(), "x", S_IFDIR | 0700, -1, -1, &d, &st),
			 -EROFS);
}

int main(void)
{
	const struct CMUnitTest proto[] = {
	    cmocka_unit_test(test_walk_stat), cmocka_unit_test(test_refused_names),
	    cmocka_unit_test(test_open_read), cmocka_unit_test(test_readlink),
	    cmocka_unit_test(test_getdents),  cmocka_unit_test(test_unknown_ids),
	    cmocka_unit_test(test_malformed), cmocka_unit_test(test_handler_direct),
	};
	const struct CMUnitTest vfs[] = {
	    cmocka_unit_test(test_vfs_walk),
	    cmocka_unit_test(test_vfs_permissions),
	    cmocka_unit_test(test_vfs_files),
	};
	signal(SIGPIPE, SIG_IGN);
	int fails = 0;
	make_tree();
	int s = start_server(&server_pid);
	raw_sock = s;
	if (gofer_client_init(&cl, s)) {
		fprintf(stderr, "gofer_client_init failed\n");
		return 1;
	}
	fails += cmocka_run_group_tests_name("gofer protocol", proto, NULL, NULL);
	fails += cmocka_run_group_tests_name("sentry vfs", vfs, vfs_setup, vfs_teardown);
	const struct CMUnitTest rw[] = {cmocka_unit_test(test_mutations)};
	fails += cmocka_run_group_tests_name("gofer writes", rw, rw_setup, rw_teardown);
	fails += teardown(NULL) ? 1 : 0;
	return fails ? 1 : 0;
}
