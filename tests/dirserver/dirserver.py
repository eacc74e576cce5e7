#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A test central directory for prov: SCIM 2.0 and prov directory documents
over real HTTP and HTTPS on loopback, with fault modes switchable at run
time through an admin listener. Python 3 standard library only.

    dirserver.py gencerts DIR          make a test CA and server certificates
    dirserver.py serve [options]       run (see README.md and --help)

On start, `serve` prints one JSON line with the ports it listens on, e.g.
{"http": 40001, "https": 40002, "https_wronghost": 40003,
 "https_selfsigned": 40004, "admin": 40005, "pid": 1234}
"""

import argparse
import base64
import copy
import email.utils
import gzip
import hashlib
import http.server
import json
import os
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
POSIX_USER = "urn:ietf:params:scim:schemas:extension:posix:2.0:User"
POSIX_GROUP = "urn:ietf:params:scim:schemas:extension:posix:2.0:Group"
SCIM_PREFIXES = ("/scim/v2", "/v2", "/scim")

FAULT_MODES = {
    "none", "refuse", "hang", "status", "http500", "http429", "http503",
    "garbage", "truncate", "missing_page", "wrong_total", "empty_users",
    "oversize", "gzip_bomb", "redirect", "overlap", "shift", "stuck",
    "ignore_count", "short_pages", "active_strings", "forbidden",
    "unauthorized", "churn", "mixed_case",
}


# --------------------------------------------------------------------------
# certificates


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _pin_of(cert, cwd):
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"],
                         cwd=cwd, check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"],
                         input=pub, check=True, capture_output=True).stdout
    return "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def gencerts(d):
    """ca.pem/ca.key, server.pem/.key (127.0.0.1, localhost, signed by the
    CA), wronghost.pem/.key (wrong.example, signed by the CA),
    selfsigned.pem/.key (127.0.0.1, localhost, its own issuer), and the
    public-key pins server.pin / selfsigned.pin."""
    os.makedirs(d, exist_ok=True)
    cnf = os.path.join(d, "openssl.cnf")
    with open(cnf, "w") as f:
        f.write("[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = x\n"
                "[ca]\nbasicConstraints = critical,CA:TRUE\n"
                "keyUsage = critical,keyCertSign,cRLSign\n"
                "subjectKeyIdentifier = hash\n"
                "[good]\nbasicConstraints = CA:FALSE\n"
                "keyUsage = critical,digitalSignature\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectAltName = IP:127.0.0.1,DNS:localhost\n"
                "[wrong]\nbasicConstraints = CA:FALSE\n"
                "keyUsage = critical,digitalSignature\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectAltName = DNS:wrong.example\n")
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-config", "openssl.cnf", "-x509", *key, "-keyout", "ca.key",
             "-out", "ca.pem", "-days", "3650", "-subj", "/CN=prov test CA",
             "-extensions", "ca", cwd=d)
    for name, ext, cn in (("server", "good", "127.0.0.1"),
                          ("wronghost", "wrong", "wrong.example")):
        _openssl("req", "-config", "openssl.cnf", *key, "-keyout", name + ".key",
                 "-out", name + ".csr", "-subj", "/CN=" + cn, cwd=d)
        _openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                 "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem",
                 "-days", "3650", "-extfile", "openssl.cnf", "-extensions", ext,
                 cwd=d)
    _openssl("req", "-config", "openssl.cnf", "-x509", *key, "-keyout",
             "selfsigned.key", "-out", "selfsigned.pem", "-days", "3650",
             "-subj", "/CN=127.0.0.1", "-extensions", "good", cwd=d)
    for name in ("server", "selfsigned"):
        with open(os.path.join(d, name + ".pin"), "w") as f:
            f.write(_pin_of(name + ".pem", d) + "\n")


# --------------------------------------------------------------------------
# state


class State:
    """Everything the tests can change at run time, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.token = None
        self.users = []
        self.groups = []
        self.document = None
        self.document_etag = None
        self.document_mtime = 0.0
        self.max_page = None        # server-side cap on count
        self.gzip = False           # compress normal responses on request
        self.fault = {"mode": "none"}
        self.fault_seen = 0         # matching requests seen since set
        self.fault_applied = 0
        self.log = []
        self.shift_done = False
        self.bombs = {}
        self.churn_reset()

    def churn_reset(self):
        self.churn_pulls = 0        # pulls of the churned list started
        self.churn_pages = 0        # pages of the current pull served
        self.churn_base = None      # the list as it was before the first
        self.churn_victim = None    # the resource the op moves / deletes

    def set_document(self, data):
        self.document = data
        self.document_etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        self.document_mtime = float(int(time.time()))

    def take_fault(self, path):
        """The fault to apply to this request, or None (counts 'after' and
        'times')."""
        f = self.fault
        if f.get("mode", "none") == "none":
            return None
        paths = f.get("paths")
        if paths and not any(path.startswith(p) for p in paths):
            return None
        self.fault_seen += 1
        if self.fault_seen <= int(f.get("after", 0)):
            return None
        times = int(f.get("times", -1))
        if times >= 0 and self.fault_applied >= times:
            return None
        self.fault_applied += 1
        return dict(f)


def gen_users(n, posix, keys, start=0):
    out = []
    for i in range(start, start + n):
        u = {
            "schemas": [USER_SCHEMA],
            "id": "%08x-0000-4000-8000-%012d" % (i * 2654435761 % 2**32, i),
            "userName": "user%06d" % i,
            "displayName": "Test User %d" % i,
            "name": {"givenName": "Test", "familyName": "User %d" % i},
            "active": True,
        }
        ext = {}
        if posix:
            ext.update({"uidNumber": 100000 + i, "gidNumber": 100000 + i})
        ext["loginShell"] = "/bin/bash"
        ext["homeDirectory"] = "/home/user%06d" % i
        if keys:
            ext["sshPublicKey"] = [{"value": "ssh-ed25519 %s user%d" % (test_key(i), i)}]
        u[POSIX_USER] = ext
        u["schemas"].append(POSIX_USER)
        out.append(u)
    return out


def test_key(i):
    """A well-formed ed25519 public key blob, unique per user (provd parses
    keys: type, then a 32-byte key)."""
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + (b"%032d" % i)
    return base64.b64encode(blob).decode()


def gen_groups(n, users, per_group, posix):
    out = []
    for g in range(n):
        members = []
        if users:
            for k in range(per_group):
                u = users[(g * per_group + k) % len(users)]
                members.append({"value": u["id"], "type": "User", "display": u["userName"]})
        grp = {"schemas": [GROUP_SCHEMA], "id": "g-%08d" % g,
               "displayName": "group%05d" % g, "members": members}
        if posix:
            grp[POSIX_GROUP] = {"gidNumber": 300000 + g}
            grp["schemas"].append(POSIX_GROUP)
        out.append(grp)
    return out


def recase(v, how):
    """Every attribute name (keys, URNs included) spelled otherwise: swap
    (userName -> USERnAME), upper or lower; values unchanged. RFC 7643
    section 2.1 makes them all the same name."""
    if isinstance(v, list):
        return [recase(x, how) for x in v]
    if not isinstance(v, dict):
        return v
    f = {"swap": str.swapcase, "upper": str.upper, "lower": str.lower}[how]
    return {f(k): recase(x, how) for k, x in v.items()}


def gzip_bomb(size):
    """gzip of `size` zero bytes (about 1000:1), made once per size."""
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    parts = []
    left = size
    while left > 0:
        n = min(left, len(chunk))
        parts.append(co.compress(chunk[:n]))
        left -= n
    parts.append(co.flush())
    return b"".join(parts)


# --------------------------------------------------------------------------
# data listeners


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "prov-dirserver/1"

    def log_message(self, fmt, *args):  # quiet: tests read /log instead
        pass

    @property
    def st(self):
        return self.server.state

    def _record(self):
        h = self.headers
        entry = {
            "listener": self.server.name,
            "method": self.command,
            "path": self.path,
            "host": h.get("Host"),
            "authorization": h.get("Authorization"),
            "if_none_match": h.get("If-None-Match"),
            "if_modified_since": h.get("If-Modified-Since"),
            "accept_encoding": h.get("Accept-Encoding"),
            "user_agent": h.get("User-Agent"),
            "time": time.time(),
        }
        with self.st.lock:
            self.st.log.append(entry)

    def _send(self, code, body=b"", ctype="application/scim+json", headers=None):
        gz = False
        if (code == 200 and body and self.st.gzip
                and "gzip" in (self.headers.get("Accept-Encoding") or "")):
            body = gzip.compress(body)
            gz = True
        self.send_response(code)
        if body or code not in (204, 304):
            self.send_header("Content-Type", ctype)
        if gz:
            self.send_header("Content-Encoding", "gzip")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if code != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _scim_error(self, code, detail, headers=None):
        body = json.dumps({"schemas": [ERROR_SCHEMA], "status": str(code),
                           "detail": detail}).encode()
        self._send(code, body, headers=headers)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self._record()
        self._serve(True)

    def _serve(self, faults):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        for p in SCIM_PREFIXES:
            if path.startswith(p + "/"):
                path = path[len(p):]
                break
        query = urllib.parse.parse_qs(url.query)
        with self.st.lock:
            fault = self.st.take_fault(path) if faults else None
            token = self.st.token
        if fault and self._early_fault(fault, path):
            return
        if token is not None and path != "/ServiceProviderConfig":
            if self.headers.get("Authorization") != "Bearer " + token:
                self._scim_error(401, "bad or missing bearer token",
                                 {"WWW-Authenticate": 'Bearer realm="prov-test"'})
                return
        if path == "/ServiceProviderConfig":
            self._spconfig()
        elif path in ("/Users", "/Groups"):
            self._list(path, query, fault)
        elif path.startswith("/Users/") or path.startswith("/Groups/"):
            self._one(path)
        elif path == "/directory.json":
            self._document(fault)
        elif path.startswith("/redirected/"):
            # target of a same-origin redirect: serve the real path
            self.path = self.path[len("/redirected"):]
            self._serve(False)
        else:
            self._scim_error(404, "no such resource")

    # Faults that replace the response entirely. True when handled.
    def _early_fault(self, f, path):
        mode = f["mode"]
        if mode == "hang":
            self.server.stopping.wait(float(f.get("hang_s", 30)))
            self.close_connection = True
            return True
        if mode in ("status", "http500", "http429", "http503", "forbidden", "unauthorized"):
            code = {"http500": 500, "http429": 429, "http503": 503, "forbidden": 403,
                    "unauthorized": 401}.get(mode) or int(f.get("code", 500))
            hdrs = {}
            ra = f.get("retry_after", 7 if code in (429, 503) else None)
            if ra is not None:
                hdrs["Retry-After"] = str(ra)
            self._scim_error(code, "fault mode " + mode, hdrs)
            return True
        if mode == "garbage":
            self._send(200, b'{"schemas": ["' + LIST_SCHEMA.encode() + b'"], "Resources": [ {,,, not json')
            return True
        if mode == "oversize":
            self._oversize(int(f.get("bytes", 80 << 20)), bool(f.get("declare_length", False)))
            return True
        if mode == "gzip_bomb":
            size = int(f.get("bytes", 256 << 20))
            with self.st.lock:
                bomb = self.st.bombs.get(size)
            if bomb is None:
                bomb = gzip_bomb(size)
                with self.st.lock:
                    self.st.bombs[size] = bomb
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(bomb)))
            self.end_headers()
            self._write_quietly(bomb)
            return True
        if mode == "redirect":
            loc = f.get("location")
            if not loc:
                port = self.server.server_address[1]
                scheme = "https" if self.server.tls else "http"
                loc = "%s://localhost:%d%s" % (scheme, port, self.path)
            elif loc.startswith("/"):
                loc = loc + self.path
            self.send_response(int(f.get("code", 302)))
            self.send_header("Location", loc)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        return False

    def _write_quietly(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            pass  # the client gave up (size cap): expected
        self.close_connection = True

    def _oversize(self, size, declare):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if declare:
            self.send_header("Content-Length", str(size))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        head = b'{"prov_directory": 1, "pad": "'
        chunk = b"x" * 65536
        try:
            self.wfile.write(head)
            sent = len(head)
            while sent < size - 2:
                n = min(len(chunk), size - 2 - sent)
                self.wfile.write(chunk[:n])
                sent += n
            self.wfile.write(b'"}')
        except OSError:
            pass
        self.close_connection = True

    def _spconfig(self):
        with self.st.lock:
            max_page = self.st.max_page
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": False},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": max_page or 1000},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token",
                                       "description": "bearer token", "primary": True}],
        }
        self._send(200, json.dumps(body).encode())

    def _list(self, path, query, fault):
        mode = fault["mode"] if fault else "none"
        try:
            start = int(query.get("startIndex", ["1"])[0])
            count = int(query["count"][0]) if "count" in query else None
        except ValueError:
            self._scim_error(400, "bad startIndex or count")
            return
        if start < 1:
            start = 1
        if count is not None and count < 0:
            count = 0
        with self.st.lock:
            if mode == "churn":
                self._churn(fault, path, start)
            items = self.st.users if path == "/Users" else self.st.groups
            if mode == "shift" and path == "/Users" and start > 1 and not self.st.shift_done:
                # a user created mid-sync lands in front: pages shift
                items.insert(0, gen_users(1, False, False, start=900000 + len(items))[0])
                self.st.shift_done = True
            max_page = self.st.max_page
            if max_page is not None and (count is None or count > max_page):
                count = max_page
            if mode == "ignore_count":
                count = None
            if mode == "short_pages" and (count is None or count > int(fault.get("max", 3))):
                count = int(fault.get("max", 3))
            if mode == "empty_users" and path == "/Users":
                items = []
            total = len(items)
            echo_start = start
            if mode == "stuck":
                start = echo_start = 1
            first = start - 1
            if mode == "overlap" and start > 1:
                first = start - 2
            # copy only the page: the data may change once the lock is gone
            page = items[first:] if count is None else items[first:first + count]
            page = copy.deepcopy(page) if mode == "active_strings" else list(page)
            if mode == "missing_page" and start > 1:
                page = []
            if mode == "wrong_total":
                total += int(fault.get("delta", 5))
            if mode == "active_strings":
                for u in page:
                    if "active" in u:
                        u["active"] = "True" if u["active"] else "False"
            body = {"schemas": [LIST_SCHEMA], "totalResults": total,
                    "startIndex": echo_start, "itemsPerPage": len(page), "Resources": page}
            if mode == "mixed_case":
                body = recase(body, fault.get("case", "swap"))
            # serialised under the lock: admin ops may change these dicts
            data = json.dumps(body).encode()
        if mode == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/scim+json")
            self.send_header("Content-Length", str(len(data) + 1000))
            self.end_headers()
            self._write_quietly(data[:len(data) // 2])
            return
        self._send(200, data)

    def _one(self, path):
        """GET /Users/<id> (RFC 7644 3.4.1): the resource, or 404."""
        kind, _, rid = path[1:].partition("/")
        rid = urllib.parse.unquote(rid)
        with self.st.lock:
            items = self.st.users if kind == "Users" else self.st.groups
            found = [x for x in items if x.get("id") == rid]
            data = json.dumps(found[0]).encode() if found else None
        if data is None:
            self._scim_error(404, "no such resource")
        else:
            self._send(200, data)

    def _churn(self, f, path, start):
        """The list changes between page `page` and the next of one pull,
        in each of the first `pulls` pulls (a pull starts at startIndex=1);
        then it holds still, changed. op: delete (a resource of the pages
        already served: `id`, default the first), insert (a new resource in
        front), reorder (the first resource of the next page moves to the
        front). Called under the lock."""
        st = self.st
        kind = (f.get("paths") or ["/Users"])[0]
        if path != kind:
            return
        attr = "users" if kind == "/Users" else "groups"
        if start == 1:
            st.churn_pages = 0
            if st.churn_pulls < int(f.get("pulls", 1)):
                if st.churn_base is None:
                    st.churn_base = list(getattr(st, attr))
                # every churned pull starts from the same list
                setattr(st, attr, list(st.churn_base))
            st.churn_pulls += 1
        st.churn_pages += 1
        if st.churn_pulls > int(f.get("pulls", 1)) or st.churn_pages != int(f.get("page", 1)) + 1:
            return
        items = getattr(st, attr)
        op = f.get("op", "delete")
        if op == "delete":
            i = self._find(items, f["id"]) if "id" in f else 0
            del items[i]
        elif op == "insert":
            new = f.get("resource")
            if new is None:
                new = gen_users(1, False, False, start=900000)[0] if kind == "/Users" else \
                    {"schemas": [GROUP_SCHEMA], "id": "g-churn", "displayName": "churngroup", "members": []}
            items.insert(0, copy.deepcopy(new))
        elif op == "swap":
            # one deleted from the pages served, one created at the end:
            # the total holds, the next pages shift, one user goes unseen
            i = self._find(items, f["id"]) if "id" in f else 0
            del items[i]
            new = f.get("resource") or gen_users(1, False, False, start=900001)[0]
            items.append(copy.deepcopy(new))
        elif op == "reorder":
            if start - 1 < len(items):
                items.insert(0, items.pop(start - 1))
        else:
            raise ValueError("unknown churn op " + op)

    @staticmethod
    def _find(items, rid):
        for i, x in enumerate(items):
            if x.get("id") == rid:
                return i
        raise KeyError("no resource with id %s" % rid)

    def _document(self, fault):
        mode = fault["mode"] if fault else "none"
        with self.st.lock:
            doc, etag, mtime = self.st.document, self.st.document_etag, self.st.document_mtime
        if doc is None:
            self._scim_error(404, "no document loaded")
            return
        if mode == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(doc) + 1000))
            self.end_headers()
            self._write_quietly(doc[:len(doc) // 2])
            return
        lm = email.utils.formatdate(mtime, usegmt=True)
        hdrs = {"ETag": etag, "Last-Modified": lm}
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            if etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*":
                self._send(304, headers=hdrs)
                return
        elif ims is not None:
            try:
                when = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                when = None
            if when is not None and mtime <= when:
                self._send(304, headers=hdrs)
                return
        self._send(200, doc, ctype="application/json", headers=hdrs)


class DataServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, name, state, ctx, stopping):
        self.name = name
        self.state = state
        self.tls = ctx
        self.stopping = stopping
        super().__init__(addr, Handler)

    def process_request_thread(self, request, client_address):
        # The TLS handshake runs here, in the request's own thread, so a
        # client that never finishes it cannot stall the listener.
        if self.tls is not None:
            try:
                request.settimeout(10)
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                try:
                    request.close()
                except OSError:
                    pass
                return
        super().process_request_thread(request, client_address)

    def handle_error(self, request, client_address):
        pass  # broken pipes from clients that hit a cap are expected


# --------------------------------------------------------------------------
# admin listener


class AdminHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        app = self.server.app
        st = app.state
        with st.lock:
            if self.path == "/log":
                self._reply(200, st.log)
            elif self.path == "/state":
                self._reply(200, {"fault": st.fault, "token": st.token,
                                  "users": len(st.users), "groups": len(st.groups),
                                  "max_page": st.max_page, "gzip": st.gzip,
                                  "document_etag": st.document_etag,
                                  "fault_applied": st.fault_applied})
            elif self.path == "/users":
                self._reply(200, st.users)
            elif self.path == "/groups":
                self._reply(200, st.groups)
            elif self.path == "/ports":
                self._reply(200, app.ports)
            else:
                self._reply(404, {"error": "no such admin path"})

    def do_PUT(self):
        self.do_POST()

    def do_POST(self):
        app = self.server.app
        st = app.state
        raw = self._body()
        if self.path == "/document":
            with st.lock:
                st.set_document(raw)
                etag = st.document_etag
            self._reply(200, {"etag": etag})
            return
        try:
            req = json.loads(raw or b"{}")
        except ValueError as e:
            self._reply(400, {"error": "bad JSON: %s" % e})
            return
        try:
            out = self._apply(app, st, req)
        except (KeyError, ValueError, TypeError, IndexError) as e:
            self._reply(400, {"error": "%s: %s" % (type(e).__name__, e)})
            return
        self._reply(200, out)

    def _apply(self, app, st, req):
        p = self.path
        if p == "/fault":
            mode = req.get("mode", "none")
            if mode not in FAULT_MODES:
                raise ValueError("unknown fault mode " + mode)
            with st.lock:
                st.fault = req
                st.fault_seen = st.fault_applied = 0
                st.shift_done = False
                st.churn_reset()
            app.set_refused(mode == "refuse")
            return {"fault": req}
        if p == "/config":
            with st.lock:
                if "token" in req:
                    st.token = req["token"]
                if "max_page" in req:
                    st.max_page = req["max_page"]
                if "gzip" in req:
                    st.gzip = bool(req["gzip"])
            return {"ok": True}
        if p == "/users":
            with st.lock:
                st.users = list(req["users"])
            return {"users": len(req["users"])}
        if p == "/groups":
            with st.lock:
                st.groups = list(req["groups"])
            return {"groups": len(req["groups"])}
        if p == "/generate":
            users = gen_users(int(req.get("users", 0)), bool(req.get("posix", True)),
                              bool(req.get("keys", False)))
            groups = gen_groups(int(req.get("groups", 0)), users,
                                int(req.get("members_per_group", 10)), bool(req.get("posix", True)))
            with st.lock:
                st.users, st.groups = users, groups
            return {"users": len(users), "groups": len(groups)}
        if p == "/op":
            return self._op(st, req)
        if p == "/log/clear":
            with st.lock:
                st.log = []
            return {"ok": True}
        if p == "/shutdown":
            threading.Thread(target=app.shutdown, daemon=True).start()
            return {"ok": True}
        raise KeyError("no such admin path " + p)

    @staticmethod
    def _find(items, rid):
        for i, x in enumerate(items):
            if x.get("id") == rid:
                return i
        raise KeyError("no resource with id %s" % rid)

    def _op(self, st, req):
        op = req["op"]
        with st.lock:
            if op == "add_user":
                st.users.append(req["user"])
            elif op == "add_group":
                st.groups.append(req["group"])
            elif op == "delete_user":
                del st.users[self._find(st.users, req["id"])]
            elif op == "delete_group":
                del st.groups[self._find(st.groups, req["id"])]
            elif op == "deactivate":
                st.users[self._find(st.users, req["id"])]["active"] = False
            elif op == "activate":
                st.users[self._find(st.users, req["id"])]["active"] = True
            elif op == "patch_user":
                st.users[self._find(st.users, req["id"])].update(req["set"])
            elif op == "patch_group":
                st.groups[self._find(st.groups, req["id"])].update(req["set"])
            else:
                raise ValueError("unknown op " + op)
            return {"users": len(st.users), "groups": len(st.groups)}


class AdminServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# --------------------------------------------------------------------------
# the application


class App:
    def __init__(self, args):
        self.state = State()
        self.stopping = threading.Event()
        self.args = args
        self.contexts = {"http": None}
        if args.certs:
            for name, base in (("https", "server"), ("https_wronghost", "wronghost"),
                               ("https_selfsigned", "selfsigned")):
                pem = os.path.join(args.certs, base + ".pem")
                if os.path.exists(pem):
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                    ctx.load_cert_chain(pem, os.path.join(args.certs, base + ".key"))
                    self.contexts[name] = ctx
        self.servers = {}
        self.threads = {}
        self.ports = {}
        self.refused = False
        self.refuse_lock = threading.Lock()

    def _start(self, name, port):
        srv = DataServer(("127.0.0.1", port), name, self.state, self.contexts[name], self.stopping)
        t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        t.start()
        self.servers[name] = srv
        self.threads[name] = t
        self.ports[name] = srv.server_address[1]

    def start(self):
        for name in self.contexts:
            port = self.args.port if name == "http" and self.args.port else 0
            self._start(name, port)
        admin = AdminServer(("127.0.0.1", self.args.admin_port or 0), AdminHandler)
        admin.app = self
        self.admin = admin
        self.ports["admin"] = admin.server_address[1]
        self.ports["pid"] = os.getpid()

    def set_refused(self, refused):
        """refuse: close the data listeners (connections are refused);
        leaving the mode listens again on the same ports."""
        with self.refuse_lock:
            if refused == self.refused:
                return
            if refused:
                for srv in self.servers.values():
                    srv.shutdown()
                    srv.server_close()
            else:
                for name in list(self.servers):
                    self._start(name, self.ports[name])
            self.refused = refused

    def shutdown(self):
        self.stopping.set()
        self.admin.shutdown()

    def run(self):
        try:
            self.admin.serve_forever(poll_interval=0.1)
        finally:
            self.stopping.set()
            for srv in self.servers.values():
                try:
                    srv.shutdown()
                    srv.server_close()
                except OSError:
                    pass


def load_state_file(st, path):
    with open(path) as f:
        s = json.load(f)
    st.token = s.get("token")
    st.users = s.get("users", [])
    st.groups = s.get("groups", [])
    st.max_page = s.get("max_page")
    st.gzip = bool(s.get("gzip", False))
    if "fault" in s:
        st.fault = s["fault"]
    if "document_file" in s:
        with open(s["document_file"], "rb") as f:
            st.set_document(f.read())
    elif "document" in s:
        doc = s["document"]
        st.set_document(doc.encode() if isinstance(doc, str) else json.dumps(doc).encode())


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gencerts", help="make the test CA and certificates in DIR")
    g.add_argument("dir")
    s = sub.add_parser("serve", help="run the server")
    s.add_argument("--port", type=int, default=0, help="plain HTTP port (default: any free one)")
    s.add_argument("--admin-port", type=int, default=0)
    s.add_argument("--certs", help="directory made by gencerts: enables the HTTPS listeners")
    s.add_argument("--state", help="JSON state file to start from (see README.md)")
    s.add_argument("--token", help="require this bearer token")
    s.add_argument("--document", help="serve this file at /directory.json")
    s.add_argument("--generate", type=int, default=0, help="start with N generated users")
    s.add_argument("--ports-file", help="also write the ports JSON here")
    a = ap.parse_args(argv)

    if a.cmd == "gencerts":
        gencerts(a.dir)
        return 0

    app = App(a)
    if a.state:
        load_state_file(app.state, a.state)
    if a.token:
        app.state.token = a.token
    if a.document:
        with open(a.document, "rb") as f:
            app.state.set_document(f.read())
    if a.generate:
        app.state.users = gen_users(a.generate, True, False)
    app.start()
    line = json.dumps(app.ports)
    if a.ports_file:
        tmp = a.ports_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.rename(tmp, a.ports_file)
    print(line, flush=True)
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
