/* tmpfs directories: lookup and listing, and the namespace changes
 * (create, mkdir, mknod, symlink, link, unlink, rmdir, rename). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/tmpfs/internal.h"
#include "sentry/kernel/task.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static struct tmpfs_dirent **find(struct tmpfs_inode *dir, const char *name)
{
	struct tmpfs_dirent **p = &dir->ents;
	for (; *p; p = &(*p)->next)
		if (!strcmp((*p)->name, name))
			return p;
	return p;
}

static void touch_dir(struct tmpfs_inode *dir)
{
	tmpfs_now(&dir->st.st_mtim);
	dir->st.st_ctim = dir->st.st_mtim;
}

int tmpfs_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	struct tmpfs_inode *di = TMPFS_I(dir);
	int r = 0;
	pthread_mutex_lock(&di->sb->lock);
	struct tmpfs_dirent *e = *find(di, name);
	if (!e)
		r = -ENOENT;
	else if (!(*out = tmpfs_dentry_new(dir, name, e->ino)))
		r = -ENOMEM;
	pthread_mutex_unlock(&di->sb->lock);
	return r;
}

int tmpfs_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	struct tmpfs_inode *di = TMPFS_I(dir);
	int r = 0;
	pthread_mutex_lock(&di->sb->lock);
	for (struct tmpfs_dirent *e = di->ents; e && !r; e = e->next)
		r = synth_dir_add(db, e->name, e->ino->st.st_ino, synth_dtype(e->ino->st.st_mode));
	pthread_mutex_unlock(&di->sb->lock);
	return r;
}

long tmpfs_readlink(struct dentry *d, char *buf, size_t size)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	long r;
	pthread_mutex_lock(&ino->sb->lock);
	r = (long)strlen(ino->target);
	if ((size_t)r >= size)
		r = -ENAMETOOLONG;
	else
		memcpy(buf, ino->target, (size_t)r + 1);
	tmpfs_now(&ino->st.st_atim);
	pthread_mutex_unlock(&ino->sb->lock);
	return r;
}

/* Adds an entry for ino (taking a reference) under dir (sb->lock held). */
static int add_entry(struct tmpfs_inode *dir, const char *name, struct tmpfs_inode *ino)
{
	struct tmpfs_dirent *e = malloc(sizeof *e);
	if (!e || !(e->name = strdup(name))) {
		free(e);
		return -ENOMEM;
	}
	e->ino = ino;
	e->next = NULL;
	*find(dir, name) = e; /* the end of the list: the name is new */
	ino->refs++;
	dir->st.st_size += TMPFS_DIRENT_SIZE;
	if (S_ISDIR(ino->st.st_mode)) {
		ino->parent = dir;
		dir->st.st_nlink++;
	}
	touch_dir(dir);
	return 0;
}

/* Makes a node of mode under dir (the common part of create, mkdir,
 * mknod and symlink); *out gets a dentry if out is not NULL. */
static int make(struct dentry *dir, const char *name, mode_t mode, dev_t rdev, const char *target,
		const struct cred *c, struct dentry **out)
{
	struct tmpfs_inode *di = TMPFS_I(dir), *ino = NULL;
	struct tmpfs_sb *sb = di->sb;
	int r;
	char *t = NULL;
	if (target && !(t = strdup(target)))
		return -ENOMEM;
	pthread_mutex_lock(&sb->lock);
	if (!di->st.st_nlink) {
		r = -ENOENT; /* the directory was removed */
		goto out;
	}
	if (*find(di, name)) {
		r = -EEXIST;
		goto out;
	}
	gid_t gid = c->fsgid;
	if (di->st.st_mode & S_ISGID) {
		/* BSD group semantics: the directory's group, inherited by
		 * subdirectories with the bit itself. */
		gid = di->st.st_gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
	}
	r = tmpfs_inode_new(sb, mode, c->fsuid, gid, &ino);
	if (r)
		goto out;
	ino->st.st_rdev = rdev;
	if (t) {
		ino->target = t;
		ino->st.st_size = (off_t)strlen(t);
		t = NULL;
	}
	r = add_entry(di, name, ino);
	if (!r && out && !(*out = tmpfs_dentry_new(dir, name, ino)))
		r = -ENOMEM;	     /* the node stays: as if made, then lost */
	tmpfs_inode_put_locked(ino); /* the entry holds it now */
out:
	pthread_mutex_unlock(&sb->lock);
	free(t);
	return r;
}

int tmpfs_create(struct dentry *dir, const char *name, mode_t mode, const struct cred *c,
		 struct dentry **out)
{
	return make(dir, name, S_IFREG | (mode & 07777), 0, NULL, c, out);
}

int tmpfs_mkdir(struct dentry *dir, const char *name, mode_t mode, const struct cred *c)
{
	return make(dir, name, S_IFDIR | (mode & 07777), 0, NULL, c, NULL);
}

int tmpfs_mknod(struct dentry *dir, const char *name, mode_t mode, dev_t rdev, const struct cred *c)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
	case S_IFSOCK:
		rdev = 0;
		/* fall through */
	case S_IFCHR:
	case S_IFBLK:
		return make(dir, name, mode & (S_IFMT | 07777), rdev, NULL, c, NULL);
	}
	return -EINVAL;
}

int tmpfs_symlink(struct dentry *dir, const char *name, const char *target, const struct cred *c)
{
	return make(dir, name, S_IFLNK | 0777, 0, target, c, NULL);
}

int tmpfs_link(struct dentry *old, struct dentry *dir, const char *name)
{
	struct tmpfs_inode *di = TMPFS_I(dir), *ino = TMPFS_I(old);
	int r;
	pthread_mutex_lock(&di->sb->lock);
	if (ino->sb != di->sb)
		r = -EXDEV; /* a memfd, or another instance's file */
	else if (S_ISDIR(ino->st.st_mode))
		r = -EPERM;
	else if (!di->st.st_nlink || (!ino->st.st_nlink && !ino->linkable))
		r = -ENOENT; /* a removed directory, or a file unlinked meanwhile */
	else if (*find(di, name))
		r = -EEXIST;
	else if (!(r = add_entry(di, name, ino))) {
		/* An O_TMPFILE file gets one name only, as Linux's I_LINKABLE. */
		ino->linkable = false;
		ino->st.st_nlink++;
		ino->st.st_ctim = di->st.st_mtim;
	}
	pthread_mutex_unlock(&di->sb->lock);
	return r;
}

/* Unlinks entry *p of dir (sb->lock held): the node loses a link. */
static void drop_entry(struct tmpfs_inode *dir, struct tmpfs_dirent **p)
{
	struct tmpfs_dirent *e = *p;
	struct tmpfs_inode *ino = e->ino;
	*p = e->next;
	free(e->name);
	free(e);
	dir->st.st_size -= TMPFS_DIRENT_SIZE;
	touch_dir(dir);
	ino->st.st_ctim = dir->st.st_mtim;
	if (S_ISDIR(ino->st.st_mode)) {
		ino->st.st_nlink = 0;
		ino->parent = NULL;
		dir->st.st_nlink--;
	} else {
		ino->st.st_nlink--;
	}
	tmpfs_inode_put_locked(ino);
}

int tmpfs_unlink(struct dentry *dir, const char *name)
{
	struct tmpfs_inode *di = TMPFS_I(dir);
	int r = 0;
	pthread_mutex_lock(&di->sb->lock);
	struct tmpfs_dirent **p = find(di, name);
	if (!*p)
		r = -ENOENT;
	else if (S_ISDIR((*p)->ino->st.st_mode))
		r = -EISDIR;
	else
		drop_entry(di, p);
	pthread_mutex_unlock(&di->sb->lock);
	return r;
}

int tmpfs_rmdir(struct dentry *dir, const char *name)
{
	struct tmpfs_inode *di = TMPFS_I(dir);
	int r = 0;
	pthread_mutex_lock(&di->sb->lock);
	struct tmpfs_dirent **p = find(di, name);
	if (!*p)
		r = -ENOENT;
	else if (!S_ISDIR((*p)->ino->st.st_mode))
		r = -ENOTDIR;
	else if ((*p)->ino->ents)
		r = -ENOTEMPTY;
	else
		drop_entry(di, p);
	pthread_mutex_unlock(&di->sb->lock);
	return r;
}

/* Whether a is dir or one of its ancestors (sb->lock held). */
static bool is_ancestor(const struct tmpfs_inode *a, const struct tmpfs_inode *dir)
{
	for (; dir; dir = dir->parent)
		if (dir == a)
			return true;
	return false;
}

/* Moves entry e from odir to ndir (sb->lock held; ndir has no entry of
 * that name left): relinks it and fixes a directory's parent and the link
 * counts ".." makes. */
static void move_entry(struct tmpfs_inode *odir, struct tmpfs_dirent **op, struct tmpfs_inode *ndir,
		       char *nname)
{
	struct tmpfs_dirent *e = *op;
	*op = e->next;
	free(e->name);
	e->name = nname;
	e->next = NULL;
	*find(ndir, nname) = e;
	odir->st.st_size -= TMPFS_DIRENT_SIZE;
	ndir->st.st_size += TMPFS_DIRENT_SIZE;
	if (S_ISDIR(e->ino->st.st_mode) && odir != ndir) {
		e->ino->parent = ndir;
		odir->st.st_nlink--;
		ndir->st.st_nlink++;
	}
	tmpfs_now(&e->ino->st.st_ctim);
}

int tmpfs_rename(struct dentry *odir, const char *oname, struct dentry *ndir, const char *nname,
		 unsigned flags)
{
	struct tmpfs_inode *od = TMPFS_I(odir), *nd = TMPFS_I(ndir);
	struct tmpfs_sb *sb = od->sb;
	int r = 0;
	char *n1 = strdup(nname);
	if (!n1)
		return -ENOMEM;
	pthread_mutex_lock(&sb->lock);
	struct tmpfs_dirent **op = find(od, oname), **np = find(nd, nname);
	if (!*op) {
		r = -ENOENT;
		goto out;
	}
	if (!nd->st.st_nlink) {
		r = -ENOENT;
		goto out;
	}
	struct tmpfs_inode *oi = (*op)->ino, *ni = *np ? (*np)->ino : NULL;
	bool odirp = S_ISDIR(oi->st.st_mode);
	if (flags & RENAME_EXCHANGE) {
		if (!ni) {
			r = -ENOENT;
			goto out;
		}
		bool ndirp = S_ISDIR(ni->st.st_mode);
		if (oi == ni)
			goto out;
		/* Neither may end up inside itself. */
		if ((odirp && is_ancestor(oi, nd)) || (ndirp && is_ancestor(ni, od))) {
			r = -EINVAL;
			goto out;
		}
		(*op)->ino = ni;
		(*np)->ino = oi;
		if (od != nd) {
			if (odirp) {
				oi->parent = nd;
				od->st.st_nlink--;
				nd->st.st_nlink++;
			}
			if (ndirp) {
				ni->parent = od;
				nd->st.st_nlink--;
				od->st.st_nlink++;
			}
		}
		touch_dir(od);
		touch_dir(nd);
		oi->st.st_ctim = ni->st.st_ctim = od->st.st_mtim;
		goto out;
	}
	/* Linux looks for the loop first (lock_rename). */
	if (odirp && oi != ni && is_ancestor(oi, nd)) {
		r = -EINVAL;
		goto out;
	}
	if (ni) {
		if (flags & RENAME_NOREPLACE) {
			r = -EEXIST;
			goto out;
		}
		/* Both names for one node: nothing to do (POSIX). */
		if (oi == ni)
			goto out;
		if (odirp && !S_ISDIR(ni->st.st_mode)) {
			r = -ENOTDIR;
			goto out;
		}
		if (!odirp && S_ISDIR(ni->st.st_mode)) {
			r = -EISDIR;
			goto out;
		}
		if (odirp && ni->ents) {
			r = -ENOTEMPTY;
			goto out;
		}
	}
	if (ni) {
		drop_entry(nd, np);
		/* op may have been the dropped entry's next link. */
		op = find(od, oname);
	}
	move_entry(od, op, nd, n1);
	n1 = NULL;
	touch_dir(od);
	touch_dir(nd);
out:
	pthread_mutex_unlock(&sb->lock);
	free(n1);
	return r;
}
