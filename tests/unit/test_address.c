/* common/address.c: which sockaddrs a rewrite may touch, and where it reserves for them. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "address.h"
#include "tap.h"

/* A caller's buffer: the sockaddr, then bytes that must never be read or copied. */
union caller {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	unsigned char bytes[256];
};

static void v4(union caller *c, const char *addr, uint16_t port)
{
	memset(c, 0xA5, sizeof(*c));
	memset(&c->in, 0, sizeof(c->in));
	c->in.sin_family = AF_INET;
	c->in.sin_port = htons(port);
	inet_pton(AF_INET, addr, &c->in.sin_addr);
}

static void v6(union caller *c, const char *addr, uint16_t port)
{
	memset(c, 0xA5, sizeof(*c));
	memset(&c->in6, 0, sizeof(c->in6));
	c->in6.sin6_family = AF_INET6;
	c->in6.sin6_port = htons(port);
	inet_pton(AF_INET6, addr, &c->in6.sin6_addr);
}

static const char *show(const struct bind_addr *a)
{
	static char buf[INET6_ADDRSTRLEN + 16];
	char host[INET6_ADDRSTRLEN] = "?";

	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&a->sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, sizeof(buf), "%s:%u/%u", host, ntohs(in->sin_port), (unsigned)a->len);
	} else if (a->sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, sizeof(buf), "[%s]:%u/%u", host, ntohs(in6->sin6_port), (unsigned)a->len);
	} else {
		snprintf(buf, sizeof(buf), "family %u/%u", (unsigned)a->sa.ss_family, (unsigned)a->len);
	}
	return buf;
}

/* The bytes of the storage past len are all zero. */
static int zero_after(const struct bind_addr *a, size_t len)
{
	const unsigned char *p = (const unsigned char *)&a->sa;

	for (size_t i = len; i < sizeof(a->sa); i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_port(void)
{
	union caller c;

	is_int(address_port(NULL, 16), -1, "port: NULL is passed through");
	v4(&c, "127.0.0.1", 8080);
	is_int(address_port(&c.sa, 16), 8080, "port: AF_INET, 16 bytes");
	is_int(address_port(&c.sa, sizeof(struct sockaddr_storage)), 8080, "port: AF_INET, 128 bytes");
	is_int(address_port(&c.sa, 15), -1, "port: AF_INET, 15 bytes is too short");
	is_int(address_port(&c.sa, 129), -1, "port: AF_INET, 129 bytes is too long");
	is_int(address_port(&c.sa, 4096), -1, "port: AF_INET, 4096 bytes is too long");
	for (socklen_t len = 0; len < 4; len++)
		is_int(address_port(&c.sa, len), -1, "port: %u bytes cannot hold family and port", (unsigned)len);
	v4(&c, "0.0.0.0", 0);
	is_int(address_port(&c.sa, 16), 0, "port: port 0");
	v4(&c, "0.0.0.0", 65535);
	is_int(address_port(&c.sa, 16), 65535, "port: port 65535 (network byte order read right)");

	v6(&c, "::1", 3306);
	is_int(address_port(&c.sa, sizeof(struct sockaddr_in6)), 3306, "port: AF_INET6, 28 bytes");
	is_int(address_port(&c.sa, 24), 3306, "port: AF_INET6, the 24-byte RFC 2133 length");
	is_int(address_port(&c.sa, 23), -1, "port: AF_INET6, 23 bytes is too short");
	is_int(address_port(&c.sa, 16), -1, "port: AF_INET6, 16 bytes (an AF_INET length) is too short");
	is_int(address_port(&c.sa, 128), 3306, "port: AF_INET6, 128 bytes");
	is_int(address_port(&c.sa, 129), -1, "port: AF_INET6, 129 bytes is too long");

	memset(&c, 0, sizeof(c));
	c.sa.sa_family = AF_UNIX;
	is_int(address_port(&c.sa, 110), -1, "port: AF_UNIX is passed through");
	c.sa.sa_family = AF_UNSPEC;
	is_int(address_port(&c.sa, 16), -1, "port: AF_UNSPEC is passed through");
	c.sa.sa_family = AF_PACKET;
	is_int(address_port(&c.sa, 20), -1, "port: AF_PACKET is passed through");
	c.sa.sa_family = 0xFFFF;
	is_int(address_port(&c.sa, 28), -1, "port: an unknown family is passed through");
}

static void test_copy(void)
{
	union caller c, before;
	struct bind_addr a;

	v4(&c, "10.1.2.3", 8080);
	before = c;
	memset(&a, 0xEE, sizeof(a));
	address_copy(&a, &c.sa, 128);
	is_str(show(&a), "10.1.2.3:8080/16", "copy: AF_INET copied with length 16");
	ok(zero_after(&a, sizeof(struct sockaddr_in)), "copy: nothing past 16 bytes is copied");
	ok(memcmp(&a.sa, &c.in, sizeof(c.in)) == 0, "copy: the 16 bytes are the caller's");
	ok(memcmp(&c, &before, sizeof(c)) == 0, "copy: the caller's buffer is untouched");

	v6(&c, "2001:db8::5", 443);
	c.in6.sin6_flowinfo = htonl(7);
	c.in6.sin6_scope_id = 0xA5A5A5A5;
	before = c;
	memset(&a, 0xEE, sizeof(a));
	address_copy(&a, &c.sa, 24);
	is_str(show(&a), "[2001:db8::5]:443/28", "copy: a 24-byte AF_INET6 becomes a full 28-byte one");
	ok(((struct sockaddr_in6 *)&a.sa)->sin6_scope_id == 0,
	   "copy: ... whose scope id, beyond the caller's 24 bytes, is 0");
	ok(((struct sockaddr_in6 *)&a.sa)->sin6_flowinfo == htonl(7), "copy: ... and flowinfo is kept");
	ok(zero_after(&a, sizeof(struct sockaddr_in6)), "copy: nothing past 28 bytes");
	ok(memcmp(&c, &before, sizeof(c)) == 0, "copy: the caller's buffer is untouched");

	v6(&c, "fe80::1", 22);
	c.in6.sin6_scope_id = 3;
	address_copy(&a, &c.sa, 28);
	ok(((struct sockaddr_in6 *)&a.sa)->sin6_scope_id == 3, "copy: a 28-byte AF_INET6 keeps its scope id");

	address_set_port(&a, 5555);
	is_str(show(&a), "[fe80::1]:5555/28", "set_port: AF_INET6");
	v4(&c, "127.0.0.1", 1);
	address_copy(&a, &c.sa, 16);
	address_set_port(&a, 65535);
	is_str(show(&a), "127.0.0.1:65535/16", "set_port: AF_INET");
}

static int caller_written;

static void reservation(union caller *c, socklen_t len, struct bind_addr *out)
{
	struct bind_addr a;
	union caller before = *c;

	address_copy(&a, &c->sa, len);
	memset(out, 0xEE, sizeof(*out));
	address_reservation(&a, out);
	caller_written |= memcmp(c, &before, sizeof(*c)) != 0;
}

static void test_reservation(void)
{
	union caller c;
	struct bind_addr r, o;

	v4(&c, "0.0.0.0", 3306);
	reservation(&c, 16, &r);
	is_str(show(&r), "127.0.0.1:0/16", "reservation: 0.0.0.0 reserves on 127.0.0.1, port 0");
	ok(zero_after(&r, 16), "reservation: ... and nothing else set");
	v4(&c, "127.0.0.1", 3306);
	reservation(&c, 16, &r);
	is_str(show(&r), "127.0.0.1:0/16", "reservation: 127.0.0.1 reserves on itself");
	v4(&c, "10.1.2.3", 3306);
	reservation(&c, 16, &r);
	is_str(show(&r), "10.1.2.3:0/16", "reservation: a specific IPv4 address reserves on itself");

	v6(&c, "::", 3306);
	reservation(&c, 28, &r);
	is_str(show(&r), "[::1]:0/28", "reservation: [::] reserves on ::1");
	v6(&c, "::", 3306);
	reservation(&c, 24, &r);
	is_str(show(&r), "[::1]:0/28", "reservation: [::] at 24 bytes reserves on ::1, 28 bytes");
	v6(&c, "::1", 3306);
	reservation(&c, 28, &r);
	is_str(show(&r), "[::1]:0/28", "reservation: ::1 reserves on itself");
	v6(&c, "2001:db8::5", 3306);
	reservation(&c, 24, &r);
	is_str(show(&r), "[2001:db8::5]:0/28", "reservation: a specific IPv6 address reserves on itself");
	v6(&c, "fe80::1", 3306);
	c.in6.sin6_scope_id = 2;
	reservation(&c, 28, &r);
	ok(r.sa.ss_family == AF_INET6 && ((struct sockaddr_in6 *)&r.sa)->sin6_scope_id == 2,
	   "reservation: a link-local address keeps its scope id");

	v6(&c, "::ffff:10.1.2.3", 3306);
	reservation(&c, 28, &r);
	is_str(show(&r), "10.1.2.3:0/16", "reservation: v4-mapped ::ffff:10.1.2.3 reserves on IPv4 10.1.2.3");
	ok(zero_after(&r, 16), "reservation: ... a clean sockaddr_in");
	v6(&c, "::ffff:127.0.0.1", 3306);
	reservation(&c, 24, &r);
	is_str(show(&r), "127.0.0.1:0/16", "reservation: v4-mapped loopback reserves on 127.0.0.1");
	v6(&c, "::ffff:0.0.0.0", 3306);
	reservation(&c, 28, &r);
	is_str(show(&r), "127.0.0.1:0/16", "reservation: v4-mapped 0.0.0.0 reserves on 127.0.0.1");
	v6(&c, "::127.0.0.1", 3306);
	reservation(&c, 28, &r);
	is_str(show(&r), "[::127.0.0.1]:0/28", "reservation: v4-compatible (not mapped) stays IPv6");

	v4(&c, "127.0.0.1", 0);
	reservation(&c, 16, &r);
	address_other_loopback(&r, 40000, &o);
	is_str(show(&o), "[::1]:40000/28", "other_loopback: of IPv4 is ::1, with the port");
	ok(zero_after(&o, 28) && ((struct sockaddr_in6 *)&o.sa)->sin6_scope_id == 0 &&
	   ((struct sockaddr_in6 *)&o.sa)->sin6_flowinfo == 0, "other_loopback: ... and nothing else set");
	v6(&c, "2001:db8::5", 0);
	reservation(&c, 28, &r);
	address_other_loopback(&r, 40001, &o);
	is_str(show(&o), "127.0.0.1:40001/16", "other_loopback: of IPv6 is 127.0.0.1, with the port");
	ok(zero_after(&o, 16), "other_loopback: ... and nothing else set");
	ok(!caller_written, "reservation: no caller's buffer was written");
}

static void test_ipv4_fallback(void)
{
	union caller c;
	struct bind_addr a, o;

	v6(&c, "::", 3306);
	address_copy(&a, &c.sa, 28);
	memset(&o, 0xEE, sizeof(o));
	ok(address_ipv4_fallback(&a, &o), "ipv4_fallback: [::] has one");
	is_str(show(&o), "127.0.0.1:0/16", "ipv4_fallback: ... 127.0.0.1, port 0");
	ok(zero_after(&o, 16), "ipv4_fallback: ... and nothing else set");
	v6(&c, "::1", 3306);
	address_copy(&a, &c.sa, 28);
	ok(!address_ipv4_fallback(&a, &o), "ipv4_fallback: ::1 has none (a v6-only address)");
	v6(&c, "2001:db8::5", 0);
	address_copy(&a, &c.sa, 28);
	ok(!address_ipv4_fallback(&a, &o), "ipv4_fallback: a specific IPv6 address has none");
	v4(&c, "0.0.0.0", 0);
	address_copy(&a, &c.sa, 16);
	ok(!address_ipv4_fallback(&a, &o), "ipv4_fallback: IPv4 needs none");
}

static void test_is_local(void)
{
	static const struct {
		const char *addr;
		int local;
	} cases[] = {
		{ "127.0.0.1", 1 },        { "127.8.9.10", 1 },      { "0.0.0.0", 1 },
		{ "10.0.0.1", 0 },         { "128.0.0.1", 0 },       { "192.0.2.1", 0 },
		{ "::1", 1 },              { "::", 1 },              { "::ffff:127.0.0.1", 1 },
		{ "::ffff:127.1.2.3", 1 }, { "::ffff:0.0.0.0", 1 },  { "::ffff:10.0.0.1", 0 },
		{ "::2", 0 },              { "2001:db8::1", 0 },     { "fe80::1", 0 },
		{ "::127.0.0.1", 0 }, /* IPv4-compatible, not mapped: nothing reaches this host */
	};
	union caller c;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (strchr(cases[i].addr, ':'))
			v6(&c, cases[i].addr, 6379);
		else
			v4(&c, cases[i].addr, 6379);
		ok(address_is_local(&c.sa) == cases[i].local, "is_local: %s is %s",
		   cases[i].addr, cases[i].local ? "this host" : "not this host");
	}
}

int main(void)
{
	test_is_local();
	test_port();
	test_copy();
	test_reservation();
	test_ipv4_fallback();
	return tap_done();
}
