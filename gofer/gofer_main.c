/* `cvisor __gofer`: parse the internal command line, isolate, serve. */
#include "gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sandbox.h"
#include "gofer/server.h"

static int parse_fd(const char *s, const char *flag)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > INT32_MAX)
		die_msg("%s: bad fd \"%s\"", flag, s);
	return (int)v;
}

int gofer_main(int argc, char **argv)
{
	const char *root = NULL;
	int sock = -1, debug_fd = -1;
	bool debug = false;

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
		else
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

	if (sandbox_enter_tree(root))
		die_msg("gofer: cannot enter %s", root);
	int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		die("gofer: open /");
	DEBUG("serving %s on fd %d", root, sock);
	int r = gofer_serve(sock, root_fd);
	if (r)
		log_warn("gofer: socket: %s", strerror(-r));
	return r ? 1 : 0;
}
