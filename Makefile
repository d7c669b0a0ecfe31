# buzon: build, check, install, bench.
# Portable between GNU make and BSD make: plain variables, "?=" and "!="
# only, no conditionals, no pattern rules.

PREFIX?=	/usr/local
DESTDIR?=
OBJDIR?=	build
PYTHON!=	if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else echo python3; fi

SYS_CFLAGS!=	sh mk/sysflags cflags
SYS_LIBS!=	sh mk/sysflags libs
MANSUBDIR!=	sh mk/sysflags mandir

BINDIR=		$(PREFIX)/bin
SBINDIR=	$(PREFIX)/sbin
LIBEXECDIR=	$(PREFIX)/libexec
MANDIR=		$(PREFIX)/$(MANSUBDIR)

OPT?=		-O2 -g
WARN=		-Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith \
		-Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
HARDEN?=	-D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LD?=	-pie -Wl,-z,relro -Wl,-z,now
SANFLAGS?=
SAN=		-fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer
ALL_CFLAGS=	$(OPT) $(WARN) $(HARDEN) $(SANFLAGS) -Ilib $(SYS_CFLAGS) \
		-DPATH_LIBEXEC=\"$(LIBEXECDIR)\" $(CFLAGS)
ALL_LDFLAGS=	$(HARDEN_LD) $(SANFLAGS) $(LDFLAGS)

LIB_SRCS=	lib/log.c lib/xmalloc.c lib/config.c lib/number.c \
		lib/address.c lib/base64.c lib/iobuf.c lib/sock.c \
		lib/privdrop.c lib/maildir.c lib/authproto.c lib/authclient.c \
		lib/queueproto.c lib/queueclient.c lib/domains.c lib/daemon.c \
		lib/tlv.c lib/netmask.c lib/sasl.c
LIB_HDRS=	lib/compat.h lib/log.h lib/xmalloc.h lib/config.h lib/number.h \
		lib/address.h lib/base64.h lib/iobuf.h lib/sock.h \
		lib/privdrop.h lib/maildir.h lib/authproto.h lib/authclient.h \
		lib/queueproto.h lib/queueclient.h lib/domains.h lib/daemon.h \
		lib/tlv.h lib/netmask.h lib/mdaproto.h lib/sasl.h
# Each line below belongs to one program's sources; keep them apart.
LIB_POP3_SRCS=	lib/login.c lib/login_client.c lib/login_conf.c \
		lib/login_master.c lib/uidlist.c
LIB_POP3_HDRS=	lib/login.h lib/login_conf.h lib/login_master.h \
		lib/uidlist.h
LIB_IMAP_SRCS=	lib/imapcmd.c lib/imapcmd_parse.c lib/imapcmd_str.c \
		lib/imapcmd_seqset.c lib/mutf7.c \
		lib/mime_buf.c lib/mime_parse.c lib/mime_header.c \
		lib/mime_decode.c lib/mime_envelope.c lib/mime_body.c \
		lib/mime_section.c lib/mime_search.c lib/mime_date.c
LIB_IMAP_HDRS=	lib/imapcmd.h lib/imapcmd_int.h lib/mutf7.h lib/mime.h

AUTHD_SRCS=	authd/authd.c authd/authd_conf.c authd/authd_client.c \
		authd/authd_worker.c authd/throttle.c authd/backend.c \
		authd/backend_file.c authd/backend_passwd.c \
		authd/backend_ldap.c authd/backend_ldap_conf.c \
		authd/backend_ldap_conn.c authd/backend_ldap_filter.c \
		authd/backend_ldap_pw.c authd/backend_ldap_cache.c
AUTHD_HDRS=	authd/authd.h authd/backend.h authd/throttle.h \
		authd/backend_ldap.h
# libldap for authd only (OpenBSD: -L/usr/local/lib is in SYS_LIBS).
LDAP_LIBS=	-lldap -llber
AUTHTEST_SRCS=	authd/authtest.c
MAILDELIVER_SRCS= maildeliver/maildeliver.c maildeliver/deliver_message.c \
		maildeliver/deliver_serve.c
MAILDELIVER_HDRS= maildeliver/deliver.h
MAILDIRMAKE_SRCS= maildeliver/maildirmake.c

# smtpd-lite receiver
SMTPD_PROGS=	$(OBJDIR)/smtpd-lite
SMTPD_SRCS=	smtpd-lite/smtpd.c smtpd-lite/smtpd_conf.c \
		smtpd-lite/smtp_session.c smtpd-lite/smtp_data.c \
		smtpd-lite/smtp_auth.c smtpd-lite/smtp_tls.c
SMTPD_HDRS=	smtpd-lite/smtpd.h
# mailqueue, its spawner, sendmail and mailq
QUEUE_PROGS=	$(OBJDIR)/mailqueue $(OBJDIR)/sendmail
MAILQUEUE_SRCS=	smtpd-lite/mailqueue.c smtpd-lite/queue_conf.c \
		smtpd-lite/queue_accept.c smtpd-lite/queue_commit.c \
		smtpd-lite/queue_envelope.c smtpd-lite/queue_scan.c \
		smtpd-lite/queue_runner.c smtpd-lite/queue_date.c \
		smtpd-lite/queue_spare.c smtpd-lite/spawner.c
MAILQUEUE_HDRS=	smtpd-lite/mailqueue.h smtpd-lite/spawner.h
SENDMAIL_SRCS=	smtpd-lite/sendmail.c smtpd-lite/queue_conf.c \
		smtpd-lite/queue_date.c
# pop3sd
POP3SD_PROGS=	$(OBJDIR)/pop3sd
POP3SD_SRCS=	pop3sd/pop3sd.c pop3sd/pop3sd_conf.c pop3sd/pop3_session.c \
		pop3sd/pop3_auth.c pop3sd/pop3_maildrop.c
POP3SD_HDRS=	pop3sd/pop3sd.h
# imapsd
IMAPSD_PROGS=	$(OBJDIR)/imapsd
IMAPSD_SRCS=	imapsd/imapsd.c imapsd/imapsd_conf.c imapsd/imap_io.c \
		imapsd/imap_preauth.c imapsd/imap_session.c \
		imapsd/imap_mailbox.c imapsd/imap_list.c imapsd/imap_listx.c \
		imapsd/imap_select.c \
		imapsd/imap_fetch.c imapsd/imap_search.c imapsd/imap_idle.c \
		imapsd/imap_store.c imapsd/imap_copy.c imapsd/imap_append.c \
		$(STORE_SRCS)
IMAPSD_HDRS=	imapsd/imapsd.h $(STORE_HDRS)

# imapsd's mailbox store, tested through regress/imapsd/storetool.c
STORE_SRCS=	imapsd/store_name.c imapsd/store_scan.c imapsd/store_folder.c \
		imapsd/store_rename.c imapsd/store_subs.c imapsd/store_mbox.c \
		imapsd/store_flags.c imapsd/store_keywords.c \
		imapsd/store_cache.c imapsd/store_msg.c imapsd/store_append.c
STORE_HDRS=	imapsd/store.h imapsd/store_int.h
STORETOOL=	$(OBJDIR)/storetool

PROGS=		$(OBJDIR)/authd $(OBJDIR)/authtest $(OBJDIR)/maildeliver \
		$(OBJDIR)/maildirmake $(SMTPD_PROGS) $(QUEUE_PROGS) \
		$(POP3SD_PROGS) $(IMAPSD_PROGS)
UNIT_TESTS=	config number address base64 iobuf iobuf_tls sock privdrop \
		maildir authproto queueproto domains daemon tlv netmask
UNIT_TESTS_POP3= uidlist
UNIT_TESTS_IMAP= imapcmd imapcmd_str mime mime_decode mime_search
# authd's LDAP filter escaping and password schemes (they include the .c)
UNIT_TESTS_LDAP= ldapfilter ldappw
BENCH_TOOLS=	$(OBJDIR)/diskbench

MAN1=		maildeliver/maildirmake.1 smtpd-lite/mailq.1
MAN5=		authd/authd.conf.5 smtpd-lite/smtpd-lite.conf.5 \
		smtpd-lite/mailqueue.conf.5 \
		pop3sd/pop3sd.conf.5 imapsd/imapsd.conf.5
MAN8=		authd/authd.8 authd/authtest.8 maildeliver/maildeliver.8 \
		smtpd-lite/mailqueue.8 smtpd-lite/sendmail.8 \
		smtpd-lite/smtpd-lite.8 pop3sd/pop3sd.8 imapsd/imapsd.8

all: $(PROGS)

$(OBJDIR)/libbuzon.a: $(LIB_SRCS) $(LIB_HDRS) $(LIB_POP3_SRCS) $(LIB_POP3_HDRS) \
		$(LIB_IMAP_SRCS) $(LIB_IMAP_HDRS)
	@mkdir -p $(OBJDIR)/lib
	@for f in $(LIB_SRCS) $(LIB_POP3_SRCS) $(LIB_IMAP_SRCS); do \
		o=$(OBJDIR)/lib/`basename $$f .c`.o; \
		echo "cc $$f"; \
		$(CC) $(ALL_CFLAGS) -c -o $$o $$f || exit 1; \
	done
	@rm -f $@
	ar rc $@ $(OBJDIR)/lib/*.o
	ranlib $@

$(OBJDIR)/authd: $(AUTHD_SRCS) $(AUTHD_HDRS) $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -o $@ $(AUTHD_SRCS) $(OBJDIR)/libbuzon.a \
	    $(ALL_LDFLAGS) $(LDAP_LIBS) $(SYS_LIBS)

$(OBJDIR)/authtest: $(AUTHTEST_SRCS) $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -o $@ $(AUTHTEST_SRCS) $(OBJDIR)/libbuzon.a \
	    $(ALL_LDFLAGS) $(SYS_LIBS)

$(OBJDIR)/maildeliver: $(MAILDELIVER_SRCS) $(MAILDELIVER_HDRS) \
	    $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -o $@ $(MAILDELIVER_SRCS) $(OBJDIR)/libbuzon.a \
	    $(ALL_LDFLAGS) $(SYS_LIBS)

$(OBJDIR)/maildirmake: $(MAILDIRMAKE_SRCS) $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -o $@ $(MAILDIRMAKE_SRCS) $(OBJDIR)/libbuzon.a \
	    $(ALL_LDFLAGS) $(SYS_LIBS)

# --- smtpd-lite rules ---
$(OBJDIR)/smtpd-lite: $(SMTPD_SRCS) $(SMTPD_HDRS) $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -o $@ $(SMTPD_SRCS) $(OBJDIR)/libbuzon.a \
	    $(ALL_LDFLAGS) $(SYS_LIBS)

# --- mailqueue, sendmail rules ---
$(OBJDIR)/mailqueue: $(MAILQUEUE_SRCS) $(MAILQUEUE_HDRS) $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -o $@ $(MAILQUEUE_SRCS) $(OBJDIR)/libbuzon.a \
	    $(ALL_LDFLAGS) $(SYS_LIBS)

$(OBJDIR)/sendmail: $(SENDMAIL_SRCS) $(MAILQUEUE_HDRS) $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -o $@ $(SENDMAIL_SRCS) $(OBJDIR)/libbuzon.a \
	    $(ALL_LDFLAGS) $(SYS_LIBS)

# --- pop3sd rules ---
$(OBJDIR)/pop3sd: $(POP3SD_SRCS) $(POP3SD_HDRS) $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -o $@ $(POP3SD_SRCS) $(OBJDIR)/libbuzon.a \
	    $(ALL_LDFLAGS) $(SYS_LIBS)

$(OBJDIR)/imapsd: $(IMAPSD_SRCS) $(IMAPSD_HDRS) $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -Iimapsd -o $@ $(IMAPSD_SRCS) \
	    $(OBJDIR)/libbuzon.a $(ALL_LDFLAGS) $(SYS_LIBS)

# Unit tests of lib: one program per module, regress/lib/test_<module>.c.
unittests: $(OBJDIR)/libbuzon.a regress/lib/unit.h $(STORETOOL)
	@mkdir -p $(OBJDIR)/regress
	@for t in $(UNIT_TESTS) $(UNIT_TESTS_POP3) $(UNIT_TESTS_IMAP) \
	    $(UNIT_TESTS_LDAP); do \
		echo "cc regress/lib/test_$$t.c"; \
		$(CC) $(ALL_CFLAGS) -Iregress/lib -o $(OBJDIR)/regress/test_$$t \
		    regress/lib/test_$$t.c $(OBJDIR)/libbuzon.a \
		    $(ALL_LDFLAGS) $(SYS_LIBS) || exit 1; \
	done

# --- imapsd store rules ---
$(OBJDIR)/storetool: regress/imapsd/storetool.c $(STORE_SRCS) $(STORE_HDRS) \
	    $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -Iimapsd -o $@ regress/imapsd/storetool.c \
	    $(STORE_SRCS) $(OBJDIR)/libbuzon.a $(ALL_LDFLAGS) $(SYS_LIBS)

$(OBJDIR)/diskbench: regress/bench/diskbench.c $(OBJDIR)/libbuzon.a
	$(CC) $(ALL_CFLAGS) -o $@ regress/bench/diskbench.c \
	    $(OBJDIR)/libbuzon.a $(ALL_LDFLAGS) $(SYS_LIBS)

deps:
	@sh mk/deps

# The whole suite against a second build with ASan and UBSan.
check: deps
	$(MAKE) OBJDIR=build-san OPT="-O1 -g" HARDEN="-fPIE" \
	    SANFLAGS="$(SAN)" all unittests
	$(PYTHON) regress/run.py build-san

# The suite in ./demo on loopback ports (mk/demo.py says how).
demo: deps all
	DEMO_DIR="$(DEMO_DIR)" DEMO_PORT="$(DEMO_PORT)" \
	    DEMO_USERS="$(DEMO_USERS)" DEMO_DETACH="$(DEMO_DETACH)" \
	    DEMO_ONESHOT="$(DEMO_ONESHOT)" $(PYTHON) mk/demo.py $(OBJDIR) start

demo-stop:
	DEMO_DIR="$(DEMO_DIR)" $(PYTHON) mk/demo.py $(OBJDIR) stop

bench: all $(BENCH_TOOLS)
	$(PYTHON) regress/bench/bench.py $(OBJDIR)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(OBJDIR)/authd $(OBJDIR)/authtest \
	    $(OBJDIR)/smtpd-lite $(OBJDIR)/mailqueue $(OBJDIR)/sendmail \
	    $(OBJDIR)/pop3sd $(OBJDIR)/imapsd $(DESTDIR)$(SBINDIR)
	ln -sf $(SBINDIR)/sendmail $(DESTDIR)$(BINDIR)/mailq
	install -m 755 $(OBJDIR)/maildirmake $(DESTDIR)$(BINDIR)
	install -m 755 $(OBJDIR)/maildeliver $(DESTDIR)$(LIBEXECDIR)
	install -m 444 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 444 $(MAN5) $(DESTDIR)$(MANDIR)/man5
	install -m 444 $(MAN8) $(DESTDIR)$(MANDIR)/man8

lint-man:
	mandoc -T lint -W warning $(MAN1) $(MAN5) $(MAN8)

clean:
	rm -rf build build-san

.PHONY: all unittests deps check demo demo-stop bench install lint-man clean
