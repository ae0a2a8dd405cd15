/* `cvisor list`: every container under --root, as runc's table, JSON or ids. */
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/state.h"

enum { COLS = 6 };

/* One table line: ID PID STATUS BUNDLE CREATED OWNER. */
struct row {
	char id[256], pid[16], status[16], bundle[4096], created[64], owner[64];
};

static const char *cell(const struct row *r, int c)
{
	const char *cells[COLS] = {r->id, r->pid, r->status, r->bundle, r->created, r->owner};
	return cells[c];
}

/* The owner column: the user owning the container's directory. */
static void owner_of(const struct ctr_state *s, char *buf, size_t len)
{
	struct stat st;
	if (stat(s->root_dir, &st)) {
		snprintf(buf, len, "%s", "");
		return;
	}
	struct passwd *pw = getpwuid(st.st_uid);
	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "#%u", (unsigned)st.st_uid);
}

/* runc's tabwriter layout: columns at least 12 wide, 3 spaces of padding. */
static void print_table(const struct row *rows, size_t n)
{
	size_t w[COLS];
	for (int c = 0; c < COLS; c++) {
		w[c] = 12;
		for (size_t r = 0; r < n; r++)
			if (strlen(cell(&rows[r], c)) + 3 > w[c])
				w[c] = strlen(cell(&rows[r], c)) + 3;
	}
	for (size_t r = 0; r < n; r++) {
		for (int c = 0; c < COLS - 1; c++)
			printf("%-*s", (int)w[c], cell(&rows[r], c));
		printf("%s\n", cell(&rows[r], COLS - 1));
	}
}

int cmd_list(struct cli_opts *o, int argc, char **argv, int i)
{
	const char *format = "table";
	bool quiet = false;
	const struct flag local[] = {
	    {"format", FLAG_STR, &format}, {"f", FLAG_STR, &format},
	    {"quiet", FLAG_BOOL, &quiet},  {"q", FLAG_BOOL, &quiet},
	    {NULL, FLAG_BOOL, NULL},
	};
	int r = cli_parse_info(o, local, argc, argv, i, "list",
			       "Usage: cvisor [global flags] list [--format table|json] [--quiet]\n"
			       "Lists the containers under --root.\n",
			       NULL, 0);
	if (r >= 0)
		return r;
	if (strcmp(format, "table") && strcmp(format, "json")) {
		oci_error(o, "invalid format option");
		return 1;
	}
	/* A missing root lists nothing and is not created. */
	char **ids = state_list_ids(o->root);
	if (!ids) {
		oci_error(o, "list: out of memory");
		return 1;
	}
	size_t nids = 0;
	while (ids[nids])
		nids++;
	json_t *arr = json_array();
	struct row *rows = calloc(nids + 1, sizeof *rows);
	size_t nrows = 0;
	if (!arr || !rows) {
		oci_error(o, "list: out of memory");
		json_decref(arr);
		free(rows);
		state_free_ids(ids);
		return 1;
	}
	rows[nrows++] = (struct row){"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
	for (size_t k = 0; k < nids; k++) {
		struct ctr_state s;
		/* Vanished meanwhile, or half-written by a crash: not listed. */
		if (state_read(o->root, ids[k], &s))
			continue;
		char owner[64];
		owner_of(&s, owner, sizeof owner);
		if (quiet) {
			printf("%s\n", s.id);
		} else if (!strcmp(format, "json")) {
			json_t *j = state_oci_object(&s);
			json_object_set_new(j, "owner", json_string(owner));
			json_array_append_new(arr, j);
		} else {
			struct row *row = &rows[nrows++];
			snprintf(row->id, sizeof row->id, "%s", s.id);
			snprintf(row->pid, sizeof row->pid, "%d",
				 s.status == CTR_STOPPED ? 0 : (int)s.pid);
			snprintf(row->status, sizeof row->status, "%s", state_status_name(s.status));
			snprintf(row->bundle, sizeof row->bundle, "%s", s.bundle);
			snprintf(row->created, sizeof row->created, "%s", s.created);
			snprintf(row->owner, sizeof row->owner, "%s", owner);
		}
		state_free(&s);
	}
	if (!quiet && !strcmp(format, "json")) {
		char *t = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", t ? t : "[]");
		free(t);
	} else if (!quiet) {
		print_table(rows, nrows);
	}
	free(rows);
	json_decref(arr);
	state_free_ids(ids);
	return 0;
}
