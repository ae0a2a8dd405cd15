/* `cvisor __gofer`: parse the internal command line, isolate, serve. */
#include "gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sandbox.h"
#include "gofer/server.h"

/* What serving files as root takes: read and write whatever the tree
 * holds, keep owners and modes as the application sets them. */
#define GOFER_CAPS                                                                                 \
	((1ULL << 0) /* CAP_CHOWN */ | (1ULL << 1) /* CAP_DAC_OVERRIDE */ |                        \
	 (1ULL << 2) /* CAP_DAC_READ_SEARCH */ | (1ULL << 3) /* CAP_FOWNER */ |                    \
	 (1ULL << 4) /* CAP_FSETID */ | (1ULL << 27) /* CAP_MKNOD */)

static int parse_fd(const char *s, const char *flag)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > INT32_MAX)
		die_msg("%s: bad fd \"%s\"", flag, s);
	return (int)v;
}

/* A detached recursive copy of path (open_tree), read-only if ro, for an
 * export besides the root: the gofer reaches it through the fd only.  A
 * regular file is exported through a copy of its directory (an O_PATH fd
 * of a file cannot be reopened without /proc): *file gets its name. */
static int open_export(const char *path, bool ro, char **file)
{
	struct stat st;
	*file = NULL;
	if (stat(path, &st))
		die("gofer: export %s", path);
	char *dir = NULL;
	if (S_ISREG(st.st_mode)) {
		const char *slash = strrchr(path, '/');
		if (!slash || !slash[1])
			die_msg("gofer: export %s: need an absolute file path", path);
		*file = strdup(slash + 1);
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
		if (!*file || !dir)
			die_msg("gofer: out of memory");
		path = dir;
	}
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path,
			      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		die("gofer: open_tree %s", path);
	struct mount_attr attr = {.attr_set = (ro ? MOUNT_ATTR_RDONLY : 0) | MOUNT_ATTR_NOSUID};
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr))
		die("gofer: mount_setattr %s", path);
	if (fstat(fd, &st) || !S_ISDIR(st.st_mode))
		die_msg("gofer: export %s is not a directory or a regular file", path);
	free(dir);
	return fd;
}

int gofer_main(int argc, char **argv)
{
	const char *root = NULL;
	int sock = -1, debug_fd = -1;
	bool debug = false, root_rw = false;
	struct gofer_server srv;
	int xfd[GOFER_MAX_EXPORTS];
	bool xro[GOFER_MAX_EXPORTS];
	char *xfile[GOFER_MAX_EXPORTS];
	int nx = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "--root=", 7))
			root = a + 7;
		else if (!strncmp(a, "--sock-fd=", 10))
			sock = parse_fd(a + 10, "--sock-fd");
		else if (!strncmp(a, "--debug-log-fd=", 15))
			debug_fd = parse_fd(a + 15, "--debug-log-fd");
		else if (!strcmp(a, "--debug"))
			debug = true;
		else if (!strcmp(a, "--root-rw"))
			root_rw = true;
		else if (!strncmp(a, "--export=", 9) && nx < GOFER_MAX_EXPORTS - 1) {
			char *path = strdup(a + 9);
			size_t l = path ? strlen(path) : 0;
			if (!l)
				die_msg("gofer: bad %s", a);
			xro[nx] = l > 3 && !strcmp(path + l - 3, ":ro");
			if (xro[nx] || (l > 3 && !strcmp(path + l - 3, ":rw")))
				path[l - 3] = '\0';
			xfd[nx] = open_export(path, xro[nx], &xfile[nx]);
			nx++;
			free(path);
		} else
			die_msg("gofer: unknown flag %s", a);
	}
	log_init("cvisor-gofer", debug, debug_fd);
	if (!root || sock < 0)
		die_msg("gofer: --root and --sock-fd are required");
	/* A sentry peer that vanishes must end us with EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);

	/* Every node holds an fd: allow as many as the hard limit. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	/* Modes arrive with the application's umask applied. */
	umask(0);
	if (sandbox_enter_tree_mode(root, !root_rw))
		die_msg("gofer: cannot enter %s", root);
	int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		die("gofer: open /");
	gofer_server_init(&srv, root_fd);
	srv.exports[0].ro = !root_rw;
	for (int k = 0; k < nx; k++)
		if (xfile[k])
			gofer_server_add_file_export(&srv, xfd[k], xfile[k], xro[k]);
		else
			gofer_server_add_export(&srv, xfd[k], xro[k]);
	/* Serving needs file access as root but nothing else: no mounts, no
	 * ptrace, no new programs (docs/isolation.md). */
	int cr = sandbox_drop_caps(GOFER_CAPS);
	if (cr)
		die_msg("gofer: cannot drop capabilities: %s", strerror(-cr));
	if (sandbox_seccomp_gofer())
		die_msg("gofer: cannot install the seccomp filter");
	DEBUG("serving %s on fd %d", root, sock);
	int r = gofer_serve_server(sock, &srv);
	if (r)
		log_warn("gofer: socket: %s", strerror(-r));
	return r ? 1 : 0;
}
