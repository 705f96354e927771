/* The environment that epr run and epr start give CMD: libepr.so first in LD_PRELOAD,
 * and the EPR_* variables that configure it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "envfile.h"
#include "epr_env.h"

/* Adds -p's argument (one item or a comma-separated list), or exits 2 naming it. */
static void launch_add_ports(struct launch *l, const char *arg)
{
	const char *item = arg, *end;
	char err[256];

	if (!*arg)
		cli_usage_error("-p: '' is not a port spec (S or S=P)");
	for (;; item = end + 1) {
		end = strchrnul(item, ',');
		if (port_specs_add(&l->specs, item, (size_t)(end - item), err, sizeof err) != 0)
			cli_usage_error("-p: %s", err);
		if (!*end)
			break;
	}
}

bool launch_option(struct launch *l, int opt, const char *arg)
{
	switch (opt) {
	case 'p':
		launch_add_ports(l, arg);
		return true;
	case 'e':
		if (!*arg)
			cli_usage_error("-e: the env file name is empty");
		l->env_file = launch_absolute_path(arg);
		return true;
	case LAUNCH_OPT_VIA:
		if (strcmp(arg, "auto") == 0)
			l->via = VIA_AUTO;
		else if (strcmp(arg, "preload") == 0)
			l->via = VIA_PRELOAD;
		else if (strcmp(arg, "seccomp") == 0)
			l->via = VIA_SECCOMP;
		else
			cli_usage_error("--via: '%s' is not preload, seccomp or auto", arg);
		return true;
	case LAUNCH_OPT_NO_ZERO:
		l->no_zero = true;
		return true;
	case 'v':
		l->verbose = true;
		return true;
	}
	return false;
}

char *launch_absolute_path(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		cli_fail("the current directory: %s", strerror(errno));
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		cli_fail("out of memory");
	free(cwd);
	return abs;
}

/* "S=P,S,..." in the order given; port_specs has already dropped repeats. */
static void join_specs(const struct port_specs *specs, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < specs->n; i++) {
		const struct port_spec *s = &specs->item[i];
		int n = s->pin ? snprintf(out + used, cap - used, "%s%u=%u", i ? "," : "",
					  s->sentinel, s->pin)
			       : snprintf(out + used, cap - used, "%s%u", i ? "," : "", s->sentinel);

		used += (size_t)n;
	}
}

static void set(const char *name, const char *value)
{
	if (setenv(name, value, 1) != 0)
		cli_fail("setting %s: %s", name, strerror(errno));
}

void launch_env_apply(const struct launch *l, const char *shim, bool keep_inherited)
{
	/* 64 items of "65535=65535," fit. */
	char ports[EPR_MAX_SENTINELS * 12 + 1];
	const char *old = getenv("LD_PRELOAD");

	if (!shim) {
		/* caught by seccomp: nothing is preloaded */
	} else if (old && *old) {
		char *both;

		/* ld.so takes spaces and colons alike; what was there stays, after the shim. */
		if (asprintf(&both, "%s:%s", shim, old) < 0)
			cli_fail("out of memory");
		set("LD_PRELOAD", both);
		free(both);
	} else {
		set("LD_PRELOAD", shim);
	}
	join_specs(&l->specs, ports, sizeof ports);
	if (l->specs.n)
		set(EPR_ENV_PORTS, ports);
	else if (!keep_inherited)
		unsetenv(EPR_ENV_PORTS);
	if (l->env_file)
		set(EPR_ENV_ENV_FILE, l->env_file);
	else if (!keep_inherited)
		unsetenv(EPR_ENV_ENV_FILE);
	if (l->no_zero)
		set(EPR_ENV_ZERO, "0");
	if (l->verbose)
		set(EPR_ENV_DEBUG, "1");
	/* The shim's marker of a tree already started: a fresh launch starts its env file afresh. */
	unsetenv(EPR_ENV_TREE);
}

void launch_check_value(const char *what, const char *path)
{
	if (!envfile_value_ok(path))
		cli_fail("%s '%s' cannot be written to an env file safely: use only letters, digits "
			 "and _-+=.,:/@%%", what, path);
}

void launch_check_env_file(const char *path, struct envfile *ef)
{
	launch_check_value("the env file", path);
	if (envfile_read(path, ef) != 0)
		envfile_init(ef); /* unreadable: the first write says why */
	else if (ef->len && !envfile_is_epr(ef))
		cli_fail("%s is not an env file of epr's; not replacing it", path);
}
