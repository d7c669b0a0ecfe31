/*
 * pop3sd.conf: the keyword table (every default lives here), "listen"
 * lines and the CIDR list of plaintext_networks.  pop3sd.conf(5)
 * documents each keyword.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "log.h"
#include "pop3sd.h"
#include "xmalloc.h"

#define OFF(m)	offsetof(struct pop3sd_conf, m)

static const struct config_keyword pop3sd_keywords[] = {
	LOGIN_CONF_KEYWORDS(struct pop3sd_conf, "_pop3sd"),
	{ "max_line", CONF_NUMBER, OFF(max_line), 255, 8192, "255", NULL,
	    NULL },
	{ "max_auth_line", CONF_NUMBER, OFF(max_auth_line), 255, 16384,
	    "2048", NULL, NULL },
	{ "login_timeout", CONF_DURATION, OFF(login_timeout), 1, 3600,
	    "60s", NULL, NULL },
	{ "timeout", CONF_DURATION, OFF(timeout), 1, 86400, "10m", NULL,
	    NULL },
	{ "max_errors", CONF_NUMBER, OFF(max_errors), 1, 1000, "10", NULL,
	    NULL },
	{ "max_messages", CONF_NUMBER, OFF(max_messages), 1, 10000000,
	    "100000", NULL, NULL },
	{ "greeting", CONF_STRING, OFF(greeting), 0, 0, "POP3 server ready",
	    NULL, NULL }
};

/* By enum pop3_listen_kind. */
static const char *const kind_names[] = { "pop3", "pop3s" };

int
pop3sd_conf_load(struct pop3sd_conf *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->common.kinds = kind_names;
	c->common.nkinds = nitems(kind_names);
	if (config_defaults(pop3sd_keywords, nitems(pop3sd_keywords),
	    c) == -1 || config_load(path, pop3sd_keywords,
	    nitems(pop3sd_keywords), c) == -1)
		return -1;
	return login_conf_check(&c->common, path);
}

void
pop3sd_conf_print(struct pop3sd_conf *c, FILE *fp)
{
	config_print(pop3sd_keywords, nitems(pop3sd_keywords), c, fp);
}

void
pop3sd_conf_free(struct pop3sd_conf *c)
{
	login_conf_free(&c->common);
	config_free(pop3sd_keywords, nitems(pop3sd_keywords), c);
}
