/* Anonymous-inode files of the event family: eventfd, timerfd, signalfd
 * and epoll instances (what the sys_{eventfd,timerfd,signalfd,epoll}.c
 * syscalls create and drive). */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct file;
struct task;
struct sighand;

/* fstat of every anonymous-inode file (mode 0600, no file type). */
struct stat;
int anon_fstat(struct file *f, struct stat *st);

/* eventfd: flags are EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC (checked
 * by the caller).  NULL when out of memory. */
struct file *eventfd_new(uint64_t initval, int flags);

/* timerfd on CLOCK_REALTIME, MONOTONIC, BOOTTIME (and their _ALARM forms,
 * checked by the caller).  Values in ns; value 0 disarms. */
struct file *timerfd_new(clockid_t clock, int flags);
bool file_is_timerfd(const struct file *f);
void timerfd_file_settime(struct file *f, bool abstime, int64_t value, int64_t interval,
		     int64_t *old_value, int64_t *old_interval);
void timerfd_file_gettime(struct file *f, int64_t *value, int64_t *interval);

/* signalfd: mask of signals it reads (SIGKILL and SIGSTOP dropped). */
struct file *signalfd_new(uint64_t mask, int flags);
bool file_is_signalfd(const struct file *f);
void signalfd_set_mask(struct file *f, uint64_t mask);
/* The signal code calls this after queueing a signal, so that signalfd
 * readers and pollers waiting for a blocked signal wake up. */
void signalfd_notify(void);

/* inotify instances (sentry/vfs/fsnotify.h delivers their events).
 * flags: O_NONBLOCK. */
struct file *inotify_new(int flags);
bool file_is_inotify(const struct file *f);
/* Watches the inode st names (its identity) for mask (IN_* as given to
 * inotify_add_watch, already checked): its wd, a new one or the inode's
 * existing one (updated, or -EEXIST with IN_MASK_CREATE); -ENOSPC, -ENOMEM. */
int inotify_watch_add(struct file *f, const struct stat *st, uint32_t mask);
/* Removes watch wd (queueing IN_IGNORED): 0 or -EINVAL. */
int inotify_watch_rm(struct file *f, int wd);

/* epoll instances. */
struct file *epoll_new(int flags);
bool file_is_epoll(const struct file *f);
/* EPOLL_CTL_*: 0 or -errno (EEXIST, ENOENT, ELOOP, EINVAL, EPERM, ENOMEM). */
int epoll_ctl_file(struct file *ep, int op, int fd, struct file *target, uint32_t events,
		   uint64_t data);
/* Waits for events (struct epoll_event records in *out, at most max).
 * deadline: absolute CLOCK_MONOTONIC or NULL.  Returns the count, or
 * -EINTR when a signal came first. */
struct epoll_event;
long epoll_wait_file(struct task *t, struct file *ep, struct epoll_event *out, int max,
		     const struct timespec *deadline);
