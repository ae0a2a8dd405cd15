/* Tests of the container cgroups: layout detection, cgroupsPath mapping,
 * linux.resources translation for v1 and v2, and (as root, on a host with
 * cgroups) a real create/attach/limit/destroy cycle under our own cgroup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/platform.h"
#include "runsc-compat/cgroup.h"

/* runsc-compat's command line names platforms; none is linked here. */
const struct platform *pf_lookup(const char *name)
{
	return NULL;
}

static void test_detect(void **state)
{
	const char *hyb = "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
			  "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
			  "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
	const char *v1 = "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
	const char *v2 = "30 23 0:27 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw\n";
	assert_int_equal(cg_detect_mountinfo(hyb), CG_HYBRID);
	assert_int_equal(cg_detect_mountinfo(v1), CG_V1);
	assert_int_equal(cg_detect_mountinfo(v2), CG_V2);
	assert_int_equal(cg_detect_mountinfo("1 0 8:1 / / rw - ext4 /dev/sda rw\n"), CG_NONE);
	assert_int_equal(cg_detect_mountinfo(""), CG_NONE);
}

static void test_map_path(void **state)
{
	char out[256];
	assert_int_equal(cg_map_path("/libpod_parent/libpod-abc", "abc", out, sizeof out), 0);
	assert_string_equal(out, "/libpod_parent/libpod-abc");
	assert_int_equal(cg_map_path("/default/ID", "ID", out, sizeof out), 0);
	assert_string_equal(out, "/default/ID");
	assert_int_equal(cg_map_path(NULL, "c1", out, sizeof out), 0);
	assert_string_equal(out, "cvisor/c1");
	assert_int_equal(cg_map_path("", "c1", out, sizeof out), 0);
	assert_string_equal(out, "cvisor/c1");
	assert_int_equal(cg_map_path("system.slice:libpod:abc", "abc", out, sizeof out), 0);
	assert_string_equal(out, "/system.slice/libpod-abc.scope");
	assert_int_equal(cg_map_path("machine-libpod_pod.slice:cri:x", "x", out, sizeof out), 0);
	assert_string_equal(out, "/machine.slice/machine-libpod_pod.slice/cri-x.scope");
	assert_int_equal(cg_map_path(":p:n", "n", out, sizeof out), 0);
	assert_string_equal(out, "/system.slice/p-n.scope");
	assert_int_equal(cg_map_path("/a/b/", "x", out, sizeof out), 0);
	assert_string_equal(out, "/a/b");
	/* Escapes and what the saved form cannot hold. */
	assert_int_equal(cg_map_path("/a/../../etc", "x", out, sizeof out), -1);
	assert_int_equal(cg_map_path("..", "x", out, sizeof out), -1);
	assert_int_equal(cg_map_path("/a;b", "x", out, sizeof out), -1);
	assert_int_equal(cg_map_path("bad.scope:p:n", "x", out, sizeof out), -1);
	/* ".." inside a name is fine. */
	assert_int_equal(cg_map_path("/a..b", "x", out, sizeof out), 0);
}

static void test_join(void **state)
{
	char out[256];
	cg_join("/process_api/x", "cvisor/c1", out, sizeof out);
	assert_string_equal(out, "/process_api/x/cvisor/c1");
	cg_join("/", "cvisor/c1", out, sizeof out);
	assert_string_equal(out, "/cvisor/c1");
	cg_join("/process_api/x", "/default/c1", out, sizeof out);
	assert_string_equal(out, "/default/c1");
}

static void test_weight(void **state)
{
	assert_int_equal(cg_shares_to_weight(0), 0);
	assert_int_equal(cg_shares_to_weight(2), 1);
	assert_int_equal(cg_shares_to_weight(1024), 39);
	assert_int_equal(cg_shares_to_weight(262144), 10000);
	assert_int_equal(cg_shares_to_weight(1000000), 10000); /* clamped */
}

static int plan(const char *js, bool v2, struct cg_write *w, char *err)
{
	json_error_t je;
	json_t *res = json_loads(js, 0, &je);
	assert_non_null(res);
	int n = cg_plan(res, v2, w, 32, err, 256);
	json_decref(res);
	return n;
}

/* The value planned for file, or NULL. */
static const char *val(struct cg_write *w, int n, const char *file)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(w[i].file, file))
			return w[i].value;
	return NULL;
}

static int pos(struct cg_write *w, int n, const char *file)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(w[i].file, file))
			return i;
	return -1;
}

static void test_plan_v1(void **state)
{
	struct cg_write w[32];
	char err[256];
	int n = plan("{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":33554432},"
		     "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\","
		     "\"mems\":\"0\"},\"pids\":{\"limit\":20},\"devices\":[]}",
		     false, w, err);
	assert_true(n > 0);
	assert_string_equal(val(w, n, "memory.limit_in_bytes"), "67108864");
	assert_string_equal(val(w, n, "memory.memsw.limit_in_bytes"), "134217728");
	assert_true(w[pos(w, n, "memory.memsw.limit_in_bytes")].optional);
	/* memsw may not be below the limit: the limit goes first. */
	assert_true(pos(w, n, "memory.limit_in_bytes") < pos(w, n, "memory.memsw.limit_in_bytes"));
	assert_string_equal(val(w, n, "memory.soft_limit_in_bytes"), "33554432");
	assert_null(val(w, n, "memory.oom_control")); /* the killer stays on */
	assert_string_equal(val(w, n, "cpu.shares"), "512");
	assert_string_equal(val(w, n, "cpu.cfs_quota_us"), "50000");
	assert_true(pos(w, n, "cpu.cfs_period_us") < pos(w, n, "cpu.cfs_quota_us"));
	assert_string_equal(val(w, n, "cpuset.cpus"), "0");
	assert_string_equal(w[pos(w, n, "cpuset.cpus")].controller, "cpuset");
	assert_string_equal(val(w, n, "pids.max"), "124"); /* CG_HOST_PIDS(20) */
	assert_string_equal(w[pos(w, n, "pids.max")].controller, "pids");
	assert_string_equal(w[pos(w, n, "memory.limit_in_bytes")].controller, "memory");

	n = plan("{\"memory\":{\"limit\":-1,\"swap\":-1,\"disableOOMKiller\":true},"
		 "\"cpu\":{\"quota\":-1},\"pids\":{\"limit\":0}}",
		 false, w, err);
	assert_string_equal(val(w, n, "memory.limit_in_bytes"), "-1");
	assert_string_equal(val(w, n, "memory.memsw.limit_in_bytes"), "-1");
	assert_string_equal(val(w, n, "memory.oom_control"), "1");
	assert_string_equal(val(w, n, "cpu.cfs_quota_us"), "-1");
	assert_string_equal(val(w, n, "pids.max"), "max");
	assert_int_equal(plan("{}", false, w, err), 0);
}

static void test_plan_v2(void **state)
{
	struct cg_write w[32];
	char err[256];
	int n = plan("{\"memory\":{\"limit\":67108864,\"swap\":100663296,\"reservation\":1048576},"
		     "\"cpu\":{\"shares\":1024,\"quota\":50000},\"pids\":{\"limit\":20}}",
		     true, w, err);
	assert_string_equal(val(w, n, "memory.max"), "67108864");
	/* v2's swap.max is OCI's memory+swap minus memory. */
	assert_string_equal(val(w, n, "memory.swap.max"), "33554432");
	assert_string_equal(val(w, n, "memory.low"), "1048576");
	assert_string_equal(val(w, n, "memory.oom.group"), "1");
	assert_string_equal(val(w, n, "cpu.weight"), "39");
	assert_string_equal(val(w, n, "cpu.max"), "50000 100000");
	assert_string_equal(val(w, n, "pids.max"), "124"); /* CG_HOST_PIDS(20) */
	assert_string_equal(w[pos(w, n, "pids.max")].controller, "");

	n = plan("{\"memory\":{\"limit\":-1,\"swap\":-1},\"cpu\":{\"quota\":-1,\"period\":50000}}",
		 true, w, err);
	assert_string_equal(val(w, n, "memory.max"), "max");
	assert_string_equal(val(w, n, "memory.swap.max"), "max");
	assert_string_equal(val(w, n, "cpu.max"), "max 50000");

	n = plan("{\"memory\":{\"limit\":67108864,\"swap\":67108864}}", true, w, err);
	assert_string_equal(val(w, n, "memory.swap.max"), "0"); /* no swap at all */
}

static void test_plan_errors(void **state)
{
	struct cg_write w[32];
	char err[256];
	assert_int_equal(plan("{\"memory\":{\"limit\":\"64m\"}}", false, w, err), -1);
	assert_non_null(strstr(err, "memory"));
	assert_int_equal(plan("{\"memory\":{\"limit\":100,\"swap\":50}}", false, w, err), -1);
	assert_int_equal(plan("{\"memory\":{\"limit\":67108864,\"swap\":4096}}", true, w, err), -1);
	assert_non_null(strstr(err, "swap"));
	assert_int_equal(plan("{\"memory\":{\"swap\":67108864}}", true, w, err), -1);
	assert_int_equal(plan("{\"cpu\":{\"cpus\":3}}", false, w, err), -1);
	assert_int_equal(plan("{\"pids\":{\"limit\":true}}", false, w, err), -1);
	assert_int_equal(plan("[]", false, w, err), -1);
}

static bool dir_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A real cgroup, relative to ours so it stays inside whatever limits us. */
static void test_real_cycle(void **state)
{
	if (geteuid() != 0 || !dir_exists("/sys/fs/cgroup")) {
		skip();
		return;
	}
	char id[64], err[256];
	snprintf(id, sizeof id, "cgtest-%d", (int)getpid());
	json_t *res = json_loads("{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":20},"
				 "\"cpu\":{\"shares\":512}}",
				 0, NULL);
	struct cgroup *cg = cg_create(NULL, id, res, err, sizeof err);
	json_decref(res);
	if (!cg) {
		print_message("cg_create: %s\n", err);
		fail();
	}
	assert_int_equal(cg_pids_limit(cg), 20);
	const char *saved = cg_saved_path(cg);
	assert_non_null(saved);

	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(cg_attach(cg, child), 0);
	size_t n;
	pid_t *p = cg_pids(cg, &n);
	assert_int_equal(n, 1);
	assert_int_equal(p[0], child);
	free(p);
	struct cg_stats st;
	assert_int_equal(cg_stats(cg, &st), 0);
	if (st.mem_limit >= 0)
		assert_int_equal(st.mem_limit, 67108864);
	if (st.pids_limit >= 0)
		assert_int_equal(st.pids_limit, CG_HOST_PIDS(20));
	assert_int_equal(st.pids_current, 1);
	assert_int_equal(cg_freeze(cg, true), 0);
	assert_int_equal(cg_freeze(cg, false), 0);

	/* Another handle from the saved form destroys it, twice. */
	struct cgroup *again = cg_open(saved);
	assert_non_null(again);
	assert_int_equal(cg_destroy(again), 0);
	int s;
	assert_int_equal(waitpid(child, &s, 0), child);
	assert_true(WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL);
	assert_int_equal(cg_destroy(again), 0);
	/* Every directory is gone. */
	for (const char *q = strchr(saved, ';') ? strchr(strchr(saved, ';') + 1, ';') : NULL; q;
	     q = strchr(q + 1, ';')) {
		char dir[4096];
		const char *d = strchr(strchr(q + 1, ':') + 1, ':') + 1;
		snprintf(dir, sizeof dir, "%.*s", (int)strcspn(d, ";"), d);
		assert_false(dir_exists(dir));
		/* (The "cvisor" level above goes too unless another container
		 * of a concurrent test lives there.) */
	}
	cg_free(again);
	cg_free(cg);
}

static void test_bad_create(void **state)
{
	char err[256];
	json_t *res = json_loads("{\"memory\":{\"limit\":\"x\"}}", 0, NULL);
	assert_null(cg_create("/a/../..", "x", NULL, err, sizeof err));
	assert_non_null(strstr(err, "cgroupsPath"));
	assert_null(cg_create(NULL, "x", res, err, sizeof err));
	json_decref(res);
	assert_null(cg_open("garbage"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detect),	cmocka_unit_test(test_map_path),
	    cmocka_unit_test(test_join),	cmocka_unit_test(test_weight),
	    cmocka_unit_test(test_plan_v1),	cmocka_unit_test(test_plan_v2),
	    cmocka_unit_test(test_plan_errors), cmocka_unit_test(test_real_cycle),
	    cmocka_unit_test(test_bad_create),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
