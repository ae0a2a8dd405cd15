/* The gofer wire protocol: the one header shared by the gofer and the sentry.
 *
 * Transport: a SOCK_SEQPACKET unix socket, one message per packet.  Every
 * message starts with struct gofer_hdr; len is the whole packet length and
 * must match what was received.  A request gets exactly one response with
 * the same tag, type = request type | GOFER_RESP, and an errno (0 = success);
 * on error the response is the bare struct gofer_rhdr.  OPEN's response
 * carries one fd in SCM_RIGHTS, and so does CREATE's.
 *
 * The gofer serves one or more trees ("exports", index 0 = the root); each
 * ATTACH names one.  Mutating requests on a node of a read-only export get
 * EROFS.  Every name is one component checked by the gofer; it never follows
 * a symlink, whatever the request.
 *
 * Nodes are named by 64-bit ids the gofer hands out (never host paths).
 * WALK never follows a symlink: the sentry reads the link and walks again.
 * Variable-length names follow the fixed part of a message, unterminated;
 * their length is in the fixed part.  All integers are host-endian (both
 * ends run on the same machine).
 */
#pragma once
#include <stdint.h>

#define GOFER_VERSION 1
/* Largest packet either side sends or accepts. */
#define GOFER_MAX_MSG 65536
#define GOFER_NAME_MAX 255
/* Longest symlink target READLINK returns (Linux's PATH_MAX - 1). */
#define GOFER_LINK_MAX 4095
/* Node id of nothing; ids are never 0. */
#define GOFER_NO_NODE 0

enum gofer_type {
	GOFER_T_VERSION = 1, /* gofer_version_req -> gofer_version_resp */
	GOFER_T_ATTACH,	     /* gofer_hdr -> gofer_node_resp (the root) */
	GOFER_T_WALK,	     /* gofer_walk_req -> gofer_node_resp */
	GOFER_T_STAT,	     /* gofer_node_req -> gofer_node_resp */
	GOFER_T_OPEN,	     /* gofer_open_req -> gofer_rhdr + one fd */
	GOFER_T_READLINK,    /* gofer_node_req -> gofer_readlink_resp */
	GOFER_T_GETDENTS,    /* gofer_getdents_req -> gofer_getdents_resp */
	GOFER_T_CLUNK,	     /* gofer_node_req -> gofer_rhdr */
	/* Mutations (docs/gofer.md). */
	GOFER_T_CREATE,	     /* gofer_make_req -> gofer_node_resp + one fd */
	GOFER_T_MKDIR,	     /* gofer_make_req -> gofer_node_resp */
	GOFER_T_MKNOD,	     /* gofer_make_req (S_IFIFO, S_IFSOCK) -> gofer_node_resp */
	GOFER_T_SYMLINK,     /* gofer_symlink_req -> gofer_node_resp */
	GOFER_T_LINK,	     /* gofer_link_req -> gofer_node_resp (the new name's) */
	GOFER_T_UNLINK,	     /* gofer_unlink_req -> gofer_rhdr */
	GOFER_T_RENAME,	     /* gofer_rename_req -> gofer_rhdr */
	GOFER_T_SETATTR,     /* gofer_setattr_req -> gofer_node_resp (fresh stat) */
	GOFER_T_STATFS,	     /* gofer_node_req -> gofer_statfs_resp */
	GOFER_T_GETXATTR,    /* gofer_xattr_req -> gofer_xattr_resp */
	GOFER_T_SETXATTR,    /* gofer_xattr_req -> gofer_rhdr */
	GOFER_T_LISTXATTR,   /* gofer_xattr_req (no name) -> gofer_xattr_resp */
	GOFER_T_REMOVEXATTR, /* gofer_xattr_req -> gofer_rhdr */
	GOFER_T_MAX,
};
#define GOFER_RESP 0x8000u

struct gofer_hdr {
	uint32_t type;
	uint32_t len; /* bytes of the whole message, this header included */
	uint32_t tag; /* echoed in the response */
	uint32_t pad;
};

struct gofer_rhdr {
	struct gofer_hdr h;
	int32_t err; /* 0 or a positive errno */
	uint32_t pad;
};

/* What the gofer knows of a node (lstat of its O_PATH fd). */
struct gofer_stat {
	uint64_t dev, ino, nlink, rdev;
	uint32_t mode, uid, gid, blksize;
	int64_t size, blocks;
	int64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

struct gofer_version_req {
	struct gofer_hdr h;
	uint32_t version;
	uint32_t max_msg;
};
struct gofer_version_resp {
	struct gofer_rhdr r;
	uint32_t version;
	uint32_t max_msg;
};

/* ATTACH: a bare gofer_hdr names export 0 and gets a bare gofer_node_resp. */
struct gofer_attach_req {
	struct gofer_hdr h;
	uint32_t export_idx;
	uint32_t pad;
};
#define GOFER_ATTACH_RDONLY 1 /* the export is served read-only */
struct gofer_attach_resp {
	struct gofer_rhdr r;
	uint64_t node;
	struct gofer_stat st;
	uint32_t flags; /* GOFER_ATTACH_* */
	uint32_t pad;
};

struct gofer_node_req {
	struct gofer_hdr h;
	uint64_t node;
};
struct gofer_node_resp {
	struct gofer_rhdr r;
	uint64_t node;
	struct gofer_stat st;
};

/* Followed by namelen bytes: one component, not "", ".", "..", no '/' or NUL. */
struct gofer_walk_req {
	struct gofer_hdr h;
	uint64_t dir;
	uint32_t namelen;
	uint32_t pad;
};

/* flags: O_ACCMODE | O_DIRECTORY | O_NONBLOCK | O_APPEND | O_NOATIME... as
 * open(2); the gofer adds O_NOFOLLOW | O_NOCTTY | O_CLOEXEC itself. */
struct gofer_open_req {
	struct gofer_hdr h;
	uint64_t node;
	uint32_t flags;
	uint32_t pad;
};

/* Followed by len bytes of target, unterminated. */
struct gofer_readlink_resp {
	struct gofer_rhdr r;
	uint32_t len;
	uint32_t pad;
};

/* Entries from cookie on (0 = the start); at most max_bytes of records
 * and, unless 0, at most max_count of them. */
struct gofer_getdents_req {
	struct gofer_hdr h;
	uint64_t dir;
	uint64_t cookie;
	uint32_t max_bytes;
	uint32_t max_count;
};
/* Followed by count records: gofer_dirent + namelen bytes, each padded to 8. */
struct gofer_getdents_resp {
	struct gofer_rhdr r;
	uint32_t count;
	uint32_t eof; /* 1: nothing after these entries */
};
struct gofer_dirent {
	uint64_t ino;
	uint64_t next; /* cookie of the entry after this one */
	uint8_t type;  /* DT_* */
	uint8_t pad;
	uint16_t namelen;
	uint32_t pad2;
};
#define GOFER_DIRENT_SIZE(namelen) ((sizeof(struct gofer_dirent) + (namelen) + 7) & ~(size_t)7)

/* CREATE, MKDIR, MKNOD: makes name (namelen bytes follow) in dir with mode
 * (type and permission bits, taken as is: no umask), owned by uid/gid when
 * the gofer can chown.  CREATE opens the new regular file with flags'
 * O_ACCMODE | O_APPEND | O_NONBLOCK and donates that fd.  MKNOD makes
 * FIFOs and sockets only (devices: EPERM); rdev is unused. */
struct gofer_make_req {
	struct gofer_hdr h;
	uint64_t dir;
	uint32_t flags;
	uint32_t mode;
	uint32_t uid, gid;
	uint32_t namelen;
	uint32_t pad;
	uint64_t rdev;
};

/* Followed by namelen bytes of name, then targetlen bytes of target. */
struct gofer_symlink_req {
	struct gofer_hdr h;
	uint64_t dir;
	uint32_t uid, gid;
	uint32_t namelen, targetlen;
};

/* A new name (namelen bytes follow) in dir for the non-directory node. */
struct gofer_link_req {
	struct gofer_hdr h;
	uint64_t node;
	uint64_t dir;
	uint32_t namelen;
	uint32_t pad;
};

/* flags: 0 or AT_REMOVEDIR.  namelen bytes of name follow. */
struct gofer_unlink_req {
	struct gofer_hdr h;
	uint64_t dir;
	uint32_t flags;
	uint32_t namelen;
};

/* flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE; both dirs in one export.
 * Followed by oldlen bytes of the old name, then newlen of the new.  Nodes
 * the gofer holds for the names follow them. */
struct gofer_rename_req {
	struct gofer_hdr h;
	uint64_t olddir, newdir;
	uint32_t flags;
	uint32_t oldlen, newlen;
	uint32_t pad;
};

#define GOFER_SA_MODE 1 /* permission bits (07777) */
#define GOFER_SA_UID 2
#define GOFER_SA_GID 4
#define GOFER_SA_SIZE 8	   /* regular files only */
#define GOFER_SA_ATIME 16  /* atime_nsec may be UTIME_NOW or UTIME_OMIT */
#define GOFER_SA_MTIME 32  /* likewise */
struct gofer_setattr_req {
	struct gofer_hdr h;
	uint64_t node;
	uint32_t mask; /* GOFER_SA_* */
	uint32_t mode;
	uint32_t uid, gid;
	int64_t size;
	int64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

struct gofer_statfs_resp {
	struct gofer_rhdr r;
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree, namelen, frsize, flags;
};

/* Extended attributes, "user." names only (others: EOPNOTSUPP), on regular
 * files and directories.  Followed by namelen bytes of name (none for
 * LISTXATTR), then for SETXATTR valuelen bytes of value.  flags: SETXATTR's
 * XATTR_CREATE / XATTR_REPLACE.  size: GET/LIST's buffer size (0 asks for
 * the length only). */
#define GOFER_XATTR_NAME_MAX 255
#define GOFER_XATTR_SIZE_MAX 65000
struct gofer_xattr_req {
	struct gofer_hdr h;
	uint64_t node;
	uint32_t flags;
	uint32_t namelen;
	uint32_t valuelen;
	uint32_t size;
};
/* Followed by len bytes (none when the request's size was 0). */
struct gofer_xattr_resp {
	struct gofer_rhdr r;
	uint32_t len;
	uint32_t pad;
};
