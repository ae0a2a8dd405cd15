/* System V IPC (shared memory, semaphores, message queues) and POSIX
 * message queues: one sandbox-wide IPC namespace, implemented in the sentry.
 *
 * The ipc_* entry points take the calling task and the raw syscall words
 * (sentry/syscalls/sys_ipc.c, sys_mqueue.c are thin wrappers) and return a
 * value or -errno; application memory goes through mm_copy_in/out.
 *
 * Lock order: each kind has one lock guarding its id table and every object
 * of that kind (shm_lock, sem_lock, msg_lock, mq_lock).  shm_lock is taken
 * under mm->lock (the segment's mm_backing callbacks run with it held), so
 * no mm_* call is made while holding it; sem_lock may be taken under
 * tasklist_lock (SEM_UNDO at exit); none of these is held across a sleep,
 * and wait-queue locks nest inside them.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct task;
struct thread_group;

long ipc_shmget(struct task *t, const uint64_t *a);
long ipc_shmat(struct task *t, const uint64_t *a);
long ipc_shmdt(struct task *t, const uint64_t *a);
long ipc_shmctl(struct task *t, const uint64_t *a);

long ipc_semget(struct task *t, const uint64_t *a);
/* semop and semtimedop (a[3]: relative timeout or 0). */
long ipc_semtimedop(struct task *t, const uint64_t *a, bool timed);
long ipc_semctl(struct task *t, const uint64_t *a);
/* Applies and drops the SEM_UNDO adjustments of process tg (its last
 * thread is exiting; tasklist_lock may be held). */
void ipc_sem_exit(struct thread_group *tg);

long ipc_msgget(struct task *t, const uint64_t *a);
long ipc_msgsnd(struct task *t, const uint64_t *a);
long ipc_msgrcv(struct task *t, const uint64_t *a);
long ipc_msgctl(struct task *t, const uint64_t *a);

long ipc_mq_open(struct task *t, const uint64_t *a);
long ipc_mq_unlink(struct task *t, const uint64_t *a);
long ipc_mq_timedsend(struct task *t, const uint64_t *a);
long ipc_mq_timedreceive(struct task *t, const uint64_t *a);
long ipc_mq_notify(struct task *t, const uint64_t *a);
long ipc_mq_getsetattr(struct task *t, const uint64_t *a);
