"""A module registry on loopback for mlform's tests: the Terraform module registry protocol
(service discovery, versions, download with X-Terraform-Get) over HTTPS, and the archives it
points at.

Modules live under ROOT as NAMESPACE/NAME/PROVIDER/VERSION.tar.gz (served from /archives/),
or NAMESPACE/NAME/PROVIDER/VERSION.location holding any source address (a git URL, say)
that the download answer names instead. Every request is appended to ROOT/requests.log.

Usage: server.py --root DIR --port PORT --cert CERT.pem --key KEY.pem
"""

import argparse
import http.server
import json
import os
import ssl
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    args = ap.parse_args()
    root = os.path.abspath(args.root)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            with open(os.path.join(root, "requests.log"), "a") as f:
                f.write(self.path + "\n")

        def send_json(self, doc):
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def not_found(self):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/.well-known/terraform.json":
                return self.send_json({"modules.v1": "/v1/modules/"})
            if path.startswith("/archives/"):
                rel = os.path.normpath(path[len("/archives/"):])
                full = os.path.join(root, rel)
                if rel.startswith("..") or not os.path.isfile(full):
                    return self.not_found()
                data = open(full, "rb").read()
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if path.startswith("/v1/modules/"):
                parts = path[len("/v1/modules/"):].strip("/").split("/")
                if len(parts) == 4 and parts[3] == "versions":
                    mod_dir = os.path.join(root, *parts[:3])
                    if not os.path.isdir(mod_dir):
                        return self.not_found()
                    versions = sorted(
                        {
                            f.rsplit(".tar.gz", 1)[0].rsplit(".location", 1)[0]
                            for f in os.listdir(mod_dir)
                        }
                    )
                    return self.send_json(
                        {"modules": [{"versions": [{"version": v} for v in versions]}]}
                    )
                if len(parts) == 5 and parts[4] == "download":
                    ns, name, provider, version = parts[:4]
                    base = os.path.join(root, ns, name, provider, version)
                    if os.path.isfile(base + ".location"):
                        location = open(base + ".location").read().strip()
                    elif os.path.isfile(base + ".tar.gz"):
                        location = "/archives/%s/%s/%s/%s.tar.gz" % (ns, name, provider, version)
                    else:
                        return self.not_found()
                    self.send_response(204)
                    self.send_header("X-Terraform-Get", location)
                    self.end_headers()
                    return
            return self.not_found()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("ready", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
