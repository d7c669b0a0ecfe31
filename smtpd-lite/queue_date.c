/*
 * Dates for header lines, shared by mailqueue (Received:) and
 * sendmail (Date:).
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mailqueue.h"

/* RFC 5322 date-time, "Sat, 21 Nov 2026 06:41:44 +0000". */
void
queue_rfc5322_date(time_t t, char *buf, size_t size)
{
	struct tm	tm;
	long		off;
	char		sign = '+';

	localtime_r(&t, &tm);
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	if (strftime(buf, size, "%a, %d %b %Y %H:%M:%S ", &tm) == 0) {
		buf[0] = '\0';
		return;
	}
	(void)snprintf(buf + strlen(buf), size - strlen(buf), "%c%02ld%02ld",
	    sign, off / 60, off % 60);
}
