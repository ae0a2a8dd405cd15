/* Mount-namespace isolation for the sentry and the gofer (see sandbox.h). */
#include "common/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* Where the new root is attached before pivot_root.  Any existing directory
 * works: the tmpfs mounted on it lives only in our private namespace and
 * disappears with the old root. */
static const char *const stage_dirs[] = {"/tmp", "/run", "/mnt", "/dev"};

/* Filesystems that expose host kernel state rather than files. */
static const char *const pseudo_fs[] = {
    "proc",	   "sysfs",	 "cgroup", "cgroup2",	 "devpts",    "mqueue",	 "debugfs",
    "tracefs",	   "securityfs", "pstore", "bpf",	 "configfs",  "fusectl", "hugetlbfs",
    "binfmt_misc", "efivarfs",	 "nsfs",   "rpc_pipefs", "selinuxfs", "autofs",	 "nfsd",
};

static int fail(const char *op, const char *path)
{
	int err = errno ? errno : EIO;
	log_warn("sandbox: %s %s: %s", op, path, strerror(err));
	return -err;
}

int sandbox_task_dirfd = -1;

/* unshare + rprivate: from here on nothing we mount reaches the host. */
static int private_ns(void)
{
	/* sandbox_drop_caps needs the thread list once /proc is gone. */
	if (sandbox_task_dirfd < 0)
		sandbox_task_dirfd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (unshare(CLONE_NEWNS))
		return fail("unshare(CLONE_NEWNS)", "");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return fail("mount MS_REC|MS_PRIVATE", "/");
	return 0;
}

/* Mounts a small private tmpfs on the first usable staging directory and
 * copies its path into dir. */
static int mount_stage(char *dir, size_t len, const char *opts)
{
	for (size_t i = 0; i < sizeof stage_dirs / sizeof *stage_dirs; i++) {
		if (mount("cvisor", stage_dirs[i], "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  opts) == 0) {
			snprintf(dir, len, "%s", stage_dirs[i]);
			return 0;
		}
	}
	return fail("mount tmpfs", stage_dirs[0]);
}

/* pivot_root(".", ".") stacks the old root on the new one; detaching it
 * leaves only the new root visible. */
static int pivot_here(const char *dir)
{
	if (chdir(dir))
		return fail("chdir", dir);
	if (syscall(SYS_pivot_root, ".", "."))
		return fail("pivot_root", dir);
	if (umount2(".", MNT_DETACH))
		return fail("umount2 old root", dir);
	if (chdir("/"))
		return fail("chdir", "/");
	return 0;
}

static bool is_pseudo(const char *fstype)
{
	for (size_t i = 0; i < sizeof pseudo_fs / sizeof *pseudo_fs; i++)
		if (!strcmp(fstype, pseudo_fs[i]))
			return true;
	return false;
}

/* Decodes mountinfo's octal escapes (\040 for space and the like) in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && path[n] == '/';
}

/* Detaches every pseudo filesystem mounted below top.  Parents come before
 * their children in mountinfo, and detaching a parent takes its children
 * along, so one pass suffices. */
static int detach_pseudo(const char *top)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return fail("open", "/proc/self/mountinfo");
	char *line = NULL, gone[64][256];
	size_t cap = 0, ngone = 0;
	int r = 0;
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype src super */
		char mp[4096], *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		char fstype[64];
		if (sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		unescape(mp);
		if (!under(mp, top) || !is_pseudo(fstype))
			continue;
		bool done = false;
		for (size_t i = 0; i < ngone && !done; i++)
			done = under(mp, gone[i]);
		if (done)
			continue;
		if (umount2(mp, MNT_DETACH)) {
			r = fail("umount2", mp);
			break;
		}
		if (ngone < sizeof gone / sizeof *gone && strlen(mp) < sizeof gone[0])
			strcpy(gone[ngone++], mp);
	}
	free(line);
	fclose(f);
	return r;
}

int sandbox_enter_tree(const char *path) { return sandbox_enter_tree_mode(path, true); }

int sandbox_enter_tree_mode(const char *path, bool readonly)
{
	int r = private_ns();
	if (r)
		return r;
	/* Clone before staging so the staging tmpfs is not part of the copy. */
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, path,
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return fail("open_tree", path);
	/* No MOUNT_ATTR_NODEV: the gofer still serves a few device nodes. */
	struct mount_attr attr = {.attr_set = (readonly ? MOUNT_ATTR_RDONLY : 0) | MOUNT_ATTR_NOSUID};
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof attr)) {
		r = fail("mount_setattr", path);
		goto out;
	}
	char dir[64], target[80];
	if ((r = mount_stage(dir, sizeof dir, "size=16k,mode=0700")))
		goto out;
	snprintf(target, sizeof target, "%s/root", dir);
	if (mkdir(target, 0700)) {
		r = fail("mkdir", target);
		goto out;
	}
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH)) {
		r = fail("move_mount", target);
		goto out;
	}
	if ((r = detach_pseudo(target)))
		goto out;
	r = pivot_here(target);
out:
	close(tree);
	return r;
}

int sandbox_enter_empty(void)
{
	int r = private_ns();
	if (r)
		return r;
	char dir[64];
	if ((r = mount_stage(dir, sizeof dir, "size=4k,nr_inodes=2,mode=0555")))
		return r;
	if ((r = pivot_here(dir)))
		return r;
	if (mount(NULL, "/", NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return fail("remount read-only", "/");
	return 0;
}
