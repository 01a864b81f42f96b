/*
 * pres.h - base layer shared by every presenced module: result codes,
 * logging, small helpers. Everyone may include it; it includes nothing of ours.
 */
#ifndef PRES_H
#define PRES_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/** One result vocabulary for the whole project: 0 or a negative code. */
enum pres_rc {
	PRES_OK = 0,
	PRES_ENOMEM = -1,    /* allocation failed */
	PRES_EINVAL = -2,    /* malformed input */
	PRES_ENOTFOUND = -3, /* no such object */
	PRES_ECONFLICT = -4, /* state conflict (XCAP 409, unique constraint) */
	PRES_EAUTH = -5,     /* not authenticated / not authorized */
	PRES_EDB = -6,       /* storage failure */
	PRES_EAGAIN = -7,    /* try again (busy, lost a race) */
	PRES_EEXIST = -8,    /* already exists */
	PRES_EPRECOND = -9,  /* precondition (ETag) failed */
	PRES_ETOOBIG = -10,  /* over a configured limit */
	PRES_EIO = -11,      /* network or file I/O */
};

/** Static English text for a result code. */
const char *pres_strerror(int rc);

/* ---- logging (OpenBSD-style API) ------------------------------------ */

enum pres_log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/**
 * Sets where log lines go. @p to_syslog non-zero: syslog(3) with @p ident;
 * otherwise stderr. @p level: lines above it are dropped.
 */
void log_init(int to_syslog, const char *ident, int level);
/** Current verbosity. */
int log_level(void);
/** Parses "error|warning|info|debug"; returns the level or -1. */
int log_level_from_name(const char *name);
/** Reopens the log sink (SIGHUP). */
void log_reopen(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* appends strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/** Logs and exits(1). Only at startup or for a broken invariant. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* ---- helpers --------------------------------------------------------- */

#define PRES_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/** Constant-time comparison of two byte strings of equal length. 0 = equal. */
int pres_ct_memcmp(const void *a, const void *b, size_t n);
/** Constant-time string equality (length leaks, content does not). 1 = equal. */
int pres_ct_streq(const char *a, const char *b);

/** Parses a decimal integer in [min,max] (strtonum style). 0 on success. */
int pres_parse_ll(const char *s, long long min, long long max, long long *out);

/** Lower-case hex of @p n bytes into @p out (2n+1 bytes). */
void pres_hex(const uint8_t *in, size_t n, char *out);
/** Parses exactly @p n bytes of hex (2n chars). 0 on success. */
int pres_unhex(const char *hex, uint8_t *out, size_t n);

/** Wall clock in seconds / milliseconds; tests may override with pres_clock_set(). */
int64_t pres_now(void);
int64_t pres_now_ms(void);
/** Test hook: non-zero fixes pres_now() at that value. */
void pres_clock_set(int64_t fixed_now);

/** Safe bounded copy; always NUL-terminates; returns PRES_ETOOBIG if truncated. */
int pres_strlcpy(char *dst, const char *src, size_t size);

/**
 * Normalizes a SIP/SIPS or tel URI used as an identity (IMPU, XUI, watcher):
 * scheme and host lower-cased, URI parameters/headers and display name
 * dropped, "<...>" brackets removed; tel: visual separators (-.() ) removed.
 * Writes into @p out (size @p size). PRES_EINVAL if @p in is not such a URI.
 */
int pres_uri_normalize(const char *in, char *out, size_t size);
/** 1 if the IPv4/IPv6 address @p addr is one of @p list (addresses or
 *  CIDR prefixes "192.0.2.0/24", "2001:db8::/32"); 0 otherwise. */
int pres_addr_in(const char *addr, const char *const *list, size_t n);
/** 1 if both URIs are valid and equal after normalization. */
int pres_uri_equal(const char *a, const char *b);

#endif
