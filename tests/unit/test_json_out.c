/* helper/cmd/json_out.c: any bytes in, a JSON string out that parses back to them (or to U+FFFD
 * where they were not UTF-8). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "tap.h"

/* What json_string prints for s, in one static buffer: one use per statement. */
static const char *json(const char *s)
{
	static char out[512];
	FILE *f = fmemopen(out, sizeof out, "w");

	if (!f)
		tap_bail("fmemopen: out of memory");
	json_string(f, s);
	fclose(f);
	return out;
}

/* What json_port_list prints for list. */
static const char *ports(const char *list)
{
	static char out[512];
	FILE *f = fmemopen(out, sizeof out, "w");

	if (!f)
		tap_bail("fmemopen: out of memory");
	json_port_list(f, list);
	fclose(f);
	return out;
}

int main(void)
{
	is_str(json(NULL), "null", "NULL is null");
	is_str(json(""), "\"\"", "the empty string");
	is_str(json("python3 -m http.server 0"), "\"python3 -m http.server 0\"", "plain text is kept");
	is_str(json("say \"hi\""), "\"say \\\"hi\\\"\"", "a quote is escaped");
	is_str(json("C:\\dir"), "\"C:\\\\dir\"", "a backslash is escaped");
	is_str(json("a\tb\nc\x01\x1f"), "\"a\\u0009b\\u000ac\\u0001\\u001f\"", "control characters as \\u00XX");
	is_str(json("del\x7f"), "\"del\\u007f\"", "DEL as \\u007f");
	is_str(json("/"), "\"/\"", "a slash needs no escape");
	is_str(json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	       "UTF-8 of two, three and four bytes is kept");
	is_str(json("a\xff" "b"), "\"a\\ufffdb\"", "a byte that is no UTF-8 becomes U+FFFD");
	is_str(json("\xc3"), "\"\\ufffd\"", "a sequence cut short at the end");
	is_str(json("\xc3(x"), "\"\\ufffd(x\"", "a lead byte without its continuation");
	is_str(json("\x80"), "\"\\ufffd\"", "a stray continuation byte");
	is_str(json("\xc0\xaf"), "\"\\ufffd\\ufffd\"", "an overlong '/' is refused");
	is_str(json("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\"", "an overlong three-byte form");
	is_str(json("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"", "a UTF-16 surrogate");
	is_str(json("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "past U+10FFFF");
	is_str(json("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"", "U+10FFFF itself is kept");
	is_str(ports("41234"), "[41234]", "one port");
	is_str(ports("41234,1,65535"), "[41234, 1, 65535]", "ports in their order");
	is_str(ports(""), "[]", "no port: an empty array");
	is_str(ports(",5,,6,"), "[5, 6]", "empty items are left out");
	is_str(ports("0,65536,7"), "[7]", "what is no port is left out");
	return tap_done();
}
