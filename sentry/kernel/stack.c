/* The initial process stack: argument and environment strings, auxv and the
 * pointer arrays, laid out as Linux's execve does on x86-64. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "sentry/kernel/loader.h"
#include "sentry/mm/mm.h"

#define PLATFORM_STR "x86_64"
/* Linux's arch_align_stack() moves sp down by up to this much at random. */
#define STACK_JITTER 8192

int loader_random(void *buf, size_t len)
{
	char *p = buf;
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int strings_size(const char *const *v, size_t n, size_t *total)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strnlen(v[i], LOADER_MAX_ARG_STRLEN);
		if (l >= LOADER_MAX_ARG_STRLEN)
			return -E2BIG;
		*total += l + 1;
	}
	return 0;
}

int loader_check_args(const struct loader_args *a, uint64_t stack_rlimit)
{
	/* Linux: min(3/4 of the default 8 MiB, rlimit / 4), but never below
	 * ARG_MAX; pointers count against it too. */
	uint64_t limit = 8ULL * 1024 * 1024 / 4 * 3;
	if (stack_rlimit / 4 < limit)
		limit = stack_rlimit / 4;
	if (limit < LOADER_ARG_MAX)
		limit = LOADER_ARG_MAX;
	uint64_t ptrs = (a->argc + a->envc) * sizeof(uint64_t);
	if (limit <= ptrs)
		return -E2BIG;
	limit -= ptrs;

	size_t total = 0;
	int r = strings_size(a->argv, a->argc, &total);
	if (!r)
		r = strings_size(a->envp, a->envc, &total);
	if (!r)
		r = strings_size(&a->execfn, 1, &total);
	if (r)
		return r;
	return total > limit ? -E2BIG : 0;
}

/* Copies strings upward from address *pos (img holds img_base onwards). */
static void put_strings(char *img, uint64_t img_base, uint64_t *pos, const char *const *v, size_t n,
			uint64_t *addrs)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;
		memcpy(img + (*pos - img_base), v[i], l);
		if (addrs)
			addrs[i] = *pos;
		*pos += l;
	}
}

int loader_setup_stack(struct mm *mm, uint64_t top, uint64_t stack_size, int prot,
		       const struct loader_args *a, const uint64_t *auxv, size_t nauxv_pairs,
		       uint64_t *sp_out)
{
	size_t argsz = 0, envsz = 0, fnsz = strlen(a->execfn) + 1;
	uint16_t jitter;
	int r;

	if (strings_size(a->argv, a->argc, &argsz) || strings_size(a->envp, a->envc, &envsz))
		return -E2BIG;
	r = loader_random(&jitter, sizeof jitter);
	if (r)
		return r;

	/* Addresses, from the top down: a zero word, execfn, env strings, arg
	 * strings, jitter, platform string, 16 random bytes, then the 16-byte
	 * aligned block argc/argv/envp/auxv. */
	uint64_t fn = top - 8 - fnsz;
	uint64_t env_start = fn - envsz;
	uint64_t arg_start = env_start - argsz;
	uint64_t p = (arg_start - (jitter % STACK_JITTER)) & ~15ULL;
	uint64_t platform = p - sizeof PLATFORM_STR;
	uint64_t rnd = platform - 16;
	size_t nauxv = nauxv_pairs + 4; /* + RANDOM, PLATFORM, EXECFN, NULL */
	size_t items = 1 + a->argc + 1 + a->envc + 1 + 2 * nauxv;
	uint64_t sp = (rnd - items * 8) & ~15ULL;

	/* Leave room below for the program: the image must use at most half. */
	if (top - sp > stack_size / 2)
		return -E2BIG;

	/* Before mapping, so mm can tell the VMA is the [stack]. */
	mm->stack_top = top;
	long m = mm_mmap(mm, top - stack_size, stack_size, prot,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	if (m < 0)
		return (int)m;

	size_t size = top - sp;
	char *img = calloc(1, size);
	uint64_t *ptrs = calloc(a->argc + a->envc + 1, sizeof(uint64_t));
	if (!img || !ptrs) {
		free(img);
		free(ptrs);
		return -ENOMEM;
	}

	uint64_t pos = arg_start;
	put_strings(img, sp, &pos, a->argv, a->argc, ptrs);
	put_strings(img, sp, &pos, a->envp, a->envc, ptrs + a->argc);
	memcpy(img + (fn - sp), a->execfn, fnsz);
	memcpy(img + (platform - sp), PLATFORM_STR, sizeof PLATFORM_STR);
	r = loader_random(img + (rnd - sp), 16);
	if (r)
		goto out;

	uint64_t *w = (uint64_t *)(img); /* sp is 16-aligned, so is img's start */
	size_t i = 0;
	w[i++] = a->argc;
	for (size_t k = 0; k < a->argc; k++)
		w[i++] = ptrs[k];
	w[i++] = 0;
	for (size_t k = 0; k < a->envc; k++)
		w[i++] = ptrs[a->argc + k];
	w[i++] = 0;
	uint64_t auxv_start = sp + i * 8;
	memcpy(&w[i], auxv, nauxv_pairs * 2 * sizeof(uint64_t));
	i += nauxv_pairs * 2;
	w[i++] = AT_RANDOM;
	w[i++] = rnd;
	w[i++] = AT_PLATFORM;
	w[i++] = platform;
	w[i++] = AT_EXECFN;
	w[i++] = fn;
	w[i++] = AT_NULL;
	w[i++] = 0;

	r = mm_copy_out(mm, sp, img, size);
	if (r)
		goto out;
	mm->arg_start = arg_start;
	mm->arg_end = env_start;
	mm->env_start = env_start;
	mm->env_end = fn;
	mm->auxv_start = auxv_start;
	mm->auxv_end = sp + i * 8;
	*sp_out = sp;
out:
	explicit_bzero(img + (rnd - sp), 16);
	free(img);
	free(ptrs);
	return r;
}
