"""smtpd-lite with the real mailqueue and maildeliver: what a client
sends lands in the recipient's Maildir, once, with smtpd-lite's
Received: header only; refused and smuggled messages land nowhere;
a relayed message stays in the queue."""

import os
import smtplib
import time

import pytest

import buzontest
from smtpdwire import (CLIENT, DOMAIN, HOST, MAIL_UID, Mailqueue, Raw,
                       client_tls, mail_ids, maildir_messages, make_home,
                       mkhash, passwd_line, smtpd_env, wait_for_messages)

pytestmark = pytest.mark.skipif(
    not os.access(os.path.join(buzontest.BIN, "mailqueue"), os.X_OK),
    reason="mailqueue is not built")


def users(e):
    """ana and bob, with Maildirs in the test directory."""
    e.home = {u: make_home(e.dir, u) for u in ("ana", "bob")}
    uid, gid = mail_ids()
    return [passwd_line(u, mkhash(u + "-pw"), uid, gid, home=h,
                        maildir=os.path.join(h, "Maildir"))
            for u, h in e.home.items()]


def mailqueue(e):
    return Mailqueue(e.dir, e.authd.sock, e.domains).start()


@pytest.fixture(scope="module")
def env():
    with smtpd_env("buzon-smtpd-queue-", "%s\n%s\n" % (DOMAIN, HOST), users,
                   mailqueue) as e:
        yield e


@pytest.fixture(autouse=True)
def claim(env):
    yield
    env.smtpd.claim_sanitizer()


def count(env, user):
    return len(maildir_messages(env.home[user]))


def test_delivered_once_with_our_received(env):
    n = count(env, "ana")
    c = smtplib.SMTP("127.0.0.1", env.smtpd.port["smtp"],
                     local_hostname=CLIENT, timeout=30)
    c.starttls(context=client_tls())
    c.ehlo()
    c.mail("sender@b.example")
    assert c.rcpt("ana@example.org")[0] == 250
    code, text = c.data(b"Subject: e2e\r\n\r\nhello\r\n.dot\r\n")
    assert code == 250 and text.startswith(b"2.0.0 Ok: queued as "), text
    qid = text.split()[-1].decode()
    c.quit()
    msgs = wait_for_messages(env.home["ana"], n + 1)
    m = msgs[-1] if n == 0 else [x for x in msgs if b"e2e" in x][0]
    assert m.count(b"\nReceived: ") + m.startswith(b"Received: ") == 1
    assert b"by %s (smtpd-lite) with ESMTPS" % HOST.encode() in m
    assert b"from %s ([127.0.0.1])" % CLIENT.encode() in m
    assert m.endswith(b"\nhello\n.dot\n") or m.endswith(b"\r\nhello\r\n"
                                                        b".dot\r\n")
    env.smtpd.wait_log("event=message queue_id=%s" % qid)


def test_pipelined_messages_and_recipients(env):
    a, b = count(env, "ana"), count(env, "bob")
    r = Raw(env.smtpd.port["smtp"])
    assert r.reply().code == 220
    r.send(b"EHLO " + CLIENT.encode() + b"\r\nMAIL FROM:<>\r\n"
           b"RCPT TO:<ana@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
           b"RCPT TO:<nosuch@example.org>\r\nDATA\r\n")
    assert [r.reply().code for _ in range(6)] == [250, 250, 250, 250, 550,
                                                  354]
    r.send(b"Subject: both\r\n\r\nto two\r\n.\r\nQUIT\r\n")
    code, text = r.reply()
    assert code == 250, text
    assert r.reply().code == 221
    wait_for_messages(env.home["ana"], a + 1)
    wait_for_messages(env.home["bob"], b + 1)


@pytest.mark.parametrize("smuggle", [b"\n.\n", b"\n.\r\n", b"\r.\r\n"])
def test_smuggling_lands_nowhere(env, smuggle):
    a, b = count(env, "ana"), count(env, "bob")
    r = Raw(env.smtpd.port["smtp"])
    assert r.reply().code == 220
    r.send(b"EHLO x.example\r\nMAIL FROM:<a@b.example>\r\n"
           b"RCPT TO:<ana@example.org>\r\nDATA\r\n")
    assert [r.reply().code for _ in range(4)] == [250, 250, 250, 354]
    r.send(b"Subject: outer\r\n\r\nx" + smuggle +
           b"MAIL FROM:<evil@b.example>\r\nRCPT TO:<bob@example.org>\r\n"
           b"DATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n")
    code, text = r.reply()
    assert code == 550 and text.startswith("5.6.2"), text
    assert r.cmd("QUIT").code == 221
    # a good message afterwards is the only one that arrives
    c = smtplib.SMTP("127.0.0.1", env.smtpd.port["smtp"],
                     local_hostname=CLIENT, timeout=30)
    c.sendmail("a@b.example", ["ana@example.org"],
               b"Subject: after\r\n\r\nok\r\n")
    c.quit()
    wait_for_messages(env.home["ana"], a + 1)
    time.sleep(0.3)
    msgs = maildir_messages(env.home["ana"])
    assert len(msgs) == a + 1 and count(env, "bob") == b
    assert not any(b"smuggled" in m or b"outer" in m for m in msgs)


def test_relay_for_authenticated_stays_queued(env):
    c = smtplib.SMTP("127.0.0.1", env.smtpd.port["submission"],
                     local_hostname=CLIENT, timeout=30)
    c.starttls(context=client_tls())
    c.login("ana", "ana-pw")
    c.sendmail("ana@example.org", ["far@remote.example"],
               b"Subject: away\r\n\r\nfar\r\n")
    c.quit()
    buzontest.wait_for(lambda: any("far@remote.example" in e
                                   for e in env.queue.envelopes()), 10,
                       "the relayed message in the queue")


def test_refused_message_leaves_nothing(env):
    a = count(env, "ana")
    r = Raw(env.smtpd.port["smtp"])
    assert r.reply().code == 220
    r.send(b"EHLO x.example\r\nMAIL FROM:<a@b.example>\r\n"
           b"RCPT TO:<ana@example.org>\r\nDATA\r\n")
    assert [r.reply().code for _ in range(4)] == [250, 250, 250, 354]
    r.send(b"Subject: nul\r\n\r\na\0b\r\n.\r\n")
    assert r.reply().code == 550
    r.close()
    time.sleep(0.5)
    assert count(env, "ana") == a
    tmp = os.path.join(env.queue.queue, "tmp")
    buzontest.wait_for(lambda: not os.path.isdir(tmp) or
                       os.listdir(tmp) == [], 10, "queue tmp/ empty")
    _ = MAIL_UID
