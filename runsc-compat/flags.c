/* Flag parsing for the cvisor command line (see flags.h). */
#include "runsc-compat/flags.h"

#include <stdio.h>
#include <string.h>

static const struct flag *lookup(const struct flag *const *tables, const char *name, size_t len)
{
	for (; *tables; tables++)
		for (const struct flag *f = *tables; f->name; f++)
			if (strlen(f->name) == len && !strncmp(f->name, name, len))
				return f;
	return NULL;
}

int flags_parse(const struct flag *const *tables, int argc, char **argv, int *i)
{
	while (*i < argc) {
		const char *a = argv[*i];
		if (!strcmp(a, "--")) {
			(*i)++;
			return 0;
		}
		if (a[0] != '-' || !a[1])
			return 0;
		const char *name = a + (a[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct flag *f = len ? lookup(tables, name, len) : NULL;
		if (!f) {
			fprintf(stderr, "cvisor: unknown flag: %.*s (see cvisor --help)\n",
				(int)(name - a + len), a);
			return 2;
		}
		(*i)++;
		if (f->kind == FLAG_BOOL) {
			bool v = true;
			if (eq && !strcmp(eq + 1, "false"))
				v = false;
			else if (eq && strcmp(eq + 1, "true")) {
				fprintf(stderr,
					"cvisor: flag --%s takes true or false, not \"%s\"\n",
					f->name, eq + 1);
				return 2;
			}
			*(bool *)f->dst = v;
		} else if (eq || *i < argc) {
			const char *v = eq ? eq + 1 : argv[(*i)++];
			if (f->kind == FLAG_STR) {
				*(const char **)f->dst = v;
				continue;
			}
			struct flag_list *l = f->dst;
			if (l->n == FLAG_LIST_MAX) {
				fprintf(stderr, "cvisor: too many --%s flags\n", f->name);
				return 2;
			}
			l->v[l->n++] = v;
		} else {
			fprintf(stderr, "cvisor: flag needs a value: --%s\n", f->name);
			return 2;
		}
	}
	return 0;
}
