/* A word as sh would need it typed, for epr start's NAME=value lines and for the commands
 * that epr list shows: as it is when it is plain, else in single quotes. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Bytes that sh takes as they are in a word; those past ASCII (UTF-8) too. */
static int plain(char c)
{
	return (unsigned char)c >= 0x80 ||
	       (c && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789_-+=.,:/@%", c));
}

size_t sh_quote(const char *word, char *out, size_t cap)
{
	const char *c = word;
	size_t n = 0;

	while (plain(*c))
		c++;
	if (*word && !*c) /* an empty word needs its quotes, or it vanishes */
		return (size_t)snprintf(out, cap, "%s", word) < cap ? strlen(out) : cap;
	if (cap < 3)
		return cap;
	out[n++] = '\'';
	for (; *word; word++) {
		size_t len = *word == '\'' ? 4 : 1;

		if (n + len + 2 > cap)
			return cap;
		memcpy(out + n, *word == '\'' ? "'\\''" : word, len);
		n += len;
	}
	out[n++] = '\'';
	out[n] = '\0';
	return n;
}
