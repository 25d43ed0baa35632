#!/usr/bin/env python3
"""Starts moto_server for mlform's tests, with small shims where moto answers differently
from AWS's documented behaviour. Each shim follows the AWS API reference; none changes what
mlform sends.

- S3 GetBucketVersioning: AWS answers with a <VersioningConfiguration> root element (with
  <Status> only once versioning was ever set); moto 5.2.5 wraps it in
  <GetBucketVersioningResponse>, which the AWS SDK for Rust rejects.
- SageMaker UpdateEndpoint: AWS switches the endpoint to the given endpoint configuration
  (its production variants with it) and answers {"EndpointArn"}; moto 5.2.5 does not
  implement it (HTTP 500). The emulator's endpoints are InService at once, so the switch is
  immediate.

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


def update_endpoint(self):
    from moto.sagemaker.responses import ActionResult

    backend = self.sagemaker_backend
    name = self._get_param("EndpointName")
    config_name = self._get_param("EndpointConfigName")
    endpoint = backend.endpoints[name]
    config = backend.endpoint_configs[config_name]
    endpoint.endpoint_config_name = config_name
    endpoint.production_variants = endpoint._process_production_variants(config.production_variants)
    endpoint.endpoint_status = "InService"
    return ActionResult({"EndpointArn": endpoint.arn})


from moto.sagemaker.responses import SageMakerResponse  # noqa: E402

SageMakerResponse.update_endpoint = update_endpoint

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
