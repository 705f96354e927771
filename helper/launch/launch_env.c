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

/* The index of sentinel in l's specs (there: port_specs_add keeps each once). */
static size_t spec_index(const struct launch *l, uint16_t sentinel)
{
	return (size_t)(port_specs_find(&l->specs, sentinel) - l->specs.item);
}

/* Adds one -p item, "S[=P]" with an optional "/tcp" or "/udp" (what makes S ready for epr
 * start; the shim's EPR_PORTS never sees it), or exits 2 naming it. */
static void launch_add_port(struct launch *l, const char *item, size_t len)
{
	const char *slash = memchr(item, '/', len), *eq;
	size_t speclen = slash ? (size_t)(slash - item) : len;
	unsigned on = 0;
	uint16_t sentinel;
	char err[256];

	if (slash) {
		size_t protolen = len - speclen - 1;

		if (protolen == 3 && strncmp(slash + 1, "tcp", 3) == 0)
			on = READY_ON_TCP;
		else if (protolen == 3 && strncmp(slash + 1, "udp", 3) == 0)
			on = READY_ON_UDP;
		else
			cli_usage_error("-p: '%.*s': '%.*s' is neither tcp nor udp", (int)len, item,
					(int)protolen, slash + 1);
	}
	if (port_specs_add(&l->specs, item, speclen, err, sizeof err) != 0)
		cli_usage_error("-p: %s", err);
	eq = memchr(item, '=', speclen);
	port_parse(item, eq ? (size_t)(eq - item) : speclen, &sentinel); /* port_specs_add took it */
	l->ready_on[spec_index(l, sentinel)] |= on;
}

/* Adds -p's argument (one item or a comma-separated list), or exits 2 naming it. */
static void launch_add_ports(struct launch *l, const char *arg)
{
	const char *item = arg, *end;

	if (!*arg)
		cli_usage_error("-p: '' is not a port spec (S or S=P)");
	for (;; item = end + 1) {
		end = strchrnul(item, ',');
		launch_add_port(l, item, (size_t)(end - item));
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
	case LAUNCH_OPT_REAL_PORTS:
		l->real_ports = true;
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
	if (l->real_ports)
		set(EPR_ENV_REAL_PORTS, "1");
	/* CMD is the launch's own, whatever started epr: its binds go to its supervisor. */
	unsetenv(EPR_ENV_CLIENT);
	/* The shim's marker of a tree already started: a fresh launch starts its env file afresh;
	 * and the ports an image before was given are another launch's. */
	unsetenv(EPR_ENV_TREE);
	unsetenv(EPR_ENV_BOUND);
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
