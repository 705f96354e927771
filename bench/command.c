/* Commands written as a shell would: leading NAME=VALUE words go into the environment. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

static int is_assignment(const char *w)
{
	const char *eq = strchr(w, '=');

	return eq && eq != w && strcspn(w, "=/") == (size_t)(eq - w);
}

/* Whether entry sets the same variable as the assignment a. */
static int same_name(const char *entry, const char *a)
{
	size_t len = (size_t)(strchr(a, '=') - a);

	return strncmp(entry, a, len) == 0 && entry[len] == '=';
}

void command_parse(struct command *c, char **words, int n)
{
	int assigns = 0, envc = 0, k = 0;

	while (assigns < n && is_assignment(words[assigns]))
		assigns++;
	if (assigns == n)
		die("a command is empty");
	while (environ[envc])
		envc++;
	c->envp = calloc((size_t)(envc + assigns + 1), sizeof(char *));
	c->argv = calloc((size_t)(n - assigns + 1), sizeof(char *));
	if (!c->envp || !c->argv)
		die("out of memory");
	for (int i = 0; i < envc; i++) {
		int overridden = 0;
		for (int j = 0; j < assigns; j++)
			overridden |= same_name(environ[i], words[j]);
		if (!overridden)
			c->envp[k++] = environ[i];
	}
	for (int j = 0; j < assigns; j++)
		c->envp[k++] = words[j];
	for (int i = assigns; i < n; i++)
		c->argv[i - assigns] = words[i];
}
