#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz_wire (tests/fuzz/corpus/wire/): a few
valid reply frames of include/prov/protocol.h, host byte order (little
endian here). Run it again after a protocol change; the files are small
and committed."""
import os
import struct
import sys

MAGIC, VERSION = 0x31565250, 1
PW_BY_NAME, PW_BY_UID, GR_BY_NAME, GR_BY_GID, INITGROUPS, PW_ENUM, GR_ENUM, STATUS = range(1, 9)
END = 0xFFFFFFFF


def u32(v):
    return struct.pack("<I", v)


def s(text):
    b = text.encode()
    return u32(len(b)) + b


def frame(op, body, status=0):
    return struct.pack("<IHHII", MAGIC, VERSION, op, status, len(body)) + body


def passwd(name, uid, gecos="", home=None, shell="/bin/bash"):
    return s(name) + u32(uid) + u32(uid) + s(gecos) + s(home or "/home/" + name) + s(shell)


def group(name, gid, members):
    return s(name) + u32(gid) + u32(len(members)) + b"".join(s(m) for m in members)


SEEDS = {
    "pw_by_name": frame(PW_BY_NAME, passwd("alice", 20001, "Alice Liddell")),
    "pw_by_uid": frame(PW_BY_UID, passwd("user20001", 20001)),
    "pw_body_only": passwd("bob", 20002, "Bob", "/home/bob", "/usr/sbin/nologin"),
    "pw_limits": frame(PW_BY_NAME, passwd("n" * 32, 20003, "g" * 256, "/" + "h" * 254, "/" + "s" * 254)),
    "gr_by_gid": frame(GR_BY_GID, group("ops", 30002, ["alice", "bob", "carol"])),
    "gr_empty": frame(GR_BY_NAME, group("empty", 30003, [])),
    "initgroups": frame(INITGROUPS, u32(4) + u32(20001) + u32(30002) + u32(30003) + u32(30002)),
    "pw_enum": frame(PW_ENUM, u32(3) + u32(3) + b"".join(passwd("u%d" % i, 20100 + i) for i in range(3))),
    "pw_enum_end": frame(PW_ENUM, u32(END) + u32(2) + passwd("x1", 20201) + passwd("x2", 20202)),
    "gr_enum": frame(GR_ENUM, u32(END) + u32(2) + group("g1", 30101, ["a"]) + group("g2", 30102, ["a", "b"])),
    "status": frame(STATUS, u32(2) + s("serial") + s("42") + s("users") + s("3")),
    "not_found": frame(PW_BY_NAME, b"", status=1),
}


def key_blob(*fields):
    """An SSH public key blob (RFC 4251 strings), base64: for fuzz_sshkey."""
    import base64
    return base64.b64encode(b"".join(u32be(len(f)) + f for f in fields)).decode()


def u32be(v):
    return struct.pack(">I", v)


def sshkey_seeds():
    ed = key_blob(b"ssh-ed25519", b"k" * 32)
    ec = key_blob(b"ecdsa-sha2-nistp256", b"nistp256", b"\x04" + b"p" * 64)
    sk = key_blob(b"sk-ssh-ed25519@openssh.com", b"k" * 32, b"ssh:")
    rsa = key_blob(b"ssh-rsa", b"\x01\x00\x01", b"\x00" + b"\xc3" * 256)
    return {
        "ed25519": "ssh-ed25519 %s alice@laptop" % ed,
        "ecdsa": "ecdsa-sha2-nistp256 %s" % ec,
        "sk": "sk-ssh-ed25519@openssh.com %s key" % sk,
        "rsa": "ssh-rsa %s rsa" % rsa,
        "restrict": 'restrict,from="10.0.0.0/8",expiry-time="20301231" ssh-ed25519 %s c' % ed,
        "command": 'command="/bin/sh" ssh-ed25519 %s' % ed,
        "environment": 'environment="LD_PRELOAD=/tmp/x.so" ssh-ed25519 %s' % ed,
        "type_lies": "ecdsa-sha2-nistp256 %s" % ed,
        "free_text": "please let me in",
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "wire")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    if len(sys.argv) <= 1:
        keys = os.path.join(os.path.dirname(__file__), "corpus", "sshkey")
        os.makedirs(keys, exist_ok=True)
        for name, text in sshkey_seeds().items():
            with open(os.path.join(keys, name), "w") as f:
                f.write(text)


if __name__ == "__main__":
    main()
