"""A real OpenLDAP slapd for the tests and the bench: started on a free
loopback port and an ldapi socket in a test directory, with a generated
slapd.conf (schemas core, cosine, inetorgperson and nis from
/etc/ldap/schema, plus four attributes of courier's schema: quota and
maildir, which the authldaprc sample of the issue names, clearPassword
and defaultDelivery), loaded with LDIF by ldapadd, and stopped (never
left behind) by stop() or the with-block.

The directory is the one of the sample authldaprc of the issue:

    dc=correo,dc=example,dc=org
      ou=gente      the mail users
      ou=sendmail   LDAP_BINDDN, password "secret", may read passwords
"""

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse

import buzontest

SLAPD = "/usr/sbin/slapd"
SCHEMAS = "/etc/ldap/schema"
MODULES = "/usr/lib/ldap"
SUFFIX = "dc=correo,dc=example,dc=org"
PEOPLE = "ou=gente," + SUFFIX
ROOTDN = "cn=admin," + SUFFIX
ROOTPW = "admin-secret"
BINDDN = "ou=sendmail," + SUFFIX
BINDPW = "secret"
DOMAIN = "correo.example.org"
# The head of every test authldaprc: this server ({uri} filled in by
# Slapd.authldaprc), the people, the search identity, the domain, the ids.
RC_HEAD = """LDAP_URI              {uri}
LDAP_BASEDN           %s
LDAP_BINDDN           %s
LDAP_BINDPW           %s
LDAP_DOMAIN           %s
LDAP_UID              uidNumber
LDAP_GID              gidNumber
""" % (PEOPLE, BINDDN, BINDPW, DOMAIN)

# courier's quota, maildir, clearPassword and defaultDelivery, under
# OpenLDAP's experimental OID arc (1.3.6.1.4.1.4203.666): for tests only.
TEST_SCHEMA = """
attributetype ( 1.3.6.1.4.1.4203.666.11.77.1 NAME 'quota'
    EQUALITY caseIgnoreIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26
    SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.11.77.2 NAME 'maildir'
    EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26
    SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.4203.666.11.77.3 NAME 'clearPassword'
    EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 )
attributetype ( 1.3.6.1.4.1.4203.666.11.77.5 NAME 'defaultDelivery'
    EQUALITY caseExactIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26
    SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.4203.666.11.77.4 NAME 'buzonTestAccount'
    AUXILIARY MAY ( quota $ maildir $ clearPassword $ defaultDelivery ) )
"""

CONF = """include {schemas}/core.schema
include {schemas}/cosine.schema
include {schemas}/inetorgperson.schema
include {schemas}/nis.schema
include {dir}/test.schema
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
modulepath {modules}
moduleload back_mdb
moduleload pw-sha2
{tls}
database mdb
suffix "{suffix}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {dir}/db
maxsize 67108864
index mail eq
access to attrs=userPassword,clearPassword
    by dn.exact="{binddn}" read
    by anonymous auth
    by * none
access to * by * read
"""

BASE_LDIF = """dn: {suffix}
objectClass: dcObject
objectClass: organization
dc: correo
o: correo

dn: {people}
objectClass: organizationalUnit
ou: gente

dn: {binddn}
objectClass: organizationalUnit
ou: sendmail
userPassword: {bindpw}
"""


# --- password values, made here and never by the code under test ---------

def _b64(raw):
    return base64.b64encode(raw).decode()


def ssha(pw, salt=b"s4lt", algo="sha1"):
    h = hashlib.new(algo, pw.encode() + salt).digest()
    name = {"sha1": "SSHA", "sha256": "SSHA256", "sha512": "SSHA512"}[algo]
    return "{%s}%s" % (name, _b64(h + salt))


def sha(pw, algo="sha1"):
    name = {"sha1": "SHA", "sha256": "SHA256", "sha512": "SHA512"}[algo]
    return "{%s}%s" % (name, _b64(hashlib.new(algo, pw.encode()).digest()))


def crypt_value(pw, scheme):
    """{CRYPT} with mkpasswd(1): bcrypt, sha512crypt or md5crypt."""
    argv = ["mkpasswd", "-m", scheme, "--stdin"]
    if scheme == "bcrypt":
        argv += ["-R", "5"]
    elif scheme == "sha512crypt":
        argv += ["-R", "1000"]
    r = subprocess.run(argv, input=pw, text=True, capture_output=True,
                       check=True)
    return "{CRYPT}" + r.stdout.strip()


# --- LDIF ----------------------------------------------------------------

def _ldif_value(name, value):
    if isinstance(value, bytes) or value != value.strip() or \
            value[:1] in (":", "<") or any(ord(c) < 32 or ord(c) > 126
                                           for c in value):
        raw = value if isinstance(value, bytes) else value.encode()
        return "%s:: %s\n" % (name, _b64(raw))
    return "%s: %s\n" % (name, value)


def entry(dn, attrs):
    """LDIF for one entry; attrs maps a name to a value or a list."""
    out = _ldif_value("dn", dn)
    for name, values in attrs.items():
        if not isinstance(values, (list, tuple)):
            values = [values]
        for v in values:
            out += _ldif_value(name, v)
    return out + "\n"


def user(uid, password=None, mail=None, uidnum=2001, gidnum=2001,
         home=None, base=PEOPLE, **extra):
    """An inetOrgPerson + posixAccount (+ buzonTestAccount) entry."""
    attrs = {"objectClass": ["inetOrgPerson", "posixAccount",
                             "buzonTestAccount"],
             "uid": uid, "cn": uid, "sn": uid,
             "mail": mail or "%s@%s" % (uid, DOMAIN),
             "uidNumber": str(uidnum), "gidNumber": str(gidnum),
             "homeDirectory": home or "/home/vmail/" + uid}
    if password is not None:
        attrs["userPassword"] = password
    attrs.update(extra)
    return entry("uid=%s,%s" % (uid, base), attrs)


# --- the server -----------------------------------------------------------

class Slapd:
    """slapd in the foreground in workdir/slapd; stats=True logs every
    operation (the filters it was sent) in self.logpath."""

    def __init__(self, workdir, tls=False, stats=False):
        self.dir = os.path.join(workdir, "slapd")
        os.makedirs(os.path.join(self.dir, "db"), exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.port = buzontest.free_port()
        self.sock = os.path.join(self.dir, "ldapi")
        self.uri = "ldap://127.0.0.1:%d" % self.port
        self.ldapi_uri = "ldapi://" + urllib.parse.quote(self.sock, safe="")
        self.logpath = os.path.join(self.dir, "slapd.log")
        self.stats = stats
        self.tls = tls
        self.cacert = None
        self.proc = None
        self.loaded = False
        self._write_conf()

    def _write_conf(self):
        tls = ""
        if self.tls:
            self.cacert, key = make_ip_cert(self.dir)
            tls = "TLSCertificateFile %s\nTLSCertificateKeyFile %s\n" % (
                self.cacert, key)
        with open(os.path.join(self.dir, "test.schema"), "w") as f:
            f.write(TEST_SCHEMA)
        with open(os.path.join(self.dir, "slapd.conf"), "w") as f:
            f.write(CONF.format(schemas=SCHEMAS, dir=self.dir,
                                modules=MODULES, suffix=SUFFIX,
                                rootdn=ROOTDN, rootpw=ROOTPW, binddn=BINDDN,
                                tls=tls))

    def start(self):
        """Starts slapd (again, over the same database) and waits until it
        answers on both its TCP port and its ldapi socket."""
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.log = open(self.logpath, "ab")
        argv = [SLAPD, "-f", os.path.join(self.dir, "slapd.conf"),
                "-h", "%s/ %s" % (self.uri, self.ldapi_uri),
                "-d", "stats" if self.stats else "0"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        try:
            buzontest.wait_for(self._ready, 15, "slapd start")
        except TimeoutError:
            self.stop()
            raise TimeoutError("slapd did not start:\n" + self.logtext())
        if not self.loaded:
            self.add(BASE_LDIF.format(suffix=SUFFIX, people=PEOPLE,
                                      binddn=BINDDN, bindpw=BINDPW))
            self.loaded = True
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("slapd exited %d:\n%s" %
                               (self.proc.returncode, self.logtext()))
        if not os.path.exists(self.sock):
            return False
        try:
            socket.create_connection(("127.0.0.1", self.port), 1).close()
            return True
        except OSError:
            return False

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s; the process is reaped."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.resume()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()

    def pause(self):
        """SIGSTOP: connections are accepted by the kernel, never
        answered, as by a hung server.  kill(2) returns before every
        thread has stopped: wait until /proc says so."""
        self.proc.send_signal(signal.SIGSTOP)
        buzontest.wait_for(self._stopped, 5, "slapd stop")

    def _stopped(self):
        """Every thread of slapd in state T (stopped)."""
        task = "/proc/%d/task" % self.proc.pid
        for tid in os.listdir(task):
            with open(os.path.join(task, tid, "stat")) as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "T":
                    return False
        return True

    def resume(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)

    def logtext(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- clients ---

    def _tool(self, tool, ldif, extra=()):
        r = subprocess.run([tool, "-x", "-H", self.uri, "-D", ROOTDN, "-w",
                            ROOTPW] + list(extra), input=ldif, text=True,
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("%s: %s\n%s" % (tool, r.stderr, ldif))
        return r.stdout

    def add(self, ldif):
        return self._tool("ldapadd", ldif)

    def modify(self, ldif):
        return self._tool("ldapmodify", ldif)

    def authldaprc(self, path, text):
        """Writes an authldaprc for this server: text with {uri} and
        {ldapi} filled in, mode 0640 (it holds LDAP_BINDPW)."""
        with open(path, "w") as f:
            f.write(text.format(uri=self.uri, ldapi=self.ldapi_uri,
                                port=self.port, cacert=self.cacert or ""))
        os.chmod(path, 0o640)
        return path


def make_ip_cert(d):
    """A self-signed EC certificate for 127.0.0.1 and localhost."""
    cert, key = os.path.join(d, "ldap-cert.pem"), os.path.join(d,
                                                               "ldap-key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout", key, "-out", cert], check=True,
                       capture_output=True, timeout=60)
        os.chmod(key, 0o600)
        os.chmod(cert, 0o644)
    return cert, key


def available():
    """None when slapd and its tools are here, else why not."""
    for tool in (SLAPD, shutil.which("ldapadd"), shutil.which("mkpasswd")):
        if not tool or not os.access(tool, os.X_OK):
            return "slapd, ldap-utils or mkpasswd missing (mk/deps)"
    if not os.path.exists(os.path.join(MODULES, "back_mdb.so")):
        return "slapd's back_mdb module missing"
    return None


def wait_gone(pid, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False
