#!/bin/sh
# Regenerates <case>.expected from Dovecot for every <case>.eml here, so
# the golden files of test_mime.c stay what Dovecot really answers.
# Needs Debian's dovecot-imapd; runs its imap binary in PREAUTH mode as
# nobody on a scratch Maildir (no daemon, no network):
#
#	sh regress/lib/mime/dovecot-expected.sh [/tmp/scratch]
#
# Each .expected holds four lines, "RFC822.SIZE n", "ENVELOPE ...",
# "BODY ..." and "BODYSTRUCTURE ...", exactly as Dovecot 2.3 sent them
# (a literal keeps its CR LF inside the line).
set -e
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-/tmp/buzon-dovecot-mime}
rm -rf "$dir"
mkdir -p "$dir"
cat > "$dir/dovecot.conf" <<CONF
mail_location = maildir:$dir/Maildir
first_valid_uid = 1
base_dir = $dir/run
log_path = $dir/log
ssl = no
CONF
for f in "$here"/*.eml; do
	rm -rf "$dir/Maildir"
	mkdir -p "$dir/Maildir/cur" "$dir/Maildir/new" "$dir/Maildir/tmp"
	cp "$f" "$dir/Maildir/cur/1.x:2,"
	chown -R nobody:nogroup "$dir"
	printf 'a0 SELECT INBOX\r\na1 FETCH 1 (RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE)\r\na2 LOGOUT\r\n' |
	    USER=test HOME="$dir" MAIL="maildir:$dir/Maildir" \
	    setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    /usr/lib/dovecot/imap -c "$dir/dovecot.conf" 2>/dev/null |
	    sed -n '/^\* 1 FETCH/,/^a1 /p' | sed '$d' |
	    sed 's/^\* 1 FETCH (//; s/ FLAGS ([^)]*)//; s/)\r$//' |
	    python3 -c '
import re, sys
t = sys.stdin.buffer.read().rstrip(b"\r\n")
m = re.match(rb"RFC822\.SIZE (\d+) ENVELOPE (.*) BODY (.*) BODYSTRUCTURE (.*)$", t, re.S)
sys.stdout.buffer.write(b"RFC822.SIZE %s\nENVELOPE %s\nBODY %s\nBODYSTRUCTURE %s\n" % m.groups())
' > "${f%.eml}.expected"
done
rm -rf "$dir"
