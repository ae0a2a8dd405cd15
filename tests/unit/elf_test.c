/* Unit tests of the pure ELF header and "#!" line parsers (sentry/kernel/elf). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <elf.h>

#include "sentry/kernel/elf/elf.h"

#define MAX_ADDR 0x7ffffffff000ULL

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct elf_info info;

static void test_bin_ls(void **state)
{
	size_t len;
	void *buf = slurp("/bin/ls", &len);
	assert_non_null(buf);
	assert_int_equal(elf_parse(buf, len, MAX_ADDR, &info), 0);
	assert_true(info.dyn);
	assert_true(info.has_interp);
	assert_string_equal(info.interp, "/lib64/ld-linux-x86-64.so.2");
	Elf64_Ehdr eh;
	memcpy(&eh, buf, sizeof eh);
	assert_int_equal(info.entry, eh.e_entry);
	int nload = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, (char *)buf + eh.e_phoff + i * sizeof ph, sizeof ph);
		nload += ph.p_type == PT_LOAD;
	}
	assert_true(nload >= 2);
	assert_int_equal(info.nload, nload);
	assert_int_not_equal(info.phdr_vaddr, 0);
	assert_false(info.exec_stack);
	assert_int_equal(info.lo, 0);
	assert_true(info.hi > info.entry);
	free(buf);
}

static void test_busybox_static(void **state)
{
	size_t len;
	void *buf = slurp("/bin/busybox", &len);
	if (!buf)
		skip();
	assert_int_equal(elf_parse(buf, len, MAX_ADDR, &info), 0);
	assert_false(info.has_interp);
	assert_null(info.interp);
	assert_true(info.nload >= 1);
	assert_true(info.entry >= info.lo && info.entry < info.hi);
	free(buf);
}

static void test_ld_so(void **state)
{
	size_t len;
	void *buf = slurp("/lib64/ld-linux-x86-64.so.2", &len);
	assert_non_null(buf);
	assert_int_equal(elf_parse(buf, len, MAX_ADDR, &info), 0);
	assert_true(info.dyn);
	assert_false(info.has_interp);
	assert_true(info.nload >= 2);
	free(buf);
}

/* A small valid PIE: ehdr, PT_PHDR, PT_INTERP, two PT_LOADs, the path. */
#define T_PHNUM 4
#define T_INTERP_OFF (ELF_EHDR_SIZE + T_PHNUM * ELF_PHDR_SIZE)
#define T_SIZE 8192
static const char t_interp[] = "/lib/ld.so";
static unsigned char img[T_SIZE];

static Elf64_Ehdr *ehdr(void) { return (Elf64_Ehdr *)img; }

static Elf64_Phdr *phdr(int i) { return (Elf64_Phdr *)(img + ELF_EHDR_SIZE + i * ELF_PHDR_SIZE); }

static int build(void **state)
{
	memset(img, 0, sizeof img);
	Elf64_Ehdr *e = ehdr();
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_DYN;
	e->e_machine = EM_X86_64;
	e->e_version = EV_CURRENT;
	e->e_entry = 0x1000;
	e->e_phoff = ELF_EHDR_SIZE;
	e->e_ehsize = ELF_EHDR_SIZE;
	e->e_phentsize = ELF_PHDR_SIZE;
	e->e_phnum = T_PHNUM;
	*phdr(0) = (Elf64_Phdr){.p_type = PT_PHDR,
				.p_flags = PF_R,
				.p_offset = ELF_EHDR_SIZE,
				.p_vaddr = ELF_EHDR_SIZE,
				.p_filesz = T_PHNUM * ELF_PHDR_SIZE,
				.p_memsz = T_PHNUM * ELF_PHDR_SIZE};
	*phdr(1) = (Elf64_Phdr){.p_type = PT_INTERP,
				.p_flags = PF_R,
				.p_offset = T_INTERP_OFF,
				.p_vaddr = T_INTERP_OFF,
				.p_filesz = sizeof t_interp,
				.p_memsz = sizeof t_interp};
	*phdr(2) = (Elf64_Phdr){.p_type = PT_LOAD,
				.p_flags = PF_R | PF_X,
				.p_offset = 0,
				.p_vaddr = 0,
				.p_filesz = 0x1100,
				.p_memsz = 0x1100,
				.p_align = 0x1000};
	*phdr(3) = (Elf64_Phdr){.p_type = PT_LOAD,
				.p_flags = PF_R | PF_W,
				.p_offset = 0x1100,
				.p_vaddr = 0x3100,
				.p_filesz = 0x100,
				.p_memsz = 0x5000,
				.p_align = 0x1000};
	memcpy(img + T_INTERP_OFF, t_interp, sizeof t_interp);
	return 0;
}

static void test_synthetic_ok(void **state)
{
	assert_int_equal(elf_parse(img, T_SIZE, MAX_ADDR, &info), 0);
	assert_string_equal(info.interp, t_interp);
	assert_int_equal(info.nload, 2);
	assert_int_equal(info.phdr_vaddr, ELF_EHDR_SIZE);
	assert_int_equal(info.lo, 0);
	assert_int_equal(info.hi, 0x9000);
	assert_int_equal(info.load[1].prot, 3);
	assert_int_equal(info.load[0].prot, 5);
}

#define REJECT() assert_int_equal(elf_parse(img, T_SIZE, MAX_ADDR, &info), -ENOEXEC)

static void test_truncated(void **state)
{
	for (size_t n = 0; n < T_INTERP_OFF; n += 7)
		assert_int_equal(elf_parse(img, n, MAX_ADDR, &info), -ENOEXEC);
	/* Segments run past the end of a short file. */
	assert_int_equal(elf_parse(img, 0x1000, MAX_ADDR, &info), -ENOEXEC);
}

static void test_bad_ident(void **state)
{
	img[1] = 'e';
	REJECT();
	build(state);
	img[EI_CLASS] = ELFCLASS32;
	REJECT();
	build(state);
	img[EI_DATA] = ELFDATA2MSB;
	REJECT();
	build(state);
	ehdr()->e_machine = EM_386;
	REJECT();
	build(state);
	ehdr()->e_type = ET_REL;
	REJECT();
	build(state);
	ehdr()->e_phentsize = 32;
	REJECT();
}

static void test_bad_phdrs(void **state)
{
	ehdr()->e_phoff = T_SIZE - 10;
	REJECT();
	ehdr()->e_phoff = UINT64_MAX - 20;
	REJECT();
	build(state);
	ehdr()->e_phnum = 0xffff;
	REJECT();
	ehdr()->e_phnum = 65536 / ELF_PHDR_SIZE + 1;
	REJECT();
	ehdr()->e_phnum = 0;
	REJECT();
	build(state);
	/* No PT_LOAD at all. */
	phdr(2)->p_type = PT_NOTE;
	phdr(3)->p_type = PT_NOTE;
	REJECT();
}

static void test_bad_load(void **state)
{
	phdr(3)->p_filesz = 0x6000;
	REJECT();
	build(state);
	phdr(3)->p_vaddr = 0x3200; /* offset 0x1100 */
	REJECT();
	build(state);
	phdr(3)->p_vaddr = UINT64_MAX - 0xfff + 0x100;
	REJECT();
	build(state);
	phdr(3)->p_memsz = UINT64_MAX - 0x1000;
	REJECT();
	build(state);
	phdr(3)->p_vaddr = MAX_ADDR - 0x1f00; /* ends beyond MAX_ADDR */
	REJECT();
	build(state);
	phdr(3)->p_offset = UINT64_MAX - 0xeff;
	REJECT();
	build(state);
	/* Out of address order. */
	phdr(3)->p_vaddr = 0x100;
	phdr(3)->p_offset = 0x100;
	phdr(2)->p_vaddr = 0x4000;
	REJECT();
	build(state);
	ehdr()->e_type = ET_EXEC;
	ehdr()->e_entry = MAX_ADDR + 5;
	REJECT();
}

static void test_bad_interp(void **state)
{
	img[T_INTERP_OFF + sizeof t_interp - 1] = 'x';
	REJECT();
	build(state);
	img[T_INTERP_OFF + 3] = '\0';
	REJECT();
	build(state);
	phdr(1)->p_filesz = 1;
	REJECT();
	phdr(1)->p_filesz = 5000;
	REJECT();
	build(state);
	phdr(1)->p_offset = T_SIZE - 4;
	REJECT();
	build(state);
	phdr(0)->p_type = PT_INTERP; /* two of them */
	REJECT();
}

static void test_split_parse(void **state)
{
	/* The loader's path: ehdr from a probe, phdrs read separately. */
	struct elf_info i2;
	assert_int_equal(elf_parse_ehdr(img, ELF_PROBE_SIZE, &i2), 0);
	assert_int_equal(elf_phdrs_size(&i2), T_PHNUM * ELF_PHDR_SIZE);
	assert_int_equal(
	    elf_parse_phdrs(&i2, img + i2.phoff, elf_phdrs_size(&i2), T_SIZE, MAX_ADDR), 0);
	assert_true(i2.has_interp);
	assert_null(i2.interp);
	assert_int_equal(i2.interp_off, T_INTERP_OFF);
	assert_int_equal(elf_check_interp((char *)img + i2.interp_off, i2.interp_len), 0);
	/* The file size bounds segments. */
	assert_int_equal(
	    elf_parse_phdrs(&i2, img + i2.phoff, elf_phdrs_size(&i2), 0x1100, MAX_ADDR), -ENOEXEC);
}

/* ---- "#!" ---- */

static struct shebang sb;

static int sb_parse(const char *s) { return shebang_parse(s, strlen(s), &sb); }

static void test_shebang_simple(void **state)
{
	assert_int_equal(sb_parse("#!/bin/sh\necho hi\n"), 0);
	assert_string_equal(sb.interp, "/bin/sh");
	assert_false(sb.has_arg);
	/* No newline at all, short file. */
	assert_int_equal(sb_parse("#!/bin/sh"), 0);
	assert_string_equal(sb.interp, "/bin/sh");
	assert_false(sb.has_arg);
	/* Trailing blanks stripped. */
	assert_int_equal(sb_parse("#!/bin/sh \t \n"), 0);
	assert_string_equal(sb.interp, "/bin/sh");
	assert_false(sb.has_arg);
}

static void test_shebang_arg(void **state)
{
	/* Linux passes everything after the name as a single argument. */
	assert_int_equal(sb_parse("#! /usr/bin/env python3 -u x\nprint()\n"), 0);
	assert_string_equal(sb.interp, "/usr/bin/env");
	assert_true(sb.has_arg);
	assert_string_equal(sb.arg, "python3 -u x");
	assert_int_equal(sb_parse("#!\t/bin/awk\t -f  \t\n"), 0);
	assert_string_equal(sb.interp, "/bin/awk");
	assert_string_equal(sb.arg, "-f");
	assert_int_equal(sb_parse("#!/bin/sh -e\r\n"), 0);
	assert_string_equal(sb.arg, "-e\r");
}

static void test_shebang_long(void **state)
{
	char buf[600];
	/* A name longer than the buffer: truncated name, refused. */
	memset(buf, 'a', sizeof buf);
	buf[0] = '#';
	buf[1] = '!';
	buf[2] = '/';
	assert_int_equal(shebang_parse(buf, sizeof buf, &sb), -ENOEXEC);
	/* A short name and a long argument: the argument is cut at 255. */
	memcpy(buf, "#!/bin/x ", 9);
	assert_int_equal(shebang_parse(buf, sizeof buf, &sb), 0);
	assert_string_equal(sb.interp, "/bin/x");
	assert_int_equal(strlen(sb.arg), SHEBANG_MAX - 1 - 9);
	/* Only blanks: no interpreter. */
	memset(buf + 2, ' ', sizeof buf - 2);
	assert_int_equal(shebang_parse(buf, sizeof buf, &sb), -ENOEXEC);
}

static void test_shebang_empty(void **state)
{
	assert_int_equal(sb_parse("#!\n/bin/sh\n"), -ENOEXEC);
	assert_int_equal(sb_parse("#!   \t\n"), -ENOEXEC);
	assert_int_equal(sb_parse("#!"), -ENOEXEC);
	assert_int_equal(shebang_parse("#!\0/bin/sh\n", 11, &sb), -ENOEXEC);
	assert_int_equal(sb_parse("#/bin/sh\n"), -ENOEXEC);
	assert_int_equal(sb_parse("!#/bin/sh\n"), -ENOEXEC);
	assert_int_equal(shebang_parse("#", 1, &sb), -ENOEXEC);
	/* A NUL ends the name and drops the rest of the line. */
	assert_int_equal(shebang_parse("#!/bin/sh\0 -x\n", 14, &sb), 0);
	assert_string_equal(sb.interp, "/bin/sh");
	assert_false(sb.has_arg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bin_ls),
	    cmocka_unit_test(test_busybox_static),
	    cmocka_unit_test(test_ld_so),
	    cmocka_unit_test_setup(test_synthetic_ok, build),
	    cmocka_unit_test_setup(test_truncated, build),
	    cmocka_unit_test_setup(test_bad_ident, build),
	    cmocka_unit_test_setup(test_bad_phdrs, build),
	    cmocka_unit_test_setup(test_bad_load, build),
	    cmocka_unit_test_setup(test_bad_interp, build),
	    cmocka_unit_test_setup(test_split_parse, build),
	    cmocka_unit_test(test_shebang_simple),
	    cmocka_unit_test(test_shebang_arg),
	    cmocka_unit_test(test_shebang_long),
	    cmocka_unit_test(test_shebang_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
