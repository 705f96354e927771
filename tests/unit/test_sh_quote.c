/* helper/sh_quote.c: a word as sh would need it typed, and what does not fit. */
#include <string.h>

#include "cli.h"
#include "tap.h"

/* What sh_quote writes for word into a buffer of cap bytes; "(too long)" if it says so. */
static const char *quoted(const char *word, size_t cap)
{
	static char out[256];

	if (sh_quote(word, out, cap) >= cap)
		return "(too long)";
	return out;
}

int main(void)
{
	is_str(quoted("redis-server", 64), "redis-server", "a plain word as it is");
	is_str(quoted("/tmp/epr.x_1/env", 64), "/tmp/epr.x_1/env", "a path as it is");
	is_str(quoted("a=1,b:2@h%3+", 64), "a=1,b:2@h%3+", "=,:@%%+ need no quotes");
	is_str(quoted("caf\xc3\xa9", 64), "caf\xc3\xa9", "UTF-8 needs no quotes");
	is_str(quoted("", 64), "''", "an empty word keeps its quotes");
	is_str(quoted("a b", 64), "'a b'", "a space is quoted");
	is_str(quoted("$HOME", 64), "'$HOME'", "a dollar is quoted");
	is_str(quoted("it's", 64), "'it'\\''s'", "a single quote is closed, escaped, reopened");
	is_str(quoted("a\tb", 64), "'a\tb'", "a tab is quoted");
	is_str(quoted("abc", 4), "abc", "a plain word that just fits");
	is_str(quoted("abcd", 4), "(too long)", "a plain word one byte too long");
	is_str(quoted("a b", 6), "'a b'", "a quoted word that just fits");
	is_str(quoted("a b", 5), "(too long)", "a quoted word one byte too long");
	is_str(quoted("'", 7), "''\\'''", "a lone quote that just fits");
	is_str(quoted("'", 6), "(too long)", "a lone quote one byte too long");
	return tap_done();
}
