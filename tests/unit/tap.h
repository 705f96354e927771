/* A minimal TAP producer for the C unit tests: "ok N - name" lines and a closing plan,
 * which prove reads directly. Header-only, one per test program. */
#ifndef EPR_TAP_H
#define EPR_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failures;
static const char *tap_todo; /* non-NULL: the next points are a known bug, reported as TODO */

/* One test point. On failure, where it failed goes out as a TAP diagnostic ("# ..."). */
__attribute__((format(printf, 4, 5), unused))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", pass ? "ok" : "not ok", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (tap_todo)
		printf(" # TODO %s", tap_todo);
	putchar('\n');
	if (!pass && !tap_todo)
		tap_failures++;
	if (!pass) {
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

#define ok(cond, ...) tap_ok((cond) != 0, __FILE__, __LINE__, __VA_ARGS__)

/* Integer equality, showing both values when they differ. */
#define is_int(got, want, ...)                                                               \
	do {                                                                                 \
		long long got_ = (long long)(got), want_ = (long long)(want);                \
		if (!ok(got_ == want_, __VA_ARGS__))                                         \
			printf("#   got %lld, expected %lld\n", got_, want_);                  \
	} while (0)

/* String equality (NULL-safe), showing both values when they differ. */
#define is_str(got, want, ...)                                                               \
	do {                                                                                 \
		const char *got_ = (got), *want_ = (want);                                   \
		int same_ = got_ && want_ ? strcmp(got_, want_) == 0 : got_ == want_;        \
		if (!ok(same_, __VA_ARGS__))                                                 \
			printf("#   got '%s', expected '%s'\n", got_ ? got_ : "(null)",         \
			       want_ ? want_ : "(null)");                                    \
	} while (0)

__attribute__((format(printf, 1, 2), unused))
static void tap_skip(const char *fmt, ...)
{
	va_list ap;

	printf("ok %d # SKIP ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

__attribute__((format(printf, 1, 2), unused))
static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Bails out of the whole program: for a broken fixture, not a failed promise. */
__attribute__((format(printf, 1, 2), noreturn, unused))
static void tap_bail(const char *fmt, ...)
{
	va_list ap;

	fputs("Bail out! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(255);
}

/* The closing plan; the program's exit status. */
__attribute__((unused))
static int tap_done(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return tap_failures ? 1 : 0;
}

#endif
