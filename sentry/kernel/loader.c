/* execve's loader: resolves "#!" scripts, maps an ELF executable and its
 * interpreter into a new mm, builds the stack and sets the first registers. */
#include "sentry/kernel/loader.h"

#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "common/log.h"
#include "platform/platform.h"
#include "sentry/kernel/elf/elf.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/vfs.h"

/* Linux runs at most this many "#!" rewrites before giving up with ELOOP. */
#define MAX_SCRIPT_DEPTH 4
#define DEFAULT_STACK (8ULL << 20)
#define MIN_STACK (128ULL << 10)
/* A fixed-size stack VMA stands in for Linux's growing one; cap what an
 * unlimited RLIMIT_STACK reserves. */
#define MAX_STACK (1ULL << 30)
#define MIN_MMAP_GAP (128ULL << 20)
#define STACK_GUARD_GAP (256 * PAGE_SIZE)
/* Randomisation ranges of Linux x86-64: 28 bits of pages for mmap and PIE,
 * 22 for the stack, 32 MiB for brk (scaled down on small address spaces). */
#define MMAP_RND (1ULL << 40)
#define STACK_RND (1ULL << 34)
#define BRK_RND (32ULL << 20)

/* Everything one exec attempt holds, on the heap (elf_info is ~3 KiB). */
struct exec_state {
	struct shebang sb[MAX_SCRIPT_DEPTH];
	char probe[ELF_PROBE_SIZE];
	struct elf_info exe, interp;
	char interp_path[PATH_MAX];
	struct file *exe_file, *interp_file;
	const char *exe_path; /* the ELF file finally opened */
	const char **argv;
	size_t argc;
};

/* Reads up to len bytes at off; a short result means end of file. */
static ssize_t read_full(struct file *f, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = file_pread(f, (char *)buf + done, len - done, (int64_t)(off + done));
		if (n == -EINTR)
			continue;
		if (n < 0)
			return -EIO;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static uint64_t file_size(struct file *f)
{
	struct stat st;
	if (f->ops->fstat && f->ops->fstat(f, &st) == 0 && st.st_size >= 0)
		return (uint64_t)st.st_size;
	return UINT64_MAX;
}

/* Random page-aligned offset below range. */
static int rnd_pages(uint64_t range, uint64_t *out)
{
	uint64_t v;
	int r = loader_random(&v, sizeof v);
	if (r)
		return r;
	uint64_t pages = range / PAGE_SIZE;
	*out = pages ? (v % pages) * PAGE_SIZE : 0;
	return 0;
}

static uint64_t scaled(uint64_t range, uint64_t max_addr, unsigned div)
{
	return range < max_addr / div ? range : max_addr / div;
}

/* Replaces argv[0] by [interpreter, optional arg, script path], as Linux. */
static int script_argv(struct exec_state *x, const struct shebang *sb, const char *script)
{
	size_t extra = sb->has_arg ? 3 : 2;
	const char **v = malloc((x->argc + extra + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	size_t n = 0;
	v[n++] = sb->interp;
	if (sb->has_arg)
		v[n++] = sb->arg;
	v[n++] = script;
	for (size_t i = 1; i < x->argc; i++)
		v[n++] = x->argv[i];
	v[n] = NULL;
	free(x->argv);
	x->argv = v;
	x->argc = n;
	return 0;
}

/* Reads and validates the ELF headers of f into info; ENOEXEC if f is not
 * an ELF file (the caller checks for scripts first). */
static int read_elf(struct file *f, const char *probe, size_t probe_len, struct elf_info *info)
{
	int r = elf_parse_ehdr(probe, probe_len, info);
	if (r)
		return r;
	size_t tsize = elf_phdrs_size(info);
	void *ph = malloc(tsize);
	if (!ph)
		return -ENOMEM;
	ssize_t n = read_full(f, ph, tsize, info->phoff);
	if (n < 0)
		r = (int)n;
	else if ((size_t)n < tsize)
		r = -ENOEXEC;
	else
		r = elf_parse_phdrs(info, ph, tsize, file_size(f), pf->max_addr);
	free(ph);
	return r;
}

/* Opens the script chain down to an ELF file; fills x->exe, x->exe_file,
 * x->argv.  Nothing is mapped yet. */
static int open_executable(struct task *t, struct exec_state *x, const char *path)
{
	const char *cur = path;
	for (int depth = 0;; depth++) {
		struct file *f;
		int r = vfs_open_exec(t, cur, &f);
		if (r)
			return r;
		ssize_t n = read_full(f, x->probe, sizeof x->probe, 0);
		if (n < 0) {
			file_put(f);
			return (int)n;
		}
		if (n >= 2 && x->probe[0] == '#' && x->probe[1] == '!') {
			if (depth == MAX_SCRIPT_DEPTH) {
				file_put(f);
				return -ELOOP;
			}
			struct shebang *sb = &x->sb[depth];
			r = shebang_parse(x->probe, (size_t)n, sb);
			file_put(f);
			if (!r)
				r = script_argv(x, sb, cur);
			if (r)
				return r;
			cur = sb->interp;
			continue;
		}
		r = read_elf(f, x->probe, (size_t)n, &x->exe);
		if (r) {
			file_put(f);
			return r;
		}
		x->exe_file = f;
		x->exe_path = cur;
		return 0;
	}
}

/* Opens and validates the PT_INTERP program (ld.so). */
static int open_interp(struct task *t, struct exec_state *x)
{
	const struct elf_info *e = &x->exe;
	ssize_t n = read_full(x->exe_file, x->interp_path, e->interp_len, e->interp_off);
	if (n < 0)
		return (int)n;
	if ((uint64_t)n < e->interp_len || elf_check_interp(x->interp_path, e->interp_len))
		return -ENOEXEC;

	struct file *f;
	int r = vfs_open_exec(t, x->interp_path, &f);
	if (r)
		return r;
	n = read_full(f, x->probe, sizeof x->probe, 0);
	if (n < 0)
		r = (int)n;
	else
		r = read_elf(f, x->probe, (size_t)n, &x->interp);
	/* An interpreter that is no ELF (or wants its own interpreter) is a
	 * broken installation: Linux says ELIBBAD. */
	if (r == -ENOEXEC || (!r && x->interp.has_interp))
		r = -ELIBBAD;
	if (r) {
		file_put(f);
		return r;
	}
	x->interp_file = f;
	return 0;
}

/* Maps one PT_LOAD at bias: file pages private with the segment's prot,
 * the bss tail of the last file page zeroed, anonymous pages beyond. */
static int map_segment(struct mm *mm, const struct mm_backing *b, const struct elf_seg *s,
		       uint64_t bias, const char *name)
{
	uint64_t start = bias + s->vaddr;
	uint64_t page = PAGE_ROUND_DOWN(start);
	uint64_t file_end = start + s->filesz;
	uint64_t mem_end = start + s->memsz;
	long r;

	if (s->filesz) {
		r = mm_mmap_named(mm, page, PAGE_ROUND_UP(file_end) - page, s->prot,
				  MAP_PRIVATE | MAP_FIXED, b, s->offset - (start - page), name);
		if (r < 0)
			return (int)r;
	}
	if (s->memsz <= s->filesz)
		return 0;
	/* Like Linux, only a writable segment gets the rest of its last file
	 * page cleared; a read-only one keeps whatever the file holds there. */
	if (s->filesz && (s->prot & PROT_WRITE) && (file_end & ~PAGE_MASK)) {
		r = mm_zero_out(mm, file_end, PAGE_ROUND_UP(file_end) - file_end);
		if (r < 0)
			return (int)r;
	}
	uint64_t anon = s->filesz ? PAGE_ROUND_UP(file_end) : page;
	if (PAGE_ROUND_UP(mem_end) > anon) {
		r = mm_mmap(mm, anon, PAGE_ROUND_UP(mem_end) - anon, s->prot,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		if (r < 0)
			return (int)r;
	}
	return 0;
}

/* Maps an image.  ET_EXEC goes where it says; ET_DYN at base if nonzero,
 * else wherever mm finds room for its whole span.  *bias is the offset
 * added to every address of the file. */
static int map_image(struct mm *mm, struct file *f, const struct elf_info *info, uint64_t base,
		     uint64_t *bias)
{
	uint64_t span = info->hi - info->lo;
	struct mm_backing b;
	long r;

	*bias = 0;
	if (info->dyn) {
		/* Reserve the whole span first so the segments land together and
		 * nothing else is placed in their holes while we map. */
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | (base ? MAP_FIXED : 0);
		r = mm_mmap(mm, base, span, PROT_NONE, flags, NULL, 0);
		if (r < 0)
			return (int)r;
		*bias = (uint64_t)r - info->lo;
	}

	/* The path names the mappings in /proc/PID/maps. */
	char name[4096];
	if (!f->dentry || dentry_path(NULL, f->dentry, name, sizeof name) < 0)
		name[0] = '\0';
	file_backing(f, &b);
	r = 0;
	for (int i = 0; i < info->nload && !r; i++)
		r = map_segment(mm, &b, &info->load[i], *bias, name[0] ? name : NULL);
	/* mm took its own references for the VMAs it keeps. */
	b.put(b.obj);
	if (r)
		return (int)r;

	if (info->dyn) {
		/* Give back the reservation's holes between segments. */
		uint64_t prev = *bias + info->lo;
		for (int i = 0; i < info->nload; i++) {
			const struct elf_seg *s = &info->load[i];
			uint64_t st = PAGE_ROUND_DOWN(*bias + s->vaddr);
			uint64_t en = PAGE_ROUND_UP(*bias + s->vaddr + s->memsz);
			if (st > prev)
				mm_munmap(mm, prev, st - prev);
			if (en > prev)
				prev = en;
		}
	}
	return 0;
}

static uint64_t hwcap(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	return d;
}

static uint64_t hwcap2(void)
{
	unsigned a, b, c, d;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	/* The CPU bit says the instructions exist; they are usable only if the
	 * kernel running the application code enabled CR4.FSGSBASE.  On ptrace
	 * that is the host kernel, which reports it in its own AT_HWCAP2. */
	if ((b & 1) && (getauxval(AT_HWCAP2) & 2))
		return 2;
	return 0;
}

/* Linux's AT_MINSIGSTKSZ: the largest signal frame, i.e. siginfo +
 * ucontext + the XSAVE area of the enabled features, with padding. */
static uint64_t minsigstksz(void)
{
	unsigned a, b = 512 + 64, c, d;
	if (__get_cpuid_max(0, NULL) >= 0xd)
		__cpuid_count(0xd, 0, a, b, c, d);
	uint64_t frame = 440 /* rt_sigframe */ + 15 + b + 4 /* FP_XSTATE_MAGIC2 */ + 63;
	return (frame + 15) & ~15ULL;
}

static uint64_t stack_limit(struct task *t)
{
	uint64_t lim = t->tg->rlimits[RLIMIT_STACK].cur;
	return lim ? lim : DEFAULT_STACK;
}

/* Builds the whole new address space; t is only read. */
static int build_mm(struct task *t, struct exec_state *x, const char *path, char *const envp[],
		    struct mm **out, uint64_t *rip, uint64_t *rsp)
{
	uint64_t max = pf->max_addr;
	uint64_t rlim = stack_limit(t);
	uint64_t stack_size = rlim < MIN_STACK ? MIN_STACK : rlim > MAX_STACK ? MAX_STACK : rlim;
	stack_size = PAGE_ROUND_UP(stack_size);
	uint64_t srnd, mrnd, prnd, brnd, bias = 0, ibias = 0;
	int r;

	if ((r = rnd_pages(scaled(STACK_RND, max, 64), &srnd)) ||
	    (r = rnd_pages(scaled(MMAP_RND, max, 16), &mrnd)) ||
	    (r = rnd_pages(scaled(MMAP_RND, max, 16), &prnd)) || (r = rnd_pages(BRK_RND, &brnd)))
		return r;

	uint64_t top = PAGE_ROUND_DOWN(max - srnd);
	uint64_t gap = stack_size + STACK_GUARD_GAP + scaled(STACK_RND, max, 64);
	if (gap < MIN_MMAP_GAP)
		gap = MIN_MMAP_GAP;
	if (gap > max / 6 * 5)
		gap = max / 6 * 5;
	if (top < gap + mrnd + (1ULL << 20))
		return -ENOMEM;

	struct mm *mm = mm_new();
	if (!mm)
		return -ENOMEM;
	mm->mmap_base = PAGE_ROUND_DOWN(top - gap - mrnd);

	/* PIE programs sit at 2/3 of the address space, like Linux's
	 * ELF_ET_DYN_BASE, unless that collides with the mmap area. */
	uint64_t base = 0;
	if (x->exe.dyn) {
		base = PAGE_ROUND_DOWN(max / 3 * 2) + prnd;
		if (base + (x->exe.hi - x->exe.lo) > mm->mmap_base)
			base = 0;
	}
	r = map_image(mm, x->exe_file, &x->exe, base, &bias);
	if (r)
		goto fail;
	mm_set_brk_start(mm, PAGE_ROUND_UP(bias + x->exe.hi) + brnd);

	uint64_t entry = bias + x->exe.entry;
	*rip = entry;
	if (x->interp_file) {
		r = map_image(mm, x->interp_file, &x->interp, 0, &ibias);
		if (r)
			goto fail;
		*rip = ibias + x->interp.entry;
	}

	uint64_t phdr = x->exe.phdr_vaddr ? bias + x->exe.phdr_vaddr : 0;
	/* No AT_SYSINFO_EHDR: without a vDSO glibc makes real syscalls for
	 * clock_gettime and friends, which the sentry serves. */
	const uint64_t auxv[] = {
	    AT_HWCAP,	    hwcap(),
	    AT_PAGESZ,	    PAGE_SIZE,
	    AT_CLKTCK,	    100,
	    AT_PHDR,	    phdr,
	    AT_PHENT,	    ELF_PHDR_SIZE,
	    AT_PHNUM,	    x->exe.phnum,
	    AT_BASE,	    x->interp_file ? ibias : 0,
	    AT_FLAGS,	    0,
	    AT_ENTRY,	    entry,
	    AT_UID,	    t->cred.ruid,
	    AT_EUID,	    t->cred.euid,
	    AT_GID,	    t->cred.rgid,
	    AT_EGID,	    t->cred.egid,
	    AT_SECURE,	    0,
	    AT_HWCAP2,	    hwcap2(),
	    AT_MINSIGSTKSZ, minsigstksz(),
	};
	size_t envc = 0;
	while (envp && envp[envc])
		envc++;
	struct loader_args a = {
	    .argv = x->argv,
	    .argc = x->argc,
	    .envp = (const char *const *)envp,
	    .envc = envc,
	    .execfn = path,
	};
	int sprot = PROT_READ | PROT_WRITE | (x->exe.exec_stack ? PROT_EXEC : 0);
	r = loader_setup_stack(mm, top, stack_size, sprot, &a, auxv,
			       sizeof auxv / sizeof auxv[0] / 2, rsp);
	if (r)
		goto fail;
	*out = mm;
	return 0;
fail:
	mm_put(mm);
	return r;
}

static void set_comm(struct task *t, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	pthread_mutex_lock(&t->tg->lock);
	memset(t->tg->comm, 0, sizeof t->tg->comm);
	strncpy(t->tg->comm, base, sizeof t->tg->comm - 1);
	memcpy(t->comm, t->tg->comm, sizeof t->comm);
	pthread_mutex_unlock(&t->tg->lock);
}

/* Execution starts with a clean FPU, as after Linux's fpu__clear_user_states. */
static void reset_fpu(struct task *t)
{
	if (!t->arch.fpu)
		return;
	memset(t->arch.fpu, 0, pf_fpu_size());
	/* Legacy area: FCW and MXCSR at their reset values; XSTATE_BV = 0 puts
	 * every other component in its initial state. */
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(t->arch.fpu, &fcw, sizeof fcw);
	memcpy(t->arch.fpu + 24, &mxcsr, sizeof mxcsr);
	t->arch.fpu_valid = true;
	t->arch.fpu_dirty = true;
}

int loader_exec(struct task *t, const char *path, char *const argv[], char *const envp[])
{
	struct exec_state *x = calloc(1, sizeof *x);
	struct mm *mm = NULL;
	uint64_t rip = 0, rsp = 0;
	int r;

	if (!x)
		return -ENOMEM;
	size_t argc = 0;
	while (argv && argv[argc])
		argc++;
	/* Like Linux since 5.18, an empty argv gets "" so argv[0] exists. */
	x->argv = malloc((argc + 1) * sizeof *x->argv);
	if (!x->argv) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < argc; i++)
		x->argv[i] = argv[i];
	if (argc == 0)
		x->argv[argc++] = "";
	x->argc = argc;

	/* E2BIG is decided on what the caller passed, before any file I/O. */
	size_t envc = 0;
	while (envp && envp[envc])
		envc++;
	struct loader_args a = {.argv = x->argv,
				.argc = x->argc,
				.envp = (const char *const *)envp,
				.envc = envc,
				.execfn = path};
	r = loader_check_args(&a, stack_limit(t));
	if (r)
		goto out;

	r = open_executable(t, x, path);
	if (r)
		goto out;
	if (x->exe.has_interp) {
		r = open_interp(t, x);
		if (r)
			goto out;
	}
	/* Scripts added strings: check again with the final argv. */
	a.argv = x->argv;
	a.argc = x->argc;
	r = loader_check_args(&a, stack_limit(t));
	if (r)
		goto out;

	r = build_mm(t, x, path, envp, &mm, &rip, &rsp);
	if (r)
		goto out;

	/* Point of no return: nothing below can fail. */
	struct mm *old = t->mm;
	t->mm = mm;
	if (old)
		mm_put(old);
	memset(&t->arch.regs, 0, sizeof t->arch.regs);
	t->arch.regs.rip = rip;
	t->arch.regs.rsp = rsp;
	t->arch.regs.cs = 0x33;
	t->arch.regs.ss = 0x2b;
	t->arch.regs.eflags = 0x202;
	reset_fpu(t);
	/* The file's own path, not the name it was run by: a process started
	 * through /proc/self/exe must not have an exe link that names itself. */
	struct dentry *root = vfs_root();
	if (!x->exe_file->dentry ||
	    dentry_path(root, x->exe_file->dentry, t->exe, sizeof t->exe) <= 0)
		snprintf(t->exe, sizeof t->exe, "%s", x->exe_path);
	dentry_put(root);
	set_comm(t, path);
	DEBUG("exec %s: entry 0x%lx sp 0x%lx%s%s", path, (unsigned long)rip, (unsigned long)rsp,
	      x->interp_file ? " interp " : "", x->interp_file ? x->interp_path : "");
out:
	if (x->exe_file)
		file_put(x->exe_file);
	if (x->interp_file)
		file_put(x->interp_file);
	free(x->argv);
	free(x);
	return r;
}
