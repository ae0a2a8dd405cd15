/* Tests of the config.json parser: every field, and one clear error per bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsc-compat/oci_config.h"

static char err[512];

static int parse(const char *text, struct oci_config *c)
{
	err[0] = 0;
	return oci_config_parse(text, strlen(text), "/b/bundle", c, err, sizeof err);
}

/* The parse must fail with exactly msg, and leave nothing allocated. */
static void expect_error(const char *text, const char *msg)
{
	struct oci_config c;
	if (parse(text, &c) != -1)
		fail_msg("accepted: %s", text);
	assert_string_equal(err, msg);
	assert_null(strchr(err, '\n'));
	assert_null(c.bundle);
	assert_null(c.mounts);
	assert_null(c.process.args);
}

#define MIN "\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}"

static const char *full =
    "{\"ociVersion\": \"1.0.2-dev\","
    " \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
    " \"process\": {\"terminal\": true, \"consoleSize\": {\"height\": 24, \"width\": 80},"
    "   \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [5, 6]},"
    "   \"args\": [\"sh\", \"-c\", \"echo hi\"], \"env\": [\"PATH=/bin\", \"TERM=xterm\"],"
    "   \"cwd\": \"/work\","
    "   \"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\", "
    "\"CAP_CHECKPOINT_RESTORE\"], \"effective\": [\"CAP_KILL\"], \"ambient\": []},"
    "   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 4096},"
    "                 {\"type\": \"RLIMIT_CORE\", \"soft\": 18446744073709551615, \"hard\": "
    "18446744073709551615}],"
    "   \"noNewPrivileges\": true, \"oomScoreAdj\": -500, \"apparmorProfile\": \"x\","
    "   \"unknownField\": {\"deep\": [1, 2]}},"
    " \"hostname\": \"box\", \"domainname\": \"example\","
    " \"mounts\": ["
    "   {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
    "   {\"destination\": \"/data\", \"source\": \"data\", \"options\": [\"rbind\", \"ro\"]},"
    "   {\"destination\": \"etc/x\", \"type\": \"bind\", \"source\": \"/host/x\","
    "    \"options\": [\"ro\", \"rw\"]},"
    "   {\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
    "    \"options\": [\"nosuid\", \"mode=1777\", \"size=65536k\"]}],"
    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": "
    "\"/run/netns/x\"}, {\"type\": \"user\"}, {\"type\": \"time\"}],"
    "   \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],"
    "   \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 1}],"
    "   \"cgroupsPath\": \"/default/c1\","
    "   \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\", \"/proc/bus\"],"
    "   \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},"
    "   \"resources\": {\"pids\": {\"limit\": 2048}},"
    "   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38}},"
    " \"annotations\": {\"a\": \"b\"}}";

static void test_full(void **s)
{
	struct oci_config c;
	assert_int_equal(parse(full, &c), 0);
	assert_string_equal(c.oci_version, "1.0.2-dev");
	assert_string_equal(c.bundle, "/b/bundle");
	assert_string_equal(c.root_path, "/b/bundle/rootfs");
	assert_true(c.root_readonly);
	assert_true(c.has_process);
	struct oci_process *p = &c.process;
	assert_true(p->terminal);
	assert_int_equal(p->console_rows, 24);
	assert_int_equal(p->console_cols, 80);
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->gid, 100);
	assert_int_equal(p->umask, 022);
	assert_int_equal(p->n_additional_gids, 2);
	assert_int_equal(p->additional_gids[1], 6);
	assert_string_equal(p->args[2], "echo hi");
	assert_null(p->args[3]);
	assert_string_equal(p->env[1], "TERM=xterm");
	assert_null(p->env[2]);
	assert_string_equal(p->cwd, "/work");
	assert_true(p->caps.present);
	assert_int_equal(p->caps.bounding, (1ull << 0) | (1ull << 5) | (1ull << 40));
	assert_int_equal(p->caps.effective, 1ull << 5);
	assert_int_equal(p->caps.ambient, 0);
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 4096);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].soft == UINT64_MAX);
	assert_true(p->no_new_privileges);
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_string_equal(p->apparmor, "x");
	assert_null(p->selinux_label);
	assert_string_equal(c.hostname, "box");
	assert_string_equal(c.domainname, "example");
	assert_int_equal(c.n_mounts, 4);
	assert_string_equal(c.mounts[0].type, "proc");
	assert_string_equal(c.mounts[0].source, "proc");
	assert_false(c.mounts[0].bind);
	assert_null(c.mounts[0].options[0]);
	assert_string_equal(c.mounts[1].type, "bind");
	assert_string_equal(c.mounts[1].source, "/b/bundle/data");
	assert_true(c.mounts[1].bind);
	assert_true(c.mounts[1].readonly);
	assert_string_equal(c.mounts[2].destination, "/etc/x");
	assert_string_equal(c.mounts[2].source, "/host/x");
	assert_false(c.mounts[2].readonly);
	assert_string_equal(c.mounts[3].options[1], "mode=1777");
	assert_int_equal(c.n_namespaces, 4);
	assert_null(oci_config_ns(&c, OCI_NS_PID)->path);
	assert_string_equal(oci_config_ns(&c, OCI_NS_NETWORK)->path, "/run/netns/x");
	assert_non_null(oci_config_ns(&c, OCI_NS_TIME));
	assert_null(oci_config_ns(&c, OCI_NS_IPC));
	assert_int_equal(c.n_uid_mappings, 1);
	assert_int_equal(c.uid_mappings[0].host_id, 100000);
	assert_int_equal(c.uid_mappings[0].size, 65536);
	assert_int_equal(c.gid_mappings[0].host_id, 200000);
	assert_string_equal(c.cgroups_path, "/default/c1");
	assert_string_equal(c.masked_paths[0], "/proc/kcore");
	assert_null(c.masked_paths[1]);
	assert_string_equal(c.readonly_paths[1], "/proc/bus");
	assert_int_equal(c.n_sysctls, 1);
	assert_string_equal(c.sysctls[0].key, "net.ipv4.ip_forward");
	assert_string_equal(c.sysctls[0].value, "1");
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(c.resources, "pids"), "limit")),
			 2048);
	assert_string_equal(json_string_value(json_object_get(c.seccomp, "defaultAction")),
			    "SCMP_ACT_ERRNO");
	assert_string_equal(json_string_value(json_object_get(c.annotations, "a")), "b");
	oci_config_free(&c);
	assert_null(c.bundle);
}

static void test_minimal(void **s)
{
	struct oci_config c;
	assert_int_equal(parse("{" MIN "}", &c), 0);
	assert_false(c.has_process);
	assert_null(c.hostname);
	assert_int_equal(c.n_mounts, 0);
	assert_non_null(c.masked_paths);
	assert_null(c.masked_paths[0]);
	assert_non_null(c.readonly_paths);
	assert_null(c.resources);
	oci_config_free(&c);
	/* Absolute root outside the bundle, as podman writes it; nulls are absent. */
	assert_int_equal(parse("{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": "
			       "\"/var/lib/x/../y/merged/\"}, \"hostname\": null, \"process\": "
			       "{\"args\": [\"true\"], \"env\": null}}",
			       &c),
			 0);
	assert_string_equal(c.root_path, "/var/lib/y/merged");
	assert_string_equal(c.process.cwd, "/");
	assert_int_equal(c.process.umask, -1);
	assert_false(c.process.caps.present);
	assert_null(c.process.env[0]);
	oci_config_free(&c);
}

static void test_bad_top(void **s)
{
	expect_error("[1, 2]", "config.json: the top level must be a JSON object");
	expect_error("\"x\"", "config.json: the top level must be a JSON object");
	expect_error("", "config.json: invalid JSON at line 1 column 0: unexpected token near end of file");
	expect_error("{\"ociVersion\": \"1.0.2\",", "config.json: invalid JSON at line 1 column 23: string or '}' expected near end of file");
	expect_error("{\"root\": {\"path\": \"r\"}}", "config.json: ociVersion is required");
	expect_error("{\"ociVersion\": 1}", "config.json: ociVersion must be a string");
	expect_error("{\"ociVersion\": \"2.0.0\"}",
		     "config.json: ociVersion \"2.0.0\" is not supported (1.x)");
	expect_error("{\"ociVersion\": \"1.0.0\"}", "config.json: root.path is required");
	expect_error("{\"ociVersion\": \"1.0.0\", \"root\": []}",
		     "config.json: root must be an object");
	expect_error("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"\"}}",
		     "config.json: root.path must not be empty");
	expect_error("{" MIN ", \"ociVersion\": \"1.0.0\"}",
		     "config.json: invalid JSON at line 1 column 64: duplicate object key near "
		     "'\"ociVersion\"'");
	/* jansson quotes the text it stopped at, newline included: the error
	 * stays one line (found by the fuzzer). */
	expect_error("7\"\\\n", "config.json: invalid JSON at line 2 column 0: invalid escape near "
				"'\"\\?'");
}

static void test_bad_utf8(void **s)
{
	struct oci_config c;
	assert_int_equal(parse("{" MIN ", \"hostname\": \"\xff\xfe\"}", &c), -1);
	assert_string_equal(err, "config.json: invalid JSON at line 1 column 65: unable to decode "
				 "byte 0xff near '\"'");
	/* A NUL inside a string would cut paths short: jansson refuses it. */
	assert_int_equal(parse("{" MIN ", \"hostname\": \"a\\u0000b\"}", &c), -1);
	assert_non_null(strstr(err, "\\u0000 is not allowed"));
}

static void test_bad_process(void **s)
{
	expect_error("{" MIN ", \"process\": 3}", "config.json: process must be an object");
	expect_error("{" MIN ", \"process\": {}}",
		     "config.json: process.args must be a non-empty array of strings");
	expect_error("{" MIN ", \"process\": {\"args\": []}}",
		     "config.json: process.args must be a non-empty array of strings");
	expect_error("{" MIN ", \"process\": {\"args\": \"sh\"}}",
		     "config.json: process.args must be an array");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\", 1]}}",
		     "config.json: process.args[1] must be a string");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"terminal\": \"yes\"}}",
		     "config.json: process.terminal must be a boolean");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"cwd\": \"rel\"}}",
		     "config.json: process.cwd must be an absolute path");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"user\": {\"uid\": \"0\"}}}",
		     "config.json: process.user.uid must be an unsigned integer");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"user\": {\"uid\": -1}}}",
		     "config.json: process.user.uid must be an unsigned integer");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"user\": {\"gid\": 1.5}}}",
		     "config.json: process.user.gid must be an unsigned integer");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"user\": {\"gid\": 4294967296}}}",
		     "config.json: process.user.gid is out of range (0..4294967294)");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"user\": {\"additionalGids\": "
		     "[1, \"x\"]}}}",
		     "config.json: process.user.additionalGids[1] must be an unsigned integer");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"capabilities\": {\"bounding\": "
		     "[\"CAP_CHOWN\", \"CAP_FLY\"]}}}",
		     "config.json: process.capabilities.bounding: unknown capability \"CAP_FLY\"");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"capabilities\": []}}",
		     "config.json: process.capabilities must be an object");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"rlimits\": [{\"type\": "
		     "\"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]}}",
		     "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"rlimits\": [{\"type\": "
		     "\"RLIMIT_NOFILE\", \"soft\": 1}]}}",
		     "config.json: process.rlimits[0].hard is required");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"rlimits\": [{\"type\": "
		     "\"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 2}, {\"type\": \"RLIMIT_NOFILE\", "
		     "\"soft\": 1, \"hard\": 2}]}}",
		     "config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"oomScoreAdj\": 1001}}",
		     "config.json: process.oomScoreAdj is out of range (-1000..1000)");
	expect_error("{" MIN ", \"process\": {\"args\": [\"sh\"], \"consoleSize\": {\"height\": "
		     "true}}}",
		     "config.json: process.consoleSize.height must be an unsigned integer");
}

static void test_bad_mounts_linux(void **s)
{
	expect_error("{" MIN ", \"mounts\": {}}", "config.json: mounts must be an array");
	expect_error("{" MIN ", \"mounts\": [7]}", "config.json: mounts[0] must be an object");
	expect_error("{" MIN ", \"mounts\": [{\"type\": \"tmpfs\"}]}",
		     "config.json: mounts[0].destination is required");
	expect_error("{" MIN ", \"mounts\": [{\"destination\": \"/x\", \"options\": [\"bind\"]}]}",
		     "config.json: mounts[0].source is required for a bind mount");
	expect_error("{" MIN ", \"mounts\": [{\"destination\": \"/x\"}]}",
		     "config.json: mounts[0].type is required (it is not a bind mount)");
	expect_error("{" MIN ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", "
		     "\"options\": [1]}]}",
		     "config.json: mounts[0].options[0] must be a string");
	expect_error("{" MIN ", \"linux\": []}", "config.json: linux must be an object");
	expect_error("{" MIN ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": "
		     "\"net\"}]}}",
		     "config.json: linux.namespaces[1].type: unknown namespace type \"net\"");
	expect_error("{" MIN ", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": "
		     "\"pid\"}]}}",
		     "config.json: linux.namespaces[1].type: duplicate namespace \"pid\"");
	expect_error("{" MIN ", \"linux\": {\"namespaces\": [{\"type\": \"ipc\", \"path\": "
		     "\"x\"}]}}",
		     "config.json: linux.namespaces[0].path must be an absolute path");
	expect_error("{" MIN ", \"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": "
		     "1}]}}",
		     "config.json: linux.uidMappings[0].size is required");
	expect_error("{" MIN ", \"linux\": {\"cgroupsPath\": 5}}",
		     "config.json: linux.cgroupsPath must be a string");
	expect_error("{" MIN ", \"linux\": {\"sysctl\": {\"a\": 1}}}",
		     "config.json: linux.sysctl.a must be a string");
	expect_error("{" MIN ", \"linux\": {\"resources\": 1}}",
		     "config.json: linux.resources must be an object");
	expect_error("{" MIN ", \"linux\": {\"seccomp\": \"x\"}}",
		     "config.json: linux.seccomp must be an object");
	expect_error("{" MIN ", \"linux\": {\"maskedPaths\": [null]}}",
		     "config.json: linux.maskedPaths[0] must be a string");
	expect_error("{" MIN ", \"annotations\": {\"a\": 1}}",
		     "config.json: annotations.a must be a string");
}

/* A JSON text of an array with n elements elem at key. */
static char *huge(const char *key, const char *elem, size_t n)
{
	size_t el = strlen(elem) + 1;
	char *t = malloc(256 + n * el);
	assert_non_null(t);
	size_t k = (size_t)sprintf(t, "{" MIN ", %s[", key);
	for (size_t i = 0; i < n; i++)
		k += (size_t)sprintf(t + k, "%s%s", i ? "," : "", elem);
	strcpy(t + k, "]}}");
	if (!strchr(key, '{'))
		t[k + 2] = 0;
	return t;
}

static void test_limits(void **s)
{
	struct oci_config c;
	char *t = huge("\"linux\": {\"maskedPaths\": ", "\"/a\"", OCI_MAX_ARRAY + 1);
	assert_int_equal(parse(t, &c), -1);
	assert_string_equal(err, "config.json: linux.maskedPaths has more than 65536 elements");
	free(t);
	t = huge("\"linux\": {\"maskedPaths\": ", "\"/a\"", OCI_MAX_ARRAY);
	assert_int_equal(parse(t, &c), 0);
	assert_string_equal(c.masked_paths[OCI_MAX_ARRAY - 1], "/a");
	oci_config_free(&c);
	free(t);
	t = huge("\"mounts\": ", "{}", OCI_MAX_ARRAY + 1);
	assert_int_equal(parse(t, &c), -1);
	assert_string_equal(err, "config.json: mounts has more than 65536 elements");
	free(t);
	/* A late error in a long array frees what came before. */
	t = huge("\"mounts\": ", "{\"destination\": \"/p\", \"type\": \"proc\"}", 1000);
	strcpy(strrchr(t, ']'), ",{}]}");
	assert_int_equal(parse(t, &c), -1);
	assert_string_equal(err, "config.json: mounts[1000].destination is required");
	free(t);
	/* Bigger than the file limit. */
	size_t big = OCI_CONFIG_MAX_BYTES + 1;
	t = malloc(big + 1);
	memset(t, ' ', big);
	t[0] = '{';
	t[big - 1] = '}';
	t[big] = 0;
	assert_int_equal(oci_config_parse(t, big, "/b", &c, err, sizeof err), -1);
	assert_string_equal(err, "config.json: larger than 4194304 bytes");
	free(t);
	/* Deep nesting is an error from jansson, not a stack overflow. */
	t = malloc(300000);
	size_t k = (size_t)sprintf(t, "{" MIN ", \"x\": ");
	for (int i = 0; i < 100000; i++)
		t[k++] = '[';
	t[k] = 0;
	assert_int_equal(parse(t, &c), -1);
	assert_non_null(strstr(err, "config.json: invalid JSON"));
	free(t);
}

static void test_process_file(void **s)
{
	char dir[] = "/tmp/cvisor-oci-test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof path, "%s/process.json", dir);
	struct oci_process p;
	assert_int_equal(oci_process_load(path, &p, err, sizeof err), -1);
	char want[512];
	snprintf(want, sizeof want, "open %s: No such file or directory", path);
	assert_string_equal(err, want);
	FILE *f = fopen(path, "w");
	fputs("{\"args\": [\"ps\", \"-ef\"], \"env\": [\"A=1\"], \"cwd\": \"/tmp\", \"user\": "
	      "{\"uid\": 7}}",
	      f);
	fclose(f);
	assert_int_equal(oci_process_load(path, &p, err, sizeof err), 0);
	assert_string_equal(p.args[1], "-ef");
	assert_int_equal(p.uid, 7);
	assert_string_equal(p.cwd, "/tmp");
	oci_process_free(&p);
	f = fopen(path, "w");
	fputs("{\"args\": [\"ps\"], \"user\": {\"uid\": \"root\"}}", f);
	fclose(f);
	assert_int_equal(oci_process_load(path, &p, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: user.uid must be an unsigned integer", path);
	assert_string_equal(err, want);
	assert_null(p.args);
	unlink(path);

	/* oci_config_load: a relative bundle, the missing-file message. */
	assert_int_equal(chdir(dir), 0);
	struct oci_config c;
	assert_int_equal(oci_config_load("./b/", &c, err, sizeof err), -1);
	snprintf(want, sizeof want, "open %s/b/config.json: No such file or directory", dir);
	assert_string_equal(err, want);
	snprintf(path, sizeof path, "%s/config.json", dir);
	f = fopen(path, "w");
	fputs("{" MIN "}", f);
	fclose(f);
	assert_int_equal(oci_config_load(".", &c, err, sizeof err), 0);
	assert_string_equal(c.bundle, dir);
	snprintf(want, sizeof want, "%s/rootfs", dir);
	assert_string_equal(c.root_path, want);
	oci_config_free(&c);
	unlink(path);
	assert_int_equal(chdir("/"), 0);
	rmdir(dir);

	json_t *j = json_loads("[1]", 0, NULL);
	assert_int_equal(oci_process_parse(j, &p, err, sizeof err), -1);
	assert_string_equal(err, "process: the top level must be a JSON object");
	json_decref(j);
}

static void test_names(void **s)
{
	assert_int_equal(oci_cap_from_name("CAP_CHOWN"), 0);
	assert_int_equal(oci_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(oci_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(oci_cap_from_name("chown"), -1);
	assert_string_equal(oci_cap_name(38), "CAP_PERFMON");
	assert_null(oci_cap_name(41));
	assert_int_equal(oci_rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
	assert_string_equal(oci_rlimit_name(RLIMIT_NPROC), "RLIMIT_NPROC");
	assert_int_equal(oci_ns_from_name("cgroup"), OCI_NS_CGROUP);
	assert_string_equal(oci_ns_name(OCI_NS_NETWORK), "network");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),	     cmocka_unit_test(test_minimal),
	    cmocka_unit_test(test_bad_top),	     cmocka_unit_test(test_bad_utf8),
	    cmocka_unit_test(test_bad_process),	     cmocka_unit_test(test_bad_mounts_linux),
	    cmocka_unit_test(test_limits),	     cmocka_unit_test(test_process_file),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
