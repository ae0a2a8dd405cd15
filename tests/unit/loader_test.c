/* Unit tests of the loader (scripts, ELF mapping, initial stack) against a
 * recording fake of mm and a host-file fake of the VFS. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* The loader lives in sentry/kernel, whose other files need the whole
 * sentry; build its two files into this test directly. */
#include "sentry/kernel/loader.c"
#include "sentry/kernel/stack.c"

/* ---- fakes ---- */

static const struct platform fake_pf = {.name = "fake", .max_addr = 0x7ffffff00000ULL};
const struct platform *pf = &fake_pf;

size_t pf_fpu_size(void) { return 1024; }

#define MAX_MAPS 64
static struct map {
	uint64_t start, len;
	int prot;
	bool file;
	uint64_t off;
	struct mm_backing b;
} maps[MAX_MAPS];
static int nmaps;
static uint64_t brk_start;
static uint64_t img_addr;
static size_t img_len;
static char *img_buf;
static int zeroed;

struct mm *mm_new(void)
{
	nmaps = 0;
	return calloc(1, sizeof(struct mm));
}

void mm_put(struct mm *mm)
{
	for (int i = 0; i < nmaps; i++)
		if (maps[i].file)
			maps[i].b.put(maps[i].b.obj);
	nmaps = 0;
	free(mm);
}

long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
	     const struct mm_backing *file, uint64_t off)
{
	assert_true(nmaps < MAX_MAPS);
	assert_int_equal(len & (PAGE_SIZE - 1), 0);
	assert_int_equal(off & (PAGE_SIZE - 1), 0);
	if (!(flags & MAP_FIXED)) {
		addr = mm->mmap_base - len;
		mm->mmap_base = addr;
	}
	assert_int_equal(addr & (PAGE_SIZE - 1), 0);
	assert_true(addr + len <= pf->max_addr);
	if (file) {
		file->get(file->obj);
	}
	maps[nmaps++] =
	    (struct map){addr, len, prot, file != NULL, off, file ? *file : (struct mm_backing){0}};
	return (long)addr;
}

long mm_mmap_named(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
		   const struct mm_backing *file, uint64_t off, const char *name)
{
	return mm_mmap(mm, addr, len, prot, flags, file, off);
}

/* The fake files have no dentries, so the loader never asks for a path. */
long dentry_path(struct dentry *root, struct dentry *d, char *buf, size_t size)
{
	return -ENOENT;
}

struct dentry *vfs_root(void) { return NULL; }
void dentry_put(struct dentry *d) {}

long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len) { return 0; }

int mm_zero_out(struct mm *mm, uint64_t dst, size_t n)
{
	zeroed++;
	return 0;
}

int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	free(img_buf);
	img_buf = malloc(n);
	memcpy(img_buf, src, n);
	img_addr = dst;
	img_len = n;
	return 0;
}

void mm_set_brk_start(struct mm *mm, uint64_t start) { brk_start = start; }

static ssize_t host_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return pread((int)(intptr_t)f->priv, iov[0].iov_base, iov[0].iov_len, off);
}

static int host_fstat(struct file *f, struct stat *st)
{
	return fstat((int)(intptr_t)f->priv, st) ? -errno : 0;
}

static const struct file_ops host_ops = {.read = host_read, .fstat = host_fstat};
static int open_files;

int vfs_open_exec(struct task *t, const char *path, struct file **out)
{
	struct stat st;
	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || access(path, X_OK))
		return -EACCES;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct file *f = calloc(1, sizeof *f);
	f->refs = 1;
	f->ops = &host_ops;
	f->priv = (void *)(intptr_t)fd;
	open_files++;
	*out = f;
	return 0;
}

ssize_t file_pread(struct file *f, void *buf, size_t len, int64_t off)
{
	struct iovec iov = {buf, len};
	ssize_t n = f->ops->read(f, &iov, 1, off);
	return n < 0 ? -errno : n;
}

struct file *file_get(struct file *f)
{
	f->refs++;
	return f;
}

void file_put(struct file *f)
{
	if (--f->refs == 0) {
		close((int)(intptr_t)f->priv);
		free(f);
		open_files--;
	}
}

static ssize_t b_pread(void *obj, void *buf, size_t len, uint64_t off)
{
	return file_pread(obj, buf, len, (int64_t)off);
}
static void b_get(void *obj) { file_get(obj); }
static void b_put(void *obj) { file_put(obj); }

void file_backing(struct file *f, struct mm_backing *out)
{
	*out = (struct mm_backing){.pread = b_pread, .get = b_get, .put = b_put, .obj = file_get(f)};
}

/* ---- helpers ---- */

static struct task task;
static struct thread_group tg;

static int setup(void **state)
{
	memset(&task, 0, sizeof task);
	memset(&tg, 0, sizeof tg);
	pthread_mutex_init(&tg.lock, NULL);
	tg.rlimits[RLIMIT_STACK].cur = 8 << 20;
	task.tg = &tg;
	task.cred.ruid = 1000;
	task.cred.euid = 1001;
	task.cred.rgid = 2000;
	task.cred.egid = 2001;
	return 0;
}

static uint64_t peek(uint64_t addr)
{
	assert_true(addr >= img_addr && addr + 8 <= img_addr + img_len);
	uint64_t v;
	memcpy(&v, img_buf + (addr - img_addr), 8);
	return v;
}

static const char *peek_str(uint64_t addr)
{
	assert_true(addr >= img_addr && addr < img_addr + img_len);
	return img_buf + (addr - img_addr);
}

static uint64_t auxv_get(uint64_t type)
{
	for (uint64_t p = task.mm->auxv_start; p < task.mm->auxv_end; p += 16)
		if (peek(p) == type)
			return peek(p + 8);
	fail_msg("auxv %lu missing", (unsigned long)type);
	return 0;
}

/* Walks the stack from rsp and checks argv/envp against expectations. */
static void check_stack(const char *const *argv, const char *const *envp)
{
	uint64_t sp = task.arch.regs.rsp;
	assert_int_equal(sp & 15, 0);
	assert_int_equal(sp, img_addr);
	size_t argc = 0;
	while (argv[argc])
		argc++;
	assert_int_equal(peek(sp), argc);
	uint64_t p = sp + 8;
	for (size_t i = 0; i < argc; i++, p += 8)
		assert_string_equal(peek_str(peek(p)), argv[i]);
	assert_int_equal(peek(p), 0);
	p += 8;
	for (size_t i = 0; envp[i]; i++, p += 8)
		assert_string_equal(peek_str(peek(p)), envp[i]);
	assert_int_equal(peek(p), 0);
	p += 8;
	assert_int_equal(p, task.mm->auxv_start);
	assert_int_equal(peek(task.mm->auxv_end - 16), AT_NULL);
	assert_string_equal(peek_str(task.mm->arg_start), argv[0]);
	assert_true(task.mm->arg_end == task.mm->env_start);
	assert_true(task.mm->env_end < task.mm->stack_top);
	assert_string_equal(peek_str(auxv_get(AT_PLATFORM)), "x86_64");
	assert_int_equal(auxv_get(AT_PAGESZ), 4096);
	assert_int_equal(auxv_get(AT_UID), 1000);
	assert_int_equal(auxv_get(AT_EUID), 1001);
	assert_int_equal(auxv_get(AT_GID), 2000);
	assert_int_equal(auxv_get(AT_EGID), 2001);
	assert_int_equal(auxv_get(AT_PHENT), 56);
	assert_true(auxv_get(AT_MINSIGSTKSZ) >= 1024);
	uint64_t rnd = auxv_get(AT_RANDOM);
	assert_true(rnd >= img_addr && rnd + 16 <= img_addr + img_len);
	assert_int_equal(task.arch.regs.cs, 0x33);
	assert_int_equal(task.arch.regs.ss, 0x2b);
	assert_int_equal(task.arch.regs.eflags, 0x202);
	assert_int_equal(task.arch.regs.rax, 0);
}

static const char *const env[] = {"A=1", "PATH=/bin", NULL};

static void done(void)
{
	mm_put(task.mm);
	task.mm = NULL;
	assert_int_equal(open_files, 0);
}

/* ---- tests ---- */

static void test_dynamic_pie(void **state)
{
	const char *const argv[] = {"ls", "-la", "/etc", NULL};
	assert_int_equal(loader_exec(&task, "/bin/ls", (char **)argv, (char **)env), 0);
	check_stack(argv, env);
	assert_string_equal(peek_str(auxv_get(AT_EXECFN)), "/bin/ls");
	assert_string_equal(task.exe, "/bin/ls");
	assert_string_equal(tg.comm, "ls");

	/* Compare with the parser's view of both files. */
	static struct elf_info ls, ld;
	size_t n;
	int fd = open("/bin/ls", O_RDONLY);
	static char buf[1 << 20];
	n = (size_t)read(fd, buf, sizeof buf);
	close(fd);
	assert_int_equal(elf_parse(buf, n, pf->max_addr, &ls), 0);
	fd = open("/lib64/ld-linux-x86-64.so.2", O_RDONLY);
	n = (size_t)read(fd, buf, sizeof buf);
	close(fd);
	assert_int_equal(elf_parse(buf, n, pf->max_addr, &ld), 0);

	uint64_t entry = auxv_get(AT_ENTRY);
	uint64_t bias = entry - ls.entry;
	uint64_t base = auxv_get(AT_BASE);
	assert_int_equal(bias & 4095, 0);
	assert_true(bias >= pf->max_addr / 3 * 2);
	assert_int_equal(task.arch.regs.rip, base + ld.entry);
	assert_int_equal(auxv_get(AT_PHDR), bias + ls.phdr_vaddr);
	assert_int_equal(auxv_get(AT_PHNUM), ls.phnum);
	assert_true(brk_start >= bias + ls.hi);
	assert_true(base + ld.hi <= task.mm->mmap_base + (ld.hi - ld.lo));
	assert_true(task.mm->stack_top <= pf->max_addr);
	/* Segments land file-backed at the bias with their prot. */
	int found = 0;
	for (int i = 0; i < nmaps; i++)
		for (int k = 0; k < ls.nload; k++)
			if (maps[i].file &&
			    maps[i].start == PAGE_ROUND_DOWN(bias + ls.load[k].vaddr)) {
				assert_int_equal(maps[i].prot, ls.load[k].prot);
				found++;
			}
	assert_int_equal(found, ls.nload);
	done();
}

static void test_static(void **state)
{
	if (access("/bin/busybox", X_OK))
		skip();
	const char *const argv[] = {"busybox", "true", NULL};
	assert_int_equal(loader_exec(&task, "/bin/busybox", (char **)argv, (char **)env), 0);
	check_stack(argv, env);
	assert_int_equal(auxv_get(AT_BASE), 0);
	assert_int_equal(task.arch.regs.rip, auxv_get(AT_ENTRY));
	done();
}

static char dir[] = "/tmp/loader_test.XXXXXX";

static void write_file(const char *name, const char *text, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

static void test_script(void **state)
{
	char s1[256], s2[256];
	snprintf(s1, sizeof s1, "%s/s1", dir);
	snprintf(s2, sizeof s2, "%s/s2", dir);
	char text[300];
	snprintf(text, sizeof text, "#!%s -x  y \nrest\n", s2);
	write_file("s1", text, 0755);
	write_file("s2", "#! /bin/ls\t-l\n", 0755);
	const char *const argv[] = {"zero", "one", NULL};
	assert_int_equal(loader_exec(&task, s1, (char **)argv, (char **)env), 0);
	/* s1 runs s2 with "-x  y" and s1; s2 runs ls with "-l" and s2. */
	const char *const want[] = {"/bin/ls", "-l", s2, "-x  y", s1, "one", NULL};
	check_stack(want, env);
	assert_string_equal(peek_str(auxv_get(AT_EXECFN)), s1);
	assert_string_equal(task.exe, "/bin/ls");
	assert_string_equal(tg.comm, "s1");
	done();
}

static void test_script_loop(void **state)
{
	char text[300];
	snprintf(text, sizeof text, "#!%s/loop\n", dir);
	write_file("loop", text, 0755);
	char p[256];
	snprintf(p, sizeof p, "%s/loop", dir);
	const char *const argv[] = {"loop", NULL};
	assert_int_equal(loader_exec(&task, p, (char **)argv, (char **)env), -ELOOP);
	assert_null(task.mm);
	assert_int_equal(open_files, 0);
	/* Four levels are fine. */
	for (int i = 1; i <= 4; i++) {
		char name[16];
		snprintf(name, sizeof name, "n%d", i);
		if (i == 4)
			snprintf(text, sizeof text, "#!/bin/ls\n");
		else
			snprintf(text, sizeof text, "#!%s/n%d\n", dir, i + 1);
		write_file(name, text, 0755);
	}
	snprintf(p, sizeof p, "%s/n1", dir);
	assert_int_equal(loader_exec(&task, p, (char **)argv, (char **)env), 0);
	done();
}

static void test_errors(void **state)
{
	const char *const argv[] = {"x", NULL};
	char p[256];
	write_file("garbage", "this is not a program\n", 0755);
	snprintf(p, sizeof p, "%s/garbage", dir);
	assert_int_equal(loader_exec(&task, p, (char **)argv, (char **)env), -ENOEXEC);
	write_file("empty", "", 0755);
	snprintf(p, sizeof p, "%s/empty", dir);
	assert_int_equal(loader_exec(&task, p, (char **)argv, (char **)env), -ENOEXEC);
	write_file("noint", "#!\n", 0755);
	snprintf(p, sizeof p, "%s/noint", dir);
	assert_int_equal(loader_exec(&task, p, (char **)argv, (char **)env), -ENOEXEC);
	write_file("missing", "#!/nonexistent/sh\n", 0755);
	snprintf(p, sizeof p, "%s/missing", dir);
	assert_int_equal(loader_exec(&task, p, (char **)argv, (char **)env), -ENOENT);
	/* A truncated copy of ls: headers fine, segments beyond the end. */
	int in = open("/bin/ls", O_RDONLY);
	char buf[4096];
	assert_int_equal(read(in, buf, sizeof buf), sizeof buf);
	close(in);
	snprintf(p, sizeof p, "%s/short", dir);
	int out = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_int_equal(write(out, buf, sizeof buf), sizeof buf);
	close(out);
	assert_int_equal(loader_exec(&task, p, (char **)argv, (char **)env), -ENOEXEC);
	assert_int_equal(loader_exec(&task, "/nonexistent", (char **)argv, (char **)env), -ENOENT);
	assert_null(task.mm);
	assert_int_equal(open_files, 0);
}

static void test_e2big(void **state)
{
	size_t big = LOADER_MAX_ARG_STRLEN;
	char *s = malloc(big + 1);
	memset(s, 'a', big);
	s[big] = '\0';
	const char *argv[] = {"ls", s, NULL};
	assert_int_equal(loader_exec(&task, "/bin/ls", (char **)argv, (char **)env), -E2BIG);
	s[big - 1] = '\0'; /* exactly MAX_ARG_STRLEN with its NUL */
	assert_int_equal(loader_exec(&task, "/bin/ls", (char **)argv, (char **)env), 0);
	done();
	/* 1 MiB stack limit: 256 KiB of strings at most. */
	tg.rlimits[RLIMIT_STACK].cur = 1 << 20;
	const char *many[4] = {"ls", s, s, NULL};
	assert_int_equal(loader_exec(&task, "/bin/ls", (char **)many, (char **)env), -E2BIG);
	assert_null(task.mm);
	free(s);
}

static void test_empty_argv(void **state)
{
	const char *const argv[] = {NULL};
	assert_int_equal(loader_exec(&task, "/bin/ls", (char **)argv, (char **)env), 0);
	const char *const want[] = {"", NULL};
	check_stack(want, env);
	done();
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_dynamic_pie, setup),
	    cmocka_unit_test_setup(test_static, setup),
	    cmocka_unit_test_setup(test_script, setup),
	    cmocka_unit_test_setup(test_script_loop, setup),
	    cmocka_unit_test_setup(test_errors, setup),
	    cmocka_unit_test_setup(test_e2big, setup),
	    cmocka_unit_test_setup(test_empty_argv, setup),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	return r;
}
