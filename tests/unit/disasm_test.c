/* Tests of disasm_insn on a few known x86-64 byte sequences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdint.h>

#include "common/disasm.h"

static void check(const uint8_t *code, size_t len, int want_len, const char *want)
{
	char out[96];
	assert_int_equal(disasm_insn(code, len, 0x401000, out, sizeof out), want_len);
	assert_string_equal(out, want);
}

static void test_store(void **s)
{
	static const uint8_t c[] = {0xc7, 0x00, 0x00, 0x00, 0x00, 0x00};
	check(c, sizeof c, 6, "mov dword ptr [rax], 0");
}

static void test_ud2(void **s)
{
	static const uint8_t c[] = {0x0f, 0x0b, 0x90};
	check(c, sizeof c, 2, "ud2");
}

static void test_int3(void **s)
{
	static const uint8_t c[] = {0xcc};
	check(c, sizeof c, 1, "int3");
}

static void test_syscall(void **s)
{
	static const uint8_t c[] = {0x0f, 0x05};
	check(c, sizeof c, 2, "syscall");
}

static void test_garbage(void **s)
{
	/* 0x06 (push es) does not exist in 64-bit mode. */
	static const uint8_t c[] = {0x06};
	check(c, sizeof c, -1, "(bad)");
}

static void test_truncated(void **s)
{
	static const uint8_t c[] = {0xc7, 0x00, 0x00};
	check(c, sizeof c, -1, "(bad)");
	check(c, 0, -1, "(bad)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_store),   cmocka_unit_test(test_ud2),
	    cmocka_unit_test(test_int3),    cmocka_unit_test(test_syscall),
	    cmocka_unit_test(test_garbage), cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
