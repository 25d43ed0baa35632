#!/usr/bin/env python3
"""Starts moto_server for mlform's tests, with small shims where moto answers differently
from AWS's documented behaviour. Each shim follows the AWS API reference; none changes what
mlform sends.

- S3 GetBucketVersioning: AWS answers with a <VersioningConfiguration> root element (with
  <Status> only once versioning was ever set); moto 5.2.5 wraps it in
  <GetBucketVersioningResponse>, which the AWS SDK for Rust rejects.

Usage: python emulator.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""
import sys

from moto.s3.responses import S3Response
from moto.server import main


def get_bucket_versioning(self):
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = f'<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
    return 200, {}, body


S3Response.get_bucket_versioning = get_bucket_versioning

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
