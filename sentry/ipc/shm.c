/* System V shared memory: segments of memory-file frames that shmat maps
 * MAP_SHARED into the caller's address space. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>

#include "sentry/ipc/internal.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/mm_internal.h"

#define CAP_IPC_LOCK 14
#define SHM_PAGES(size) (((size) + PAGE_SIZE - 1) / PAGE_SIZE)
/* Linux's defaults (include/uapi/linux/shm.h). */
#define SHMMIN_K 1UL
#define SHMMNI_K 4096
#define SHMMAX_K (ULONG_MAX - (1UL << 24))
#define SHMALL_K (ULONG_MAX - (1UL << 24))

struct shm_seg {
	struct ipc_obj perm;
	uint64_t size;
	uint64_t npages;
	uint64_t *frames;     /* memory-file offset + 1 per page, 0: not yet */
	unsigned long nattch; /* VMAs mapping it, plus shmat in progress */
	time_t atime, dtime;
	pid_t cpid, lpid;
};

static pthread_mutex_t shm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ipc_ids shm_ids = {.limit = SHMMNI_K};
static uint64_t shm_tot_pages; /* pages of all segments (SHM_INFO) */
static uint64_t shm_rss_pages; /* frames allocated */

static void shm_destroy(struct shm_seg *s)
{
	ipc_remove(&shm_ids, &s->perm);
	for (uint64_t i = 0; i < s->npages; i++)
		if (s->frames[i]) {
			memfile_unref(s->frames[i] - 1);
			shm_rss_pages--;
		}
	shm_tot_pages -= s->npages;
	free(s->frames);
	free(s);
}

/* Called under shm_lock when the last attachment may be gone. */
static void shm_maybe_destroy(struct shm_seg *s)
{
	if (!s->nattch && (s->perm.mode & SHM_DEST))
		shm_destroy(s);
}

/* ---- The segment as an mm_backing (called with mm->lock held) ---- */

static ssize_t shm_pread(void *obj, void *buf, size_t len, uint64_t off)
{
	(void)obj, (void)buf, (void)len, (void)off;
	return -EIO; /* unused: frame is always set */
}

static int64_t shm_frame(void *obj, uint64_t pgoff)
{
	struct shm_seg *s = obj;
	int64_t r;
	pthread_mutex_lock(&shm_lock);
	if (pgoff >= s->npages) {
		r = -EIO;
	} else if (s->frames[pgoff]) {
		r = (int64_t)s->frames[pgoff] - 1;
		memfile_ref((uint64_t)r);
	} else if ((r = memfile_alloc(1)) >= 0) {
		s->frames[pgoff] = (uint64_t)r + 1;
		shm_rss_pages++;
		memfile_ref((uint64_t)r);
	}
	pthread_mutex_unlock(&shm_lock);
	return r;
}

static void shm_vma_get(void *obj)
{
	struct shm_seg *s = obj;
	pthread_mutex_lock(&shm_lock);
	s->nattch++;
	pthread_mutex_unlock(&shm_lock);
}

static void shm_vma_put(void *obj)
{
	struct shm_seg *s = obj;
	pthread_mutex_lock(&shm_lock);
	s->nattch--;
	shm_maybe_destroy(s);
	pthread_mutex_unlock(&shm_lock);
}

/* ---- shmget ---- */

struct shmget_arg {
	uint64_t size;
	pid_t pid;
};

static struct ipc_obj *shm_create(const struct cred *c, key_t key, int flg, void *arg, long *err)
{
	struct shmget_arg *ga = arg;
	if (ga->size < SHMMIN_K || ga->size > SHMMAX_K) {
		*err = -EINVAL;
		return NULL;
	}
	uint64_t npages = SHM_PAGES(ga->size);
	if (shm_tot_pages + npages < shm_tot_pages || shm_tot_pages + npages > SHMALL_K) {
		*err = -ENOSPC;
		return NULL;
	}
	struct shm_seg *s = calloc(1, sizeof *s);
	/* A large calloc is lazily zeroed host memory: untouched parts of a
	 * huge sparse segment cost nothing. */
	if (!s || !(s->frames = calloc(npages, sizeof *s->frames))) {
		free(s);
		*err = -ENOMEM;
		return NULL;
	}
	int r = ipc_add(&shm_ids, &s->perm, c, key, flg);
	if (r) {
		free(s->frames);
		free(s);
		*err = r;
		return NULL;
	}
	s->size = ga->size;
	s->npages = npages;
	s->cpid = ga->pid;
	shm_tot_pages += npages;
	return &s->perm;
}

static int shm_check(struct ipc_obj *o, void *arg)
{
	struct shmget_arg *ga = arg;
	return ga->size > ((struct shm_seg *)o)->size ? -EINVAL : 0;
}

long ipc_shmget(struct task *t, const uint64_t *a)
{
	struct shmget_arg ga = {.size = a[1], .pid = t->tg->tgid};
	return ipc_get(&shm_ids, &shm_lock, &t->cred, (key_t)a[0], (int)a[2], shm_create, shm_check,
		       &ga);
}

/* ---- shmat / shmdt ---- */

long ipc_shmat(struct task *t, const uint64_t *a)
{
	int id = (int)a[0];
	uint64_t addr = a[1];
	int flg = (int)a[2];
	int prot = PROT_READ, acc = S_IRUSR, mflags = MAP_SHARED;
	if (flg & SHM_RDONLY)
		mflags |= MM_MAP_NOWRITE;
	else {
		prot |= PROT_WRITE;
		acc |= S_IWUSR;
	}
	if (flg & SHM_EXEC) {
		prot |= PROT_EXEC;
		acc |= S_IXUSR;
	}
	if (addr) {
		if (addr & (SHMLBA - 1)) {
			if (!(flg & SHM_RND))
				return -EINVAL;
			addr &= ~(uint64_t)(SHMLBA - 1);
			/* Linux: rounding down to 0 is only allowed with
			 * SHM_REMAP... and then fails as any fixed 0 would. */
			if (!addr && !(flg & SHM_REMAP))
				return -EINVAL;
		}
		mflags |= (flg & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	} else if (flg & SHM_REMAP) {
		return -EINVAL;
	}

	pthread_mutex_lock(&shm_lock);
	struct shm_seg *s = (struct shm_seg *)ipc_find_id(&shm_ids, id);
	long r = s ? ipc_perm(&t->cred, &s->perm, acc) : -EINVAL;
	if (r) {
		pthread_mutex_unlock(&shm_lock);
		return r;
	}
	s->nattch++; /* keeps s while mapping, unlocked */
	uint64_t size = s->size;
	char name[40];
	snprintf(name, sizeof name, "/SYSV%08x", (unsigned)s->perm.key);
	pthread_mutex_unlock(&shm_lock);

	struct mm_backing b = {
	    .pread = shm_pread,
	    .get = shm_vma_get,
	    .put = shm_vma_put,
	    .obj = s,
	    .frame = shm_frame,
	};
	r = mm_mmap_named(t->mm, addr, size, prot, mflags, &b, 0, name);
	if (r == -EEXIST)
		r = -EINVAL;

	pthread_mutex_lock(&shm_lock);
	if (r >= 0) {
		s->atime = ipc_now();
		s->lpid = t->tg->tgid;
	}
	s->nattch--;
	shm_maybe_destroy(s);
	pthread_mutex_unlock(&shm_lock);
	return r;
}

static bool is_shm_vma(const struct vma *v)
{
	return v->has_file && v->file.frame == shm_frame;
}

long ipc_shmdt(struct task *t, const uint64_t *a)
{
	uint64_t addr = a[0];
	struct mm *mm = t->mm;
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	long r = -EINVAL;
	pthread_mutex_lock(&mm->lock);
	/* The attachment at addr: the shm VMA whose offset 0 lies at addr.
	 * Every piece of it (mprotect splits) inside the segment's size
	 * goes, as Linux's shmdt does. */
	struct vma *v = vma_find(mm, addr);
	while (v && !(is_shm_vma(v) && v->start - v->off == addr))
		v = v->next;
	if (v) {
		struct shm_seg *s = v->file.obj;
		pthread_mutex_lock(&shm_lock);
		uint64_t end = addr + PAGE_SIZE * s->npages;
		s->dtime = ipc_now();
		s->lpid = t->tg->tgid;
		pthread_mutex_unlock(&shm_lock);
		for (;;) {
			v = vma_find(mm, addr);
			while (v && v->start < end &&
			       !(is_shm_vma(v) && v->file.obj == s && v->start - v->off == addr))
				v = v->next;
			if (!v || v->start >= end)
				break;
			/* s may be freed by this unmap: nothing reads it after
			 * the last piece. */
			uint64_t vs = v->start, ve = v->end;
			mm_unmap_locked(mm, vs, ve);
		}
		r = 0;
	}
	pthread_mutex_unlock(&mm->lock);
	return r;
}

/* ---- shmctl ---- */

static void shm_fill(const struct shm_seg *s, struct shmid_ds *ds)
{
	memset(ds, 0, sizeof *ds);
	ipc_fill_perm(&s->perm, &ds->shm_perm);
	ds->shm_segsz = s->size;
	ds->shm_atime = s->atime;
	ds->shm_dtime = s->dtime;
	ds->shm_ctime = s->perm.ctime;
	ds->shm_cpid = s->cpid;
	ds->shm_lpid = s->lpid;
	ds->shm_nattch = s->nattch;
}

long ipc_shmctl(struct task *t, const uint64_t *a)
{
	int id = (int)a[0], cmd = IPC_CMD(a[1]);
	uint64_t ubuf = a[2];
	struct shmid_ds ds;
	long r = 0;

	switch (cmd) {
	case IPC_INFO: {
		struct shminfo si = {
		    .shmmax = SHMMAX_K,
		    .shmmin = SHMMIN_K,
		    .shmmni = SHMMNI_K,
		    .shmseg = SHMMNI_K,
		    .shmall = SHMALL_K,
		};
		pthread_mutex_lock(&shm_lock);
		r = shm_ids.max_used ? shm_ids.max_used - 1 : 0;
		pthread_mutex_unlock(&shm_lock);
		return mm_copy_out(t->mm, ubuf, &si, sizeof si) ?: r;
	}
	case SHM_INFO: {
		struct shm_info si = {0};
		pthread_mutex_lock(&shm_lock);
		si.used_ids = shm_ids.in_use;
		si.shm_tot = shm_tot_pages;
		si.shm_rss = shm_rss_pages;
		r = shm_ids.max_used ? shm_ids.max_used - 1 : 0;
		pthread_mutex_unlock(&shm_lock);
		return mm_copy_out(t->mm, ubuf, &si, sizeof si) ?: r;
	}
	case IPC_SET:
		if (mm_copy_in(t->mm, &ds, ubuf, sizeof ds))
			return -EFAULT;
		break;
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
	case IPC_RMID:
	case SHM_LOCK:
	case SHM_UNLOCK:
		break;
	default:
		return -EINVAL;
	}

	pthread_mutex_lock(&shm_lock);
	struct shm_seg *s;
	if (cmd == SHM_STAT || cmd == SHM_STAT_ANY)
		s = id >= 0 && id < IPC_SLOTS_MAX ? (struct shm_seg *)shm_ids.slot[id] : NULL;
	else
		s = (struct shm_seg *)ipc_find_id(&shm_ids, id);
	if (!s) {
		r = -EINVAL;
		goto out;
	}
	switch (cmd) {
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
		if (cmd != SHM_STAT_ANY && (r = ipc_perm(&t->cred, &s->perm, S_IRUSR)))
			break;
		shm_fill(s, &ds);
		r = cmd == IPC_STAT ? 0 : s->perm.id;
		break;
	case IPC_SET:
		if ((r = ipc_owner(&t->cred, &s->perm)))
			break;
		ipc_set_perm(&s->perm, &ds.shm_perm);
		break;
	case IPC_RMID:
		if ((r = ipc_owner(&t->cred, &s->perm)))
			break;
		/* Attached segments live on, unfindable by key, until their
		 * last detach. */
		s->perm.mode |= SHM_DEST;
		s->perm.key = IPC_PRIVATE;
		shm_maybe_destroy(s);
		break;
	case SHM_LOCK:
	case SHM_UNLOCK:
		if (!cred_capable(&t->cred, CAP_IPC_LOCK) && ipc_owner(&t->cred, &s->perm)) {
			r = -EPERM;
			break;
		}
		/* Nothing is ever swapped here: only the flag changes. */
		if (cmd == SHM_LOCK)
			s->perm.mode |= SHM_LOCKED;
		else
			s->perm.mode &= ~(unsigned)SHM_LOCKED;
		break;
	}
out:
	pthread_mutex_unlock(&shm_lock);
	if (r >= 0 && (cmd == IPC_STAT || cmd == SHM_STAT || cmd == SHM_STAT_ANY) &&
	    mm_copy_out(t->mm, ubuf, &ds, sizeof ds))
		return -EFAULT;
	return r;
}
