/* The container state store: ROOT/ID/{state.json,lock} (see state.h). */
#include "runsc-compat/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsc-compat/errors.h"

#define OCI_STATE_VERSION "1.0.2"

bool state_valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 255)
		return false;
	/* Also rules out "." and "..": they start with '.'. */
	if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z') ||
	      (id[0] >= '0' && id[0] <= '9')))
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_.+-", *p)))
			return false;
	return true;
}

const char *state_status_name(enum ctr_status st)
{
	switch (st) {
	case CTR_CREATING:
		return "creating";
	case CTR_CREATED:
		return "created";
	case CTR_RUNNING:
		return "running";
	case CTR_PAUSED:
		return "paused";
	case CTR_STOPPED:
		return "stopped";
	}
	return "unknown";
}

static int status_from_name(const char *s)
{
	for (int st = CTR_CREATING; st <= CTR_STOPPED; st++)
		if (!strcmp(s, state_status_name(st)))
			return st;
	return -1;
}

/* mkdir -p with mode for each missing component. */
static int mkdir_p(const char *path, mode_t mode)
{
	char p[4096];
	if (strlen(path) >= sizeof p)
		return -ENAMETOOLONG;
	strcpy(p, path);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, mode) && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			return 0;
	}
}

/* Field 22 of /proc/PID/stat (start time in clock ticks), 0 when pid is gone;
 * *zombie says whether it has exited but is not reaped yet. */
static uint64_t proc_starttime(pid_t pid, bool *zombie)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	*zombie = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* The command name may hold spaces and ')': fields follow the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	char state;
	unsigned long long start;
	/* state is field 3, starttime field 22: 18 fields in between. */
	if (sscanf(p + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
			  "%*s %*s %llu",
		   &state, &start) != 2)
		return 0;
	*zombie = state == 'Z' || state == 'X';
	return start;
}

uint64_t state_pid_starttime(pid_t pid)
{
	bool z;
	return pid > 0 ? proc_starttime(pid, &z) : 0;
}

bool state_pid_alive(pid_t pid, uint64_t starttime)
{
	bool zombie = false;
	uint64_t st = pid > 0 ? proc_starttime(pid, &zombie) : 0;
	return st && !zombie && (!starttime || st == starttime);
}

/* Is the creator of a CTR_CREATING container gone (its lock is free)? */
static bool creator_gone(const struct ctr_state *s)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/lock", s->root_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	bool free_ = !flock(fd, LOCK_SH | LOCK_NB);
	close(fd);
	return free_;
}

static void refresh(struct ctr_state *s, bool locked)
{
	if (s->status == CTR_STOPPED)
		return;
	if (s->pid <= 0) {
		/* Only a create still in progress has no pid yet. */
		if (s->status != CTR_CREATING || (!locked && creator_gone(s)))
			s->status = CTR_STOPPED;
		return;
	}
	if (!state_pid_alive(s->pid, s->pid_starttime))
		s->status = CTR_STOPPED;
}

static void copy_str(char *dst, size_t len, json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	snprintf(dst, len, "%s", v ? v : "");
}

/* Reads ROOT/ID/state.json into s (without refreshing the status). */
static int read_file(const char *dir, struct ctr_state *s)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/state.json", dir);
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j) {
		struct stat st;
		return stat(path, &st) ? -errno : -EIO;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return -EIO;
	}
	copy_str(s->id, sizeof s->id, j, "id");
	copy_str(s->bundle, sizeof s->bundle, j, "bundle");
	copy_str(s->rootfs, sizeof s->rootfs, j, "rootfs");
	copy_str(s->created, sizeof s->created, j, "created");
	copy_str(s->owner, sizeof s->owner, j, "owner");
	copy_str(s->cgroup_path, sizeof s->cgroup_path, j, "cgroupPath");
	copy_str(s->platform, sizeof s->platform, j, "platform");
	const char *st = json_string_value(json_object_get(j, "status"));
	int status = st ? status_from_name(st) : -1;
	s->status = status < 0 ? CTR_STOPPED : (enum ctr_status)status;
	s->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	s->pid_starttime = (uint64_t)json_integer_value(json_object_get(j, "pidStartTime"));
	s->gofer_pid = (pid_t)json_integer_value(json_object_get(j, "goferPid"));
	json_t *a = json_object_get(j, "annotations");
	free(s->annotations_json);
	s->annotations_json = json_is_object(a) && json_object_size(a)
				  ? json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER)
				  : NULL;
	json_decref(j);
	return 0;
}

/* Zeroes s and points s->root_dir at ROOT/ID: 0, bad_id when id is not
 * valid, or -ENAMETOOLONG. */
static int init_dir(struct ctr_state *s, const char *root, const char *id, int bad_id)
{
	memset(s, 0, sizeof *s);
	if (!state_valid_id(id))
		return bad_id;
	if ((size_t)snprintf(s->root_dir, sizeof s->root_dir, "%s/%s", root, id) >=
	    sizeof s->root_dir)
		return -ENAMETOOLONG;
	return 0;
}

/* Reads the state file of s->root_dir into s and refreshes the status. */
static int load(struct ctr_state *s, const char *id, bool locked)
{
	int r = read_file(s->root_dir, s);
	if (r)
		return r;
	/* The directory name is the truth, whatever the file says. */
	snprintf(s->id, sizeof s->id, "%s", id);
	refresh(s, locked);
	return 0;
}

int state_read(const char *root, const char *id, struct ctr_state *s)
{
	int r = init_dir(s, root, id, -ENOENT);
	return r ? r : load(s, id, false);
}

int state_open(const char *root, const char *id, struct ctr_state *s, int *lock_fd)
{
	char path[4200];
	struct stat a, b;
	*lock_fd = -1;
	int r = init_dir(s, root, id, -ENOENT);
	if (r)
		return r;
	snprintf(path, sizeof path, "%s/lock", s->root_dir);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		r = -errno;
		close(fd);
		return r;
	}
	/* A delete that held the lock before us has unlinked it by now. */
	if (fstat(fd, &a) || stat(path, &b) || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
		close(fd);
		return -ENOENT;
	}
	if ((r = load(s, id, true))) {
		close(fd);
		state_free(s);
		return r;
	}
	*lock_fd = fd;
	return 0;
}

int state_create(const char *root, const char *id, struct ctr_state *s, int *lock_fd)
{
	char path[4200];
	*lock_fd = -1;
	int r = init_dir(s, root, id, -EINVAL);
	if (r)
		return r;
	if ((r = mkdir_p(root, 0700)))
		return r;
	if (mkdir(s->root_dir, 0711))
		return -errno;
	snprintf(path, sizeof path, "%s/lock", s->root_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		unlink(path);
		rmdir(s->root_dir);
		return r;
	}
	snprintf(s->id, sizeof s->id, "%s", id);
	s->status = CTR_CREATING;
	oci_time_now(s->created, sizeof s->created, 1);
	/* So that `list` and `state` see it while it is being created. */
	if ((r = state_write(s))) {
		state_remove(s, fd);
		return r;
	}
	*lock_fd = fd;
	return 0;
}

static json_t *oci_object(const struct ctr_state *s)
{
	json_t *ann = s->annotations_json ? json_loads(s->annotations_json, 0, NULL) : NULL;
	if (!json_is_object(ann)) {
		json_decref(ann);
		ann = json_object();
	}
	json_t *j = json_object();
	json_object_set_new(j, "ociVersion", json_string(OCI_STATE_VERSION));
	json_object_set_new(j, "id", json_string(s->id));
	json_object_set_new(j, "pid", json_integer(s->status == CTR_STOPPED ? 0 : s->pid));
	json_object_set_new(j, "status", json_string(state_status_name(s->status)));
	json_object_set_new(j, "bundle", json_string(s->bundle));
	if (s->rootfs[0])
		json_object_set_new(j, "rootfs", json_string(s->rootfs));
	json_object_set_new(j, "created", json_string(s->created));
	json_object_set_new(j, "owner", json_string(s->owner));
	json_object_set_new(j, "annotations", ann);
	return j;
}

char *state_oci_json(const struct ctr_state *s)
{
	json_t *j = oci_object(s);
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	return t;
}

json_t *state_oci_object(const struct ctr_state *s)
{
	return oci_object(s);
}

int state_write(const struct ctr_state *s)
{
	char tmp[4200], path[4200];
	json_t *j = oci_object(s);
	/* The live pid as recorded, also once stopped: the OCI view says 0. */
	json_object_set_new(j, "pid", json_integer(s->pid));
	json_object_set_new(j, "pidStartTime", json_integer((json_int_t)s->pid_starttime));
	json_object_set_new(j, "goferPid", json_integer(s->gofer_pid));
	json_object_set_new(j, "cgroupPath", json_string(s->cgroup_path));
	json_object_set_new(j, "platform", json_string(s->platform));
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text)
		return -ENOMEM;
	snprintf(tmp, sizeof tmp, "%s/state.json.%d.tmp", s->root_dir, (int)getpid());
	snprintf(path, sizeof path, "%s/state.json", s->root_dir);
	int r = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(text);
		return -errno;
	}
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	free(text);
	if (!r && fsync(fd))
		r = -errno;
	close(fd);
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		unlink(tmp);
		return r;
	}
	/* The rename itself must survive a crash too. */
	int dfd = open(s->root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* Removes everything below dirfd (the container directory holds only a few
 * files, maybe a directory or two of the lifecycle's). */
static void remove_tree(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!unlinkat(dirfd, e->d_name, 0) || errno != EISDIR)
			continue;
		int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			remove_tree(sub);
		unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

int state_remove(struct ctr_state *s, int lock_fd)
{
	int r = 0;
	int dfd = open(s->root_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		remove_tree(dfd);
	if (rmdir(s->root_dir) && errno != ENOENT)
		r = -errno;
	state_unlock(lock_fd);
	return r;
}

void state_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **state_list_ids(const char *root)
{
	size_t n = 0, cap = 16;
	char **ids = calloc(cap + 1, sizeof *ids);
	if (!ids)
		return NULL;
	DIR *d = opendir(root);
	if (!d)
		return ids;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!state_valid_id(e->d_name))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			char **t = realloc(ids, (2 * cap + 1) * sizeof *ids);
			if (!t)
				break;
			ids = t;
			cap *= 2;
		}
		if (!(ids[n] = strdup(e->d_name)))
			break;
		ids[++n] = NULL;
	}
	closedir(d);
	qsort(ids, n, sizeof *ids, cmp_str);
	return ids;
}

void state_free_ids(char **ids)
{
	if (!ids)
		return;
	for (char **p = ids; *p; p++)
		free(*p);
	free(ids);
}

void state_free(struct ctr_state *s)
{
	free(s->annotations_json);
	s->annotations_json = NULL;
}
