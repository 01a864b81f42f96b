/*
 * main.c - presenced: command line, daemon life cycle, signals.
 *
 * Exit codes (sysexits.h, so a service manager can act on them):
 *   0 clean stop / config OK, 64 usage error, 78 configuration error,
 *   69 a service could not start (port in use, TLS files), 73 database error.
 */
#include "config.h"
#include "alloc.h"
#include "cfg.h"
#include "pres.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: presenced [-c FILE] [-f] [-t] [-d] [-V] [-h]\n"
	    "  -c FILE  configuration file (default etc/presenced.conf)\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -t       check the configuration and exit\n"
	    "  -d       debug logging\n"
	    "  -V       print the version and exit\n"
	    "  -h       this help\n");
}

static int write_pidfile(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("pidfile %s", path);
		return -1;
	}
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		log_warn("pidfile %s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int daemonize(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *file = "etc/presenced.conf";
	int foreground = 0, test_only = 0, debug = 0, ch;
	struct pres_cfg *cfg;
	struct wire *w;
	sigset_t set;
	char alloc[96];

	while ((ch = getopt(argc, argv, "c:ftdVh")) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'f': foreground = 1; break;
		case 't': test_only = 1; break;
		case 'd': debug = 1; break;
		case 'V':
			pres_alloc_describe(alloc, sizeof(alloc));
			printf("presenced %s (malloc: %s)\n", PACKAGE_VERSION, alloc);
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	log_init(0, "presenced", LOG_LVL_INFO);
	cfg = pres_cfg_load(file);
	if (!cfg)
		return EX_CONFIG;
	if (test_only) {
		int rc = wire_check(cfg);
		if (rc == 0)
			fprintf(stderr, "presenced: configuration file %s test is successful\n", file);
		pres_cfg_free(cfg);
		return rc == 0 ? 0 : EX_CONFIG;
	}
	log_init(foreground ? 0 : cfg->log_syslog, "presenced", debug ? LOG_LVL_DEBUG : cfg->log_level);

	/* Signals are taken synchronously by this thread; every thread created
	 * from here on inherits the blocked mask. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (!foreground && daemonize() < 0) {
		log_warn("daemonize");
		return EX_OSERR;
	}
	int rc = wire_start(cfg, &w);
	if (rc != 0) {
		pres_cfg_free(cfg);
		return rc;
	}
	if (cfg->pidfile && write_pidfile(cfg->pidfile) < 0) {
		wire_stop(w);
		pres_cfg_free(cfg);
		return EX_CANTCREAT;
	}
	if (pres_alloc_describe(alloc, sizeof(alloc)) != 0)
		log_warnx("malloc: built for %s, but malloc() does not reach it "
		    "(check LD_PRELOAD); running on without its tuning", alloc);
	log_info("presenced %s ready (config %s; malloc: %s)", PACKAGE_VERSION, file, alloc);
	for (;;) {
		int sig;
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_reopen();
			log_info("SIGHUP: logs reopened");
			continue;
		}
		log_info("%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}
	wire_stop(w);
	if (cfg->pidfile)
		unlink(cfg->pidfile);
	log_info("stopped");
	pres_cfg_free(cfg);
	return 0;
}
