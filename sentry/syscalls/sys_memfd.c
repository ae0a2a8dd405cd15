/* memfd_create: an anonymous tmpfs file (sentry/fs/tmpfs/memfd.c). */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

/* Linux's limit: NAME_MAX less the "memfd:" prefix. */
#define MFD_NAME_MAX 249

/* SUP_PARTIAL: MFD_HUGETLB is refused with EINVAL (no hugetlbfs). */
DEFINE_SYSCALL_SUP(memfd_create, SUP_PARTIAL, R_INT, A_STR, A_HEX)
{
	unsigned flags = (unsigned)a[1];
	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC |
		      (0x3fU << 26) /* MFD_HUGE_* sizes */))
		return -EINVAL;
	if (!(flags & MFD_HUGETLB) && (flags & (0x3fU << 26)))
		return -EINVAL;
	if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL))
		return -EINVAL;
	if (flags & MFD_HUGETLB)
		return -EINVAL;
	char name[MFD_NAME_MAX + 1];
	long l = mm_strncpy_in(t->mm, name, a[0], sizeof name);
	if (l == -ENAMETOOLONG)
		return -EINVAL;
	if (l < 0)
		return l;
	/* Sealing is off unless asked for: F_SEAL_SEAL forbids every seal.
	 * MFD_NOEXEC_SEAL allows sealing and seals exec permission off. */
	unsigned seals = F_SEAL_SEAL;
	mode_t mode = 0777;
	if (flags & MFD_ALLOW_SEALING)
		seals = 0;
	if (flags & MFD_NOEXEC_SEAL) {
		seals = F_SEAL_EXEC;
		mode = 0666;
	}
	struct file *f;
	int r = tmpfs_memfd_create(name, seals, mode, t->cred.fsuid, t->cred.fsgid, &f);
	if (r)
		return r;
	int fd = fd_install(t->files, f, flags & MFD_CLOEXEC, 0, nofile_limit(t));
	file_put(f);
	return fd;
}
