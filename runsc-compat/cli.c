/* cvisor's global flags, usage text and subcommand dispatch (see cli.h). */
#include "runsc-compat/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "platform/platform.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"

struct subcmd {
	const char *name;
	int (*fn)(struct cli_opts *o, int argc, char **argv, int i);
};

static const struct subcmd subcmds[] = {
    {"do", cmd_do},	      {"create", cmd_create}, {"start", cmd_start},
    {"state", cmd_state},     {"kill", cmd_kill},     {"delete", cmd_delete},
    {"exec", cmd_exec},	      {"ps", cmd_ps},	      {"run", cmd_run},
    {"list", cmd_list},	      {"events", cmd_events}, {"wait", cmd_wait},
    {"pause", cmd_pause},     {"resume", cmd_resume}, {"spec", cmd_spec},
    {"features", cmd_features}, {NULL, NULL},
};

const struct flag *cli_global_flags(struct cli_opts *o)
{
	static struct flag t[16];
	struct flag *f = t;
	*f++ = (struct flag){"platform", FLAG_STR, &o->platform};
	*f++ = (struct flag){"overlay", FLAG_STR, &o->overlay};
	*f++ = (struct flag){"strace", FLAG_BOOL, &o->strace};
	*f++ = (struct flag){"debug", FLAG_BOOL, &o->debug};
	*f++ = (struct flag){"debug-log", FLAG_STR, &o->debug_log};
	*f++ = (struct flag){"root", FLAG_STR, &o->root};
	*f++ = (struct flag){"log", FLAG_STR, &o->log};
	*f++ = (struct flag){"log-format", FLAG_STR, &o->log_format};
	*f++ = (struct flag){"help", FLAG_BOOL, &o->help};
	*f++ = (struct flag){"h", FLAG_BOOL, &o->help};
	*f++ = (struct flag){"version", FLAG_BOOL, &o->version};
	*f++ = (struct flag){"v", FLAG_BOOL, &o->version};
	*f++ = (struct flag){"network", FLAG_STR, &o->network};
	*f++ = (struct flag){"systemd-cgroup", FLAG_BOOL, &o->systemd_cgroup};
	*f = (struct flag){NULL, FLAG_BOOL, NULL};
	return t;
}

int cli_validate(const struct cli_opts *o)
{
	if (!pf_lookup(o->platform)) {
		fprintf(stderr, "cvisor: unknown platform \"%s\"\n", o->platform);
		return 2;
	}
	if (strcmp(o->overlay, "root:memory") && strcmp(o->overlay, "none")) {
		fprintf(stderr, "cvisor: unknown overlay mode \"%s\" (root:memory or none)\n",
			o->overlay);
		return 2;
	}
	if (strcmp(o->log_format, "text") && strcmp(o->log_format, "json")) {
		fprintf(stderr, "cvisor: unknown log format \"%s\" (text or json)\n",
			o->log_format);
		return 2;
	}
	if (o->network && strcmp(o->network, "sandbox") && strcmp(o->network, "host") &&
	    strcmp(o->network, "none")) {
		fprintf(stderr, "cvisor: unknown network mode \"%s\" (sandbox, host or none)\n",
			o->network);
		return 2;
	}
	return 0;
}

int cli_parse(struct cli_opts *o, const struct flag *local, int argc, char **argv, int i,
	      int flags_until, char **pos, int max, int *n)
{
	static const struct flag none[] = {{NULL, FLAG_BOOL, NULL}};
	const struct flag *tables[] = {local ? local : none, cli_global_flags(o), NULL};
	*n = 0;
	while (i < argc) {
		if (flags_until >= 0 && *n >= flags_until)
			break;
		/* flags_parse skips a "--" silently: stop it there to know. */
		int end = i;
		while (end < argc && strcmp(argv[end], "--"))
			end++;
		int r = flags_parse(tables, end, argv, &i);
		if (r)
			return r;
		if (i == end) {
			if (end < argc)
				i++; /* the "--": the rest is positional */
			break;
		}
		if (*n < max)
			pos[*n] = argv[i];
		(*n)++;
		i++;
	}
	for (; i < argc; i++) {
		if (*n < max)
			pos[*n] = argv[i];
		(*n)++;
	}
	return cli_validate(o);
}

int cli_parse_id(struct cli_opts *o, const struct flag *local, int argc, char **argv, int i,
		 const char *usage, const char **id)
{
	char *pos[1];
	int n, r = cli_parse(o, local, argc, argv, i, -1, pos, 1, &n);
	if (r)
		return r;
	if (n != 1) {
		fprintf(stderr, "Usage: %s\n", usage);
		return 2;
	}
	*id = pos[0];
	return cli_setup(o);
}

int cli_parse_info(struct cli_opts *o, const struct flag *local, int argc, char **argv, int i,
		   const char *name, const char *help, char **pos, int nargs)
{
	int n, r = cli_parse(o, local, argc, argv, i, -1, pos, nargs, &n);
	if (r)
		return r;
	if (o->help) {
		fputs(help, stdout);
		return 0;
	}
	if (n != nargs) {
		oci_error(o, "\"%s\" requires exactly %d argument(s)", name, nargs);
		return 1;
	}
	return -1;
}

int cli_setup(struct cli_opts *o)
{
	int r = cli_validate(o);
	if (r)
		return r;
	if (o->debug_log && o->debug_fd < 0) {
		/* CLOEXEC: only the children we hand it to explicitly get it. */
		o->debug_fd = open(o->debug_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (o->debug_fd < 0) {
			fprintf(stderr, "cvisor: open debug log %s: %s\n", o->debug_log,
				strerror(errno));
			return 1;
		}
	}
	log_init("cvisor", o->debug, o->debug_fd);
	return 0;
}

void cli_usage(int fd)
{
	dprintf(fd, "Usage: cvisor [global flags] SUBCOMMAND [flags] [args]\n"
		    "\n"
		    "cvisor runs Linux programs in a user-space kernel sandbox.\n"
		    "\n"
		    "Subcommands:\n"
		    "  do [--cwd DIR] [--] CMD [ARGS...]\n"
		    "                      run CMD sandboxed on the host's read-only root\n"
		    "  create, start, state, kill, delete, exec, ps, run, list, events,\n"
		    "  wait, pause, resume, spec, features\n"
		    "                      OCI runtime commands, as runc's (docs/oci.md);\n"
		    "                      global flags may also follow them\n"
		    "\n"
		    "Global flags (also accepted after `do`):\n"
		    "  --platform NAME     ptrace (default)\n"
		    "  --overlay MODE      root:memory (default: writes stay in memory) or\n"
		    "                      none (writes go through to the host tree)\n"
		    "  --strace            log every system call of the application\n"
		    "  --debug             debug logging\n"
		    "  --debug-log FILE    append debug logs to FILE instead of stderr\n"
		    "  --root DIR          state directory (default /run/cvisor)\n"
		    "  --log FILE          runtime log file (runc compatibility)\n"
		    "  --log-format FMT    text or json\n"
		    "  --network MODE      sandbox (default), host or none\n"
		    "  --systemd-cgroup    accepted for runc compatibility (cgroupfs is used)\n"
		    "  --help              this text\n"
		    "  --version           version and OCI spec version\n");
}

int cli_main(int argc, char **argv)
{
	struct cli_opts o = {
	    .platform = "ptrace",
	    .overlay = "root:memory",
	    .debug_fd = -1,
	    .root = "/run/cvisor",
	    .log_format = "text",
	    .network = "sandbox",
	};
	const struct flag *tables[] = {cli_global_flags(&o), NULL};
	int i = 1;
	int r = flags_parse(tables, argc, argv, &i);
	if (r)
		return r;
	if (o.help) {
		cli_usage(1);
		return 0;
	}
	if (o.version) {
		printf("cvisor version " CVISOR_VERSION "\nspec: " CVISOR_OCI_SPEC "\n");
		return 0;
	}
	if (i >= argc) {
		fprintf(stderr, "cvisor: missing subcommand (see cvisor --help)\n");
		return 2;
	}
	if ((r = cli_validate(&o)))
		return r;
	const char *cmd = argv[i++];
	for (const struct subcmd *c = subcmds; c->name; c++)
		if (!strcmp(cmd, c->name))
			return c->fn(&o, argc, argv, i);
	fprintf(stderr, "cvisor: unknown subcommand \"%s\" (see cvisor --help)\n", cmd);
	return 2;
}
