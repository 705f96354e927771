/* common/port_spec.c: port numbers and the S[=P] lists of EPR_PORTS and epr -p. */
#include <string.h>

#include "port_spec.h"
#include "tap.h"

/* port_parse on a NUL-terminated string; the port is 0 unless parsed. */
static int parse(const char *text, uint16_t *port)
{
	*port = 0;
	return port_parse(text, strlen(text), port);
}

static void test_port_parse(void)
{
	uint16_t port;

	is_int(parse("1", &port), 0, "port_parse: 1 is the lowest port");
	is_int(port, 1, "port_parse: 1 reads as 1");
	is_int(parse("65535", &port), 0, "port_parse: 65535 is the highest port");
	is_int(port, 65535, "port_parse: 65535 reads as 65535");
	is_int(parse("0", &port), -1, "port_parse: 0 is not a port");
	is_int(parse("00000", &port), -1, "port_parse: 00000 is not a port");
	is_int(parse("65536", &port), -1, "port_parse: 65536 is out of range");
	is_int(parse("99999", &port), -1, "port_parse: 99999 is out of range");
	is_int(parse("", &port), -1, "port_parse: the empty string is not a port");
	is_int(parse("+80", &port), -1, "port_parse: a leading '+' is refused");
	is_int(parse("-80", &port), -1, "port_parse: a leading '-' is refused");
	is_int(parse("-0", &port), -1, "port_parse: -0 is refused");
	is_int(parse(" 80", &port), -1, "port_parse: a leading space is refused");
	is_int(parse("80 ", &port), -1, "port_parse: a trailing space is refused");
	is_int(parse("8 0", &port), -1, "port_parse: an inner space is refused");
	is_int(parse("\t80", &port), -1, "port_parse: a leading tab is refused");
	is_int(parse("0x50", &port), -1, "port_parse: hex is refused");
	is_int(parse("80a", &port), -1, "port_parse: trailing letters are refused");
	is_int(parse("123456", &port), -1, "port_parse: six digits are refused");
	is_int(parse("000080", &port), -1, "port_parse: six digits with leading zeros are refused");
	is_int(parse("4294967376", &port), -1, "port_parse: 2^32+80 does not wrap to 80");
	is_int(parse("08080", &port), 0, "port_parse: leading zeros within five digits are accepted");
	is_int(port, 8080, "port_parse: 08080 reads as 8080");
	is_int(parse("00001", &port), 0, "port_parse: 00001 is accepted");
	is_int(port, 1, "port_parse: 00001 reads as 1");

	port = 7;
	is_int(port_parse("70000", 5, &port), -1, "port_parse: a failed parse ...");
	is_int(port, 7, "... leaves *port as it was");
	is_int(port_parse("8080,3306", 4, &port), 0, "port_parse: reads only len bytes");
	is_int(port, 8080, "port_parse: 8080 from the first four bytes of '8080,3306'");
	is_int(port_parse("80", 0, &port), -1, "port_parse: len 0 is refused whatever text holds");
}

/* Parses text; on failure err holds the message. */
static int specs(struct port_specs *s, const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	return port_specs_parse(s, text, err, errlen);
}

static void test_port_specs_parse(void)
{
	struct port_specs s;
	char err[200];

	s.n = 99;
	is_int(specs(&s, "", err, sizeof(err)), 0, "parse: \"\" is a valid, empty list");
	is_int(s.n, 0, "parse: \"\" gives no sentinel (and resets n)");

	is_int(specs(&s, "3306", err, sizeof(err)), 0, "parse: one sentinel");
	ok(s.n == 1 && s.item[0].sentinel == 3306 && s.item[0].pin == 0,
	   "parse: '3306' is sentinel 3306, not pinned");

	is_int(specs(&s, "3306=13306,6379", err, sizeof(err)), 0, "parse: a pinned and a plain sentinel");
	ok(s.n == 2 && s.item[0].sentinel == 3306 && s.item[0].pin == 13306 &&
	   s.item[1].sentinel == 6379 && s.item[1].pin == 0,
	   "parse: '3306=13306,6379' keeps order and pins");

	is_int(specs(&s, "3306,3306,3306", err, sizeof(err)), 0, "parse: a repeated sentinel is fine");
	is_int(s.n, 1, "parse: a repeated sentinel is kept once");

	is_int(specs(&s, "3306,3306=4000", err, sizeof(err)), 0, "parse: plain then pinned");
	ok(s.n == 1 && s.item[0].pin == 4000, "parse: '3306,3306=4000' pins 3306 to 4000");
	is_int(specs(&s, "3306=4000,3306", err, sizeof(err)), 0, "parse: pinned then plain");
	ok(s.n == 1 && s.item[0].pin == 4000, "parse: '3306=4000,3306' keeps the pin");
	is_int(specs(&s, "3306=4000,3306=4000", err, sizeof(err)), 0, "parse: the same pin twice is fine");
	ok(s.n == 1 && s.item[0].pin == 4000, "parse: the same pin twice is kept once");

	is_int(specs(&s, "3306=4000,3306=4001", err, sizeof(err)), -1,
	       "parse: one sentinel pinned to two ports is an error");
	is_str(err, "'3306=4001' pins a sentinel already pinned to another port",
	       "parse: ... naming the second item");
	is_int(specs(&s, "3306=4000,5432=4000", err, sizeof(err)), -1,
	       "parse: two new sentinels pinned to one port is an error");
	is_str(err, "'5432=4000' pins a port already pinned for another sentinel",
	       "parse: ... naming the second item");
	is_int(specs(&s, "5432=4000,3306,3306=4000", err, sizeof(err)), -1,
	       "parse: pinning a known sentinel to another's pin is an error");
	is_str(err, "'3306=4000' pins a port already pinned for another sentinel",
	       "parse: ... naming the item that pins it");

	is_int(specs(&s, "70000", err, sizeof(err)), -1, "parse: 70000 is an error");
	is_str(err, "'70000' is not a port (1-65535)", "parse: the message names 70000");
	is_int(specs(&s, "3306=70000", err, sizeof(err)), -1, "parse: a bad pin is an error");
	is_str(err, "'3306=70000' pins something that is not a port (1-65535)",
	       "parse: the message names the item with the bad pin");
	is_int(specs(&s, "3306=abc", err, sizeof(err)), -1, "parse: a pin of letters is an error");
	is_str(err, "'3306=abc' pins something that is not a port (1-65535)",
	       "parse: the message names '3306=abc'");
	is_int(specs(&s, "3306=4000=5", err, sizeof(err)), -1, "parse: two '=' is an error");
	is_str(err, "'3306=4000=5' pins something that is not a port (1-65535)",
	       "parse: the message names the whole item with two '='");
	is_int(specs(&s, "0", err, sizeof(err)), -1, "parse: sentinel 0 is an error");
	is_int(specs(&s, "3306=0", err, sizeof(err)), -1, "parse: pin 0 is an error");
	is_int(specs(&s, " 3306", err, sizeof(err)), -1, "parse: a space before an item is an error");
	is_int(specs(&s, "3306, 6379", err, sizeof(err)), -1, "parse: a space after a comma is an error");
	is_str(err, "' 6379' is not a port (1-65535)", "parse: the message shows the space");
	is_int(specs(&s, "3306;6379", err, sizeof(err)), -1, "parse: ';' is not a separator");
	is_int(specs(&s, "=3306", err, sizeof(err)), -1, "parse: a pin without a sentinel is an error");
	is_int(specs(&s, "3306=", err, sizeof(err)), -1, "parse: '=' without a pin is an error");
	is_str(err, "'3306=' pins something that is not a port (1-65535)",
	       "parse: the message names '3306='");

	is_int(specs(&s, ",", err, sizeof(err)), -1, "parse: ',' is an error");
	is_str(err, "'' is empty: expected S or S=P", "parse: ... an empty item");
	is_int(specs(&s, "3306,,6379", err, sizeof(err)), -1, "parse: an empty inner item is an error");
	is_str(err, "'' is empty: expected S or S=P", "parse: ... an empty item");
	is_int(specs(&s, ",3306", err, sizeof(err)), -1, "parse: a leading comma is an error");
	is_int(specs(&s, "3306,", err, sizeof(err)), -1, "parse: a trailing comma is an error");
	is_str(err, "'' is empty: expected S or S=P", "parse: ... an empty last item");

	char longitem[100];
	memset(longitem, '9', sizeof(longitem) - 1);
	longitem[sizeof(longitem) - 1] = '\0';
	is_int(specs(&s, longitem, err, sizeof(err)), -1, "parse: a 99-digit item is an error");
	ok(strlen(err) < 80 && strncmp(err, "'9999999999999999999999999999999999999999'", 42) == 0,
	   "parse: the message quotes at most 40 bytes of it");

	char tiny[8];
	memset(tiny, 'x', sizeof(tiny));
	is_int(specs(&s, "70000", tiny, sizeof(tiny)), -1, "parse: an error into a small buffer ...");
	ok(memchr(tiny, '\0', sizeof(tiny)) != NULL && strcmp(tiny, "'70000'") == 0,
	   "parse: ... is truncated and NUL-terminated");
}

static void test_sentinel_cap(void)
{
	struct port_specs s;
	char list[64 * 7 + 16], err[200];
	size_t len = 0;

	for (int i = 0; i < EPR_MAX_SENTINELS; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%d", i ? "," : "", 10000 + i);
	is_int(specs(&s, list, err, sizeof(err)), 0, "cap: 64 sentinels are accepted");
	is_int(s.n, 64, "cap: all 64 are kept");

	snprintf(list + len, sizeof(list) - len, ",10000,10063=20000");
	is_int(specs(&s, list, err, sizeof(err)), 0, "cap: repeating a known sentinel at the cap is fine");
	ok(s.n == 64 && s.item[63].pin == 20000, "cap: ... and can still pin it");

	snprintf(list + len, sizeof(list) - len, ",20001");
	is_int(specs(&s, list, err, sizeof(err)), -1, "cap: a 65th sentinel is an error");
	is_str(err, "'20001' is one sentinel too many (at most 64)", "cap: the message names the 65th");
}

static void test_port_specs_add_find(void)
{
	struct port_specs s = { 0 };
	char err[200];

	is_int(port_specs_add(&s, "3306=4000,junk", 9, err, sizeof(err)), 0, "add: reads only len bytes");
	ok(s.n == 1 && s.item[0].sentinel == 3306 && s.item[0].pin == 4000, "add: '3306=4000' added");
	is_int(port_specs_add(&s, "", 0, err, sizeof(err)), -1, "add: an empty item is an error");
	is_int(s.n, 1, "add: a failed add adds nothing");
	ok(port_specs_find(&s, 3306) == &s.item[0], "find: finds a sentinel");
	ok(port_specs_find(&s, 4000) == NULL, "find: a pin is not a sentinel");
	ok(port_specs_find(&s, 0) == NULL, "find: 0 is never a sentinel");
}

int main(void)
{
	test_port_parse();
	test_port_specs_parse();
	test_sentinel_cap();
	test_port_specs_add_find();
	return tap_done();
}
