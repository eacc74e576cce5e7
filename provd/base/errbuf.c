/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "base/errbuf.h"

/* format(printf, 3, 0): the checked format comes from the callers, whose
 * own prototypes carry format(printf, ...). */
static void errbuf_vset(char *err, size_t errsz, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
static void errbuf_vset(char *err, size_t errsz, const char *fmt, va_list ap)
{
	if (!err || errsz == 0)
		return;
	vsnprintf(err, errsz, fmt, ap);
}

void errbuf_set(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errbuf_vset(err, errsz, fmt, ap);
	va_end(ap);
}

int errbuf_fail(int r, char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errbuf_vset(err, errsz, fmt, ap);
	va_end(ap);
	return r;
}
