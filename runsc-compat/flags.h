/* A small command-line flag parser shared by the cvisor subcommands. */
#pragma once
#include <stdbool.h>

enum flag_kind {
	FLAG_BOOL, /* --name, --name=true|false */
	FLAG_STR,  /* --name=value or --name value */
	FLAG_LIST, /* FLAG_STR that may repeat: values gather in a struct flag_list */
};

/* Where a FLAG_LIST's values go, in command-line order. */
#define FLAG_LIST_MAX 32
struct flag_list {
	const char *v[FLAG_LIST_MAX];
	int n;
};

struct flag {
	const char *name; /* without dashes; NULL ends a table */
	enum flag_kind kind;
	void *dst; /* bool *, const char ** or struct flag_list * */
};

/* Parses flags from argv[*i] on, looking each up in the NULL-terminated list
 * of tables.  Stops at the first argument that is not a flag (left at *i) or
 * after "--" (skipped).  One or two leading dashes are accepted, as runc and
 * runsc do.  Returns 0, or 2 after printing one line naming the bad flag. */
int flags_parse(const struct flag *const *tables, int argc, char **argv, int *i);
