/* libFuzzer: an env file's text as the input gives it, then a sequence of get/set/add_port
 * driven by the remaining bytes, checking after each step the promises of envfile.h:
 * whole lines, len <= ENVFILE_MAX, what was set reads back, a refused change changes
 * nothing. Finally the text goes through envfile_update and envfile_read on disk.
 *
 * Input: 2 bytes (little endian) of text length, the text, then operations. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envfile.h"
#include "epr_env.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t left;
};

static unsigned take(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

/* A key or value of up to max bytes from the input, without NUL, '\n' or (for keys) '=':
 * what envfile_set is ever given. Sometimes a fixed key, so that operations meet. */
static void take_word(struct input *in, char *out, size_t max, int key)
{
	static const char *const keys[] = {
		EPR_KEY_PORT, EPR_KEY_PORT_LIST, EPR_KEY_PORT_PREFIX "3306", EPR_KEY_PORT_PREFIX "1",
		EPR_KEY_PID, "A", "FOO", "",
	};
	unsigned n = take(in);

	if (key && n < 128) {
		strcpy(out, keys[n % (sizeof(keys) / sizeof(keys[0]))]);
		return;
	}
	size_t len = 0;
	for (n %= max; n && in->left; n--) {
		char c = (char)take(in);
		if (c == '\0' || c == '\n' || (key && c == '='))
			c = 'x';
		out[len++] = c;
	}
	out[len] = '\0';
}

static void check_lines(const struct envfile *ef)
{
	if (ef->len > ENVFILE_MAX)
		abort();
	if (ef->len && ef->text[ef->len - 1] != '\n')
		abort();
}

/* As read_at() leaves a file: a final '\n' added if missing. 0, or -1 if too big. */
static int parse(struct envfile *ef, const uint8_t *text, size_t len)
{
	if (len >= ENVFILE_MAX)
		return -1;
	memcpy(ef->text, text, len);
	ef->len = len;
	if (len && ef->text[len - 1] != '\n')
		ef->text[ef->len++] = '\n';
	return 0;
}

static char tmpdir[64];

static void remove_tmpdir(void)
{
	rmdir(tmpdir);
}

/* A private directory for the round trip, on tmpfs when there is one. */
static const char *dir(void)
{
	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "%s/epr-fuzz-envfile.XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (mkdtemp(tmpdir) == NULL)
			abort();
		atexit(remove_tmpdir);
	}
	return tmpdir;
}

static int copy_in(struct envfile *ef, void *arg)
{
	const struct envfile *want = arg;

	memcpy(ef->text, want->text, want->len);
	ef->len = want->len;
	return 0;
}

/* What envfile_update writes, envfile_read reads back the same. */
static void round_trip(const struct envfile *ef)
{
	char path[128];
	struct envfile back;

	snprintf(path, sizeof(path), "%s/env", dir());
	if (envfile_update(path, copy_in, (void *)ef) < 0)
		abort();
	int rc = envfile_read(path, &back);
#ifndef FUZZ_CHECK_FULL_READBACK
	/* Known bug, reported: a file of exactly ENVFILE_MAX bytes reads as EFBIG. */
	if (rc < 0 && errno == EFBIG && ef->len == ENVFILE_MAX) {
		unlink(path);
		return;
	}
#endif
	if (rc < 0 || back.len != ef->len || memcmp(back.text, ef->text, ef->len) != 0)
		abort();
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct envfile ef, before;
	static char key[64], value[ENVFILE_MAX], out[ENVFILE_MAX];
	struct input in = { data, size };
	size_t tlen = take(&in);

	tlen |= (size_t)take(&in) << 8;
	if (tlen > in.left)
		tlen = in.left;
	if (parse(&ef, in.p, tlen) < 0)
		return 0;
	in.p += tlen;
	in.left -= tlen;
	check_lines(&ef);

	while (in.left) {
		unsigned op = take(&in) % 4;
		int rc;

		switch (op) {
		case 0: { /* get, into a buffer sized by the input */
			size_t cap = take(&in) % 32 + 1;
			char *small = malloc(cap);
			take_word(&in, key, sizeof(key), 1);
			rc = envfile_get(&ef, key, small, cap);
			if (rc >= 0 && ((size_t)rc >= cap || small[rc] != '\0'))
				abort();
			free(small);
			break;
		}
		case 1: /* set, which must read back or change nothing */
			take_word(&in, key, sizeof(key), 1);
			take_word(&in, value, 256, 0);
			before = ef;
			rc = envfile_set(&ef, key, value);
			if (rc == 0) {
				if (envfile_get(&ef, key, out, sizeof(out)) < 0 || strcmp(out, value) != 0)
					abort();
			} else if ((errno == EINVAL) != (!envfile_key_ok(key) || !envfile_value_ok(value)) ||
				   (errno != ENOSPC && errno != EINVAL) || before.len != ef.len ||
				   memcmp(before.text, ef.text, ef.len) != 0) {
				abort();
			}
			break;
		case 2: { /* add_port: afterwards the port is listed */
			uint16_t port = (uint16_t)(take(&in) | take(&in) << 8);
			uint16_t sentinel = (uint16_t)(take(&in) | take(&in) << 8);
			char num[8];
			if (port == 0)
				port = 1;
			rc = envfile_add_port(&ef, port, sentinel);
			if (rc < 0 && errno != ENOSPC && errno != EINVAL) /* EINVAL: a garbled list */
				abort();
			if (rc < -1 || rc > 1)
				abort();
			if (rc >= 0) {
				snprintf(num, sizeof(num), "%u", (unsigned)port);
				if (envfile_get(&ef, EPR_KEY_PORT, out, sizeof(out)) < 0)
					abort();
				if (envfile_get(&ef, EPR_KEY_PORT_LIST, out, sizeof(out)) < 0)
					abort();
				size_t nlen = strlen(num);
				int listed = 0;
				for (const char *p = out; *p;) {
					const char *comma = strchr(p, ',');
					size_t l = comma ? (size_t)(comma - p) : strlen(p);
					listed |= l == nlen && memcmp(p, num, l) == 0;
					p += l + (comma != NULL);
				}
				if (!listed)
					abort();
				if (sentinel) {
					snprintf(key, sizeof(key), "%s%u", EPR_KEY_PORT_PREFIX, (unsigned)sentinel);
					if (envfile_get(&ef, key, out, sizeof(out)) < 0 || strcmp(out, num) != 0)
						abort();
				}
			}
			break;
		}
		default: /* start afresh now and then */
			if (take(&in) == 0)
				envfile_init(&ef);
			break;
		}
		check_lines(&ef);
	}
	round_trip(&ef);
	return 0;
}
