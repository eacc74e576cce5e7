#!/usr/bin/env python3
"""Writes a prov directory document for the integration tests and benchmarks.

gen_directory.py OUT N [--hostile] [--sudo-binding M]
  N regular users user00001..userN (uids from 100001), a group per user,
  a 'staff' group holding the first 2000 users (a group bigger than glibc's
  first buffer), and with --hostile a set of entries that must be refused.
  --sudo-binding M adds a binding giving sudo to the users user00001..M by
  name (the costliest sudo group to derive, issue 8).
"""
import json
import sys


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    hostile = "--hostile" in sys.argv
    sudo_n = 0
    if "--sudo-binding" in sys.argv:
        sudo_n = int(sys.argv[sys.argv.index("--sudo-binding") + 1])
    users, groups = [], []
    for i in range(1, n + 1):
        name = "user%05d" % i
        uid = 100000 + i
        users.append({"id": "u%d" % i, "name": name, "uid": uid, "gid": uid,
                      "gecos": "Test User %d" % i, "home": "/home/" + name,
                      "shell": "/bin/sh"})
        groups.append({"id": "g%d" % i, "name": name, "gid": uid, "members": []})
    users.append({"id": "alice", "name": "alice", "uid": 20001, "gid": 20001,
                  "gecos": "Alice Liddell", "home": "/home/alice", "shell": "/bin/sh"})
    groups.append({"id": "g-alice", "name": "alice", "gid": 20001, "members": []})
    groups.append({"id": "g-staff", "name": "staff-prov", "gid": 30000,
                   "members": ["user%05d" % i for i in range(1, min(n, 2000) + 1)] + ["alice"]})
    groups.append({"id": "g-ops", "name": "ops", "gid": 30001, "members": ["alice"]})
    if hostile:
        users += [
            {"name": "root", "uid": 20100, "gid": 20100},            # local name
            {"name": "evil0", "uid": 0, "gid": 0},                   # uid 0
            {"name": "shadowsys", "uid": 1, "gid": 20101},           # below min_id
            {"name": "nobody2", "uid": 65534, "gid": 20102},         # 65534
            {"name": "colon", "uid": 20103, "gid": 20103, "gecos": "a:b"},
            {"name": "newline", "uid": 20104, "gid": 20104, "gecos": "a\nb"},
            {"name": "bad:name", "uid": 20105, "gid": 20105},
            {"name": "dotdot", "uid": 20106, "gid": 20106, "home": "/home/../etc"},
            {"name": "0day", "uid": 20107, "gid": 20107},
        ]
        groups += [
            {"name": "sudo", "gid": 20200, "members": ["alice"]},    # local group name
            {"name": "rootgid", "gid": 0, "members": []},
        ]
    bindings = [{"name": "all", "groups": ["staff-prov"], "grants": ["login"]}]
    if sudo_n:
        bindings.append({"name": "sudo-%d" % sudo_n, "grants": ["sudo"],
                         "users": ["user%05d" % i for i in range(1, min(n, sudo_n) + 1)]})
    doc = {"prov_directory": 1, "serial": 1, "users": users, "groups": groups,
           "bindings": bindings}
    with open(out, "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main()
