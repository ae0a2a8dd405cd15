/* Tests of the container state store: layout, atomic writes, locking, stale detection, OCI JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runsc-compat/state.h"

static char root[64];

static int setup(void **s)
{
	strcpy(root, "/tmp/cvisor-state-test.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **s)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	return system(cmd);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_ids(void **s)
{
	assert_true(state_valid_id("abc"));
	assert_true(state_valid_id("A0_b.c+d-e"));
	assert_true(state_valid_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	assert_false(state_valid_id(""));
	assert_false(state_valid_id("."));
	assert_false(state_valid_id(".."));
	assert_false(state_valid_id("a/b"));
	assert_false(state_valid_id("-a"));
	assert_false(state_valid_id("a b"));
	char long_id[300];
	memset(long_id, 'a', 256);
	long_id[256] = 0;
	assert_false(state_valid_id(long_id));
	long_id[255] = 0;
	assert_true(state_valid_id(long_id));
}

static void test_lifecycle(void **s)
{
	char sub[128];
	snprintf(sub, sizeof sub, "%s/nested/root", root);
	struct ctr_state st, rd;
	int lk;
	assert_int_equal(state_create(sub, "c1", &st, &lk), 0);
	assert_true(lk >= 0);
	struct stat sb;
	assert_int_equal(stat(sub, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(st.root_dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0711);
	/* Visible as "creating" while its creator holds the lock. */
	assert_int_equal(state_read(sub, "c1", &rd), 0);
	assert_int_equal(rd.status, CTR_CREATING);
	state_free(&rd);
	/* A second create of the same id fails. */
	int lk2;
	assert_int_equal(state_create(sub, "c1", &rd, &lk2), -EEXIST);
	assert_int_equal(state_create(sub, "../x", &rd, &lk2), -EINVAL);

	st.pid = getpid();
	st.pid_starttime = state_pid_starttime(getpid());
	assert_true(st.pid_starttime > 0);
	st.status = CTR_CREATED;
	snprintf(st.bundle, sizeof st.bundle, "/b");
	snprintf(st.rootfs, sizeof st.rootfs, "/b/rootfs");
	snprintf(st.cgroup_path, sizeof st.cgroup_path, "/cvisor/c1");
	snprintf(st.platform, sizeof st.platform, "kvm");
	st.gofer_pid = 42;
	st.annotations_json = strdup("{\"k\": \"v\"}");
	assert_int_equal(state_write(&st), 0);
	state_unlock(lk);
	/* Only state.json and the lock: no temporary file is left. */
	assert_int_equal(count_entries(st.root_dir), 2);

	assert_int_equal(state_open(sub, "c1", &rd, &lk), 0);
	assert_string_equal(rd.id, "c1");
	assert_int_equal(rd.status, CTR_CREATED);
	assert_int_equal(rd.pid, getpid());
	assert_int_equal(rd.pid_starttime, st.pid_starttime);
	assert_int_equal(rd.gofer_pid, 42);
	assert_string_equal(rd.bundle, "/b");
	assert_string_equal(rd.cgroup_path, "/cvisor/c1");
	assert_string_equal(rd.platform, "kvm");
	assert_string_equal(rd.created, st.created);
	assert_string_equal(rd.annotations_json, "{\"k\":\"v\"}");
	char **ids = state_list_ids(sub);
	assert_string_equal(ids[0], "c1");
	assert_null(ids[1]);
	state_free_ids(ids);
	assert_int_equal(state_remove(&rd, lk), 0);
	state_free(&rd);
	assert_int_equal(stat(st.root_dir, &sb), -1);
	assert_int_equal(state_read(sub, "c1", &rd), -ENOENT);
	assert_int_equal(state_open(sub, "c1", &rd, &lk), -ENOENT);
	state_free(&st);
	/* The same id again right after. */
	assert_int_equal(state_create(sub, "c1", &st, &lk), 0);
	assert_int_equal(state_remove(&st, lk), 0);
}

static void test_oci_json(void **s)
{
	struct ctr_state st;
	int lk;
	assert_int_equal(state_create(root, "web", &st, &lk), 0);
	regex_t re;
	assert_int_equal(regcomp(&re,
				 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
				 "(\\.[0-9]*[1-9])?Z$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	assert_int_equal(regexec(&re, st.created, 0, NULL, 0), 0);
	regfree(&re);
	st.status = CTR_RUNNING;
	st.pid = getpid();
	snprintf(st.bundle, sizeof st.bundle, "/srv/web");
	snprintf(st.created, sizeof st.created, "2026-01-02T03:04:05.5Z");
	char *j = state_oci_json(&st);
	char want[1024];
	snprintf(want, sizeof want,
		 "{\n  \"ociVersion\": \"1.0.2\",\n  \"id\": \"web\",\n  \"pid\": %d,\n"
		 "  \"status\": \"running\",\n  \"bundle\": \"/srv/web\",\n"
		 "  \"created\": \"2026-01-02T03:04:05.5Z\",\n  \"owner\": \"\",\n"
		 "  \"annotations\": {}\n}",
		 (int)getpid());
	assert_string_equal(j, want);
	free(j);
	/* Stopped: pid 0, rootfs shown when known, annotations kept. */
	st.status = CTR_STOPPED;
	snprintf(st.rootfs, sizeof st.rootfs, "/srv/web/rootfs");
	st.annotations_json = strdup("{\"a\":\"1\"}");
	j = state_oci_json(&st);
	assert_non_null(strstr(j, "\"pid\": 0,\n"));
	assert_non_null(strstr(j, "\"status\": \"stopped\""));
	assert_non_null(strstr(j, "\"bundle\": \"/srv/web\",\n  \"rootfs\": \"/srv/web/rootfs\",\n"));
	assert_non_null(strstr(j, "\"annotations\": {\n    \"a\": \"1\"\n  }"));
	free(j);
	assert_string_equal(state_status_name(CTR_PAUSED), "paused");
	assert_string_equal(state_status_name(CTR_CREATING), "creating");
	state_remove(&st, lk);
	state_free(&st);
}

static void test_stale(void **s)
{
	struct ctr_state st, rd;
	int lk;
	assert_int_equal(state_create(root, "gone", &st, &lk), 0);
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	st.pid = child;
	st.pid_starttime = state_pid_starttime(child);
	st.status = CTR_RUNNING;
	assert_int_equal(state_write(&st), 0);
	state_unlock(lk);
	/* Exited but not reaped yet (a zombie): stopped already. */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(state_read(root, "gone", &rd), 0);
		if (rd.status == CTR_STOPPED)
			break;
		usleep(1000);
	}
	assert_int_equal(rd.status, CTR_STOPPED);
	char *j = state_oci_json(&rd);
	assert_non_null(strstr(j, "\"pid\": 0,"));
	free(j);
	waitpid(child, NULL, 0);
	assert_int_equal(state_read(root, "gone", &rd), 0);
	assert_int_equal(rd.status, CTR_STOPPED);

	/* A live pid with another start time is a reused pid. */
	assert_int_equal(state_open(root, "gone", &st, &lk), 0);
	st.pid = getpid();
	st.pid_starttime = state_pid_starttime(getpid()) + 1;
	st.status = CTR_PAUSED;
	assert_int_equal(state_write(&st), 0);
	assert_int_equal(state_read(root, "gone", &rd), 0);
	assert_int_equal(rd.status, CTR_STOPPED);
	st.pid_starttime--;
	assert_int_equal(state_write(&st), 0);
	assert_int_equal(state_read(root, "gone", &rd), 0);
	assert_int_equal(rd.status, CTR_PAUSED);
	assert_int_equal(state_remove(&st, lk), 0);

	/* A create whose creator died before it had a pid. */
	child = fork();
	if (child == 0) {
		struct ctr_state c;
		int l;
		_exit(state_create(root, "half", &c, &l) ? 1 : 0);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(status, 0);
	assert_int_equal(state_read(root, "half", &rd), 0);
	assert_int_equal(rd.status, CTR_STOPPED);
}

static void test_lock_serialises(void **s)
{
	struct ctr_state st, rd;
	int lk, p[2];
	assert_int_equal(state_create(root, "busy", &st, &lk), 0);
	assert_int_equal(pipe(p), 0);
	pid_t child = fork();
	if (child == 0) {
		int l;
		struct ctr_state c;
		/* flock belongs to the open file: our copy would hold it too. */
		close(lk);
		int r = state_open(root, "busy", &c, &l);
		/* Only once the parent has removed it: it does not exist. */
		char b = r == -ENOENT ? 'y' : 'n';
		if (write(p[1], &b, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	usleep(50000);
	/* The child must still be blocked on the lock. */
	assert_int_equal(waitpid(child, NULL, WNOHANG), 0);
	assert_int_equal(state_remove(&st, lk), 0);
	char b = 0;
	assert_int_equal(read(p[0], &b, 1), 1);
	assert_int_equal(b, 'y');
	close(p[0]);
	waitpid(child, NULL, 0);
	(void)rd;
}

static void test_list(void **s)
{
	char missing[128];
	snprintf(missing, sizeof missing, "%s/not/there", root);
	char **ids = state_list_ids(missing);
	assert_non_null(ids);
	assert_null(ids[0]);
	state_free_ids(ids);
	struct stat sb;
	assert_int_equal(stat(missing, &sb), -1);
	/* Read-only lookups never create anything either. */
	struct ctr_state rd;
	assert_int_equal(state_read(missing, "x", &rd), -ENOENT);
	assert_int_equal(stat(missing, &sb), -1);

	const char *names[] = {"zeta", "alpha", "mid"};
	for (int i = 0; i < 3; i++) {
		struct ctr_state st;
		int lk;
		assert_int_equal(state_create(root, names[i], &st, &lk), 0);
		state_unlock(lk);
	}
	/* Stray entries are not containers. */
	char junk[160];
	snprintf(junk, sizeof junk, "%s/.hidden", root);
	assert_int_equal(mkdir(junk, 0700), 0);
	snprintf(junk, sizeof junk, "%s/file", root);
	fclose(fopen(junk, "w"));
	ids = state_list_ids(root);
	assert_string_equal(ids[0], "alpha");
	assert_string_equal(ids[1], "mid");
	assert_string_equal(ids[2], "zeta");
	assert_null(ids[3]);
	state_free_ids(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ids),
	    cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oci_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_serialises, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
