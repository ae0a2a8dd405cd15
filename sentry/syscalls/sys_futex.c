/* futex(2): glue to sentry/kernel/futex.c. */
#include "sentry/kernel/futex.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"

/* PI operations return ENOSYS (see futex.c). */
DEFINE_SYSCALL_SUP(futex, SUP_PARTIAL, R_INT, A_PTR, A_INT, A_UINT, A_PTR, A_PTR, A_HEX)
{
	return futex_op(t, a[0], (int)a[1], (uint32_t)a[2], a[3], a[4], (uint32_t)a[5]);
}
