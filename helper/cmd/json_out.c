/* JSON strings for the commands' --json output: whatever bytes a command line or a path
 * holds, what is printed parses. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* The length of the well-formed UTF-8 sequence at s (1-4), or 0 if it is not one: an
 * overlong form, a surrogate, a code point past U+10FFFF or a stray byte. */
static int utf8_length(const unsigned char *s)
{
	int len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	unsigned long cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	cp = s[0] & (0x3f >> (len - 1));
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (*p) {
		int len;

		if (*p == '"' || *p == '\\') {
			fputc('\\', out);
			fputc(*p++, out);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, out);
		} else if ((len = utf8_length(p)) > 0) {
			fwrite(p, 1, (size_t)len, out);
			p += len;
		} else {
			fputs("\\ufffd", out); /* JSON text is UTF-8: a stray byte cannot go out as it is */
			p++;
		}
	}
	fputc('"', out);
}

void json_port_list(FILE *out, const char *list)
{
	const char *sep = "";

	fputc('[', out);
	while (*list) {
		char *end;
		unsigned long port = strtoul(list, &end, 10);

		if (end == list) { /* an empty item */
			list++;
			continue;
		}
		if (port >= 1 && port <= 65535) {
			fprintf(out, "%s%lu", sep, port);
			sep = ", ";
		}
		list = end + (*end == ',');
	}
	fputc(']', out);
}
