"""Framed binary protocols in Python: authd's (lib/authproto.h) and the
queue socket's (lib/queueproto.h) share one shape, a header of version,
type and payload length followed by tag-length-value fields, and differ
only in the width of the length and of integer values."""

import socket
import struct


def read_exact(s, n):
    """n bytes from socket s, or None when it closes first."""
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class Layout:
    """One protocol: header is the struct format of version, type and
    length; tags maps field names to tags; the fields named in ints carry
    integers packed as intfmt."""

    def __init__(self, header, tags, ints, intfmt, version=1):
        self.header = header
        self.hsize = struct.calcsize(header)
        self.tags = tags
        self.names = {v: k for k, v in tags.items()}
        self.ints = ints
        self.intfmt = intfmt
        self.version = version

    def field(self, name, value):
        """A name (or a raw tag) and a str, bytes or int value."""
        tag = self.tags[name] if isinstance(name, str) else name
        if isinstance(value, int):
            value = struct.pack(self.intfmt, value)
        elif isinstance(value, str):
            value = value.encode()
        return struct.pack(">BH", tag, len(value)) + value

    def frame(self, mtype, payload=b"", version=None, length=None):
        """A frame; version and length may lie, to test the daemon."""
        version = self.version if version is None else version
        n = len(payload) if length is None else length
        return struct.pack(self.header, version, mtype, n) + payload

    def decode(self, payload):
        """{name: value} of a payload's fields."""
        out, off = {}, 0
        while off < len(payload):
            tag, n = struct.unpack(">BH", payload[off:off + 3])
            v = payload[off + 3:off + 3 + n]
            name = self.names[tag]
            out[name] = (struct.unpack(self.intfmt, v)[0]
                         if name in self.ints else v.decode())
            off += 3 + n
        return out

    def read_frame(self, s):
        """(version, type, payload) read from socket s, None at EOF
        before a frame; EOFError when it comes inside one."""
        hdr = read_exact(s, self.hsize)
        if hdr is None:
            return None
        version, mtype, n = struct.unpack(self.header, hdr)
        payload = read_exact(s, n)
        if payload is None:
            raise EOFError("frame cut short")
        return version, mtype, payload

    def read_all(self, s):
        """[(type, fields)] of every frame until the peer closes; a
        reset (it closed on what it had not read) ends them as a close
        does."""
        got = []
        while True:
            try:
                f = self.read_frame(s)
            except ConnectionResetError:
                f = None
            if f is None:
                return got
            version, mtype, payload = f
            assert version == self.version
            got.append((mtype, self.decode(payload)))


class Conn:
    """One client connection on a Unix socket speaking self.LAYOUT."""

    LAYOUT = None
    TIMEOUT = 20.0

    def __init__(self, path, timeout=None):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(self.TIMEOUT if timeout is None else timeout)
        self.s.connect(path)

    def close(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def recv_frame(self):
        """(type, fields), or None at EOF."""
        got = self.LAYOUT.read_frame(self.s)
        if got is None:
            return None
        version, mtype, payload = got
        assert version == self.LAYOUT.version
        return mtype, self.LAYOUT.decode(payload)

    def at_eof(self):
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True

    def request(self, data):
        self.send(data)
        return self.recv_frame()
