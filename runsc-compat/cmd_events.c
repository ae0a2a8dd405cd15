/* `cvisor events [--stats] [--interval 5s] ID`: runc-style JSON events,
 * one per line: {"type":"stats","id":ID,"data":{...}}. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/control_proto.h"
#include "runsc-compat/cgroup.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/launch.h"
#include "runsc-compat/state.h"

/* "5s", "500ms", "1m", or bare seconds: milliseconds, or -1. */
static long interval_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	if (!*end || !strcmp(end, "s"))
		return (long)(v * 1000);
	if (!strcmp(end, "ms"))
		return (long)v;
	if (!strcmp(end, "m"))
		return (long)(v * 60000);
	return -1;
}

static json_t *num(long long v)
{
	return json_integer(v < 0 ? 0 : v);
}

static int print_stats(const struct ctr_state *s)
{
	struct ctl_stats st = {0};
	char *payload = NULL;
	int r = s->status == CTR_PAUSED ? 0 : ctl_client_call(s, CTL_STATS, 0, 0, &payload);
	if (r)
		return r;
	if (payload)
		memcpy(&st, payload, sizeof st);
	free(payload);
	struct cg_stats cs = {-1, -1, -1, -1, -1, -1};
	if (s->cgroup_path[0]) {
		struct cgroup *cg = cg_open(s->cgroup_path);
		if (cg) {
			cg_stats(cg, &cs);
			cg_free(cg);
		}
	}
	json_t *data = json_pack(
	    "{s:{s:{s:o}}, s:{s:{s:o, s:o, s:o}, s:o}, s:{s:o, s:o}}", "cpu", "usage", "total",
	    num(cs.cpu_usage_ns), "memory", "usage", "usage",
	    num(cs.mem_usage >= 0 ? cs.mem_usage : (long long)st.mem_bytes), "limit",
	    num(cs.mem_limit), "max", num(cs.mem_max_usage), "sandbox", num((long long)st.mem_bytes),
	    "pids", "current", num(cs.pids_current >= 0 ? cs.pids_current : (long long)st.tasks),
	    "limit", num(cs.pids_limit));
	json_t *ev = json_pack("{s:s, s:s, s:o}", "type", "stats", "id", s->id, "data", data);
	char *text = json_dumps(ev, JSON_COMPACT);
	printf("%s\n", text);
	fflush(stdout);
	free(text);
	json_decref(ev);
	return 0;
}

int cmd_events(struct cli_opts *o, int argc, char **argv, int i)
{
	bool stats = false;
	const char *interval = "5s";
	const struct flag f[] = {
	    {"stats", FLAG_BOOL, &stats},
	    {"interval", FLAG_STR, &interval},
	    {NULL, FLAG_BOOL, NULL},
	};
	static const char usage[] = "cvisor events [--stats] [--interval DURATION] ID";
	const char *id;
	int r = cli_parse_id(o, f, argc, argv, i, usage, &id);
	if (r)
		return r;
	long ms = interval_ms(interval);
	if (ms <= 0) {
		fprintf(stderr, "Usage: %s\n", usage);
		return 2;
	}
	for (;;) {
		struct ctr_state s;
		if ((r = state_read(o->root, id, &s)))
			return oci_error_open(o, id, r);
		if (s.status == CTR_STOPPED || s.status == CTR_CREATING) {
			/* The stream ends with the container. */
			state_free(&s);
			if (stats) {
				oci_error(o, "container not running");
				return 1;
			}
			return 0;
		}
		r = print_stats(&s);
		state_free(&s);
		if (r) {
			oci_error(o, "events %s: %s", id, strerror(r < 0 ? -r : r));
			return 1;
		}
		if (stats)
			return 0;
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
		nanosleep(&ts, NULL);
	}
}
