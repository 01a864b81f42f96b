/* log.c - logging to stderr or syslog; one line per event, never secrets. */
#include "pres.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static int log_to_syslog;
static int log_lvl = LOG_LVL_INFO;
static const char *log_ident = "presenced";
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static const char *const lvl_names[] = { "error", "warning", "info", "debug" };

void log_init(int to_syslog, const char *ident, int level)
{
	log_to_syslog = to_syslog;
	log_lvl = level;
	if (ident)
		log_ident = ident;
	if (to_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int log_level(void) { return log_lvl; }

int log_level_from_name(const char *name)
{
	for (size_t i = 0; i < PRES_ARRAY_LEN(lvl_names); i++)
		if (name && strcmp(name, lvl_names[i]) == 0)
			return (int)i;
	return -1;
}

void log_reopen(void)
{
	if (log_to_syslog) {
		closelog();
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

void log_vlog(int level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[2048];

	if (level > log_lvl)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* one event, one line: fold control characters a peer may have sent */
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (log_to_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&log_mu);
	fprintf(stderr, "%s.%03ldZ %s %s: %s\n", when, ts.tv_nsec / 1000000L,
	    log_ident, lvl_names[level], line);
	fflush(stderr);
	pthread_mutex_unlock(&log_mu);
}

#define LOG_FN(name, lvl)                                   \
	void name(const char *fmt, ...)                     \
	{                                                   \
		va_list ap;                                 \
		va_start(ap, fmt);                          \
		log_vlog(lvl, fmt, ap);                     \
		va_end(ap);                                 \
	}
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)
LOG_FN(log_errx, LOG_LVL_ERR)

void log_warn(const char *fmt, ...)
{
	char buf[1024];
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", buf, strerror(saved));
}

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vlog(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
