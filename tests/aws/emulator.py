#!/usr/bin/env python3
"""Starts moto_server for mlform's tests, with small shims where moto answers differently
from AWS's documented behaviour. Each shim follows the AWS API reference; none changes what
mlform sends.

- S3 GetBucketVersioning: AWS answers with a <VersioningConfiguration> root element (with
  <Status> only once versioning was ever set); moto 5.2.5 wraps it in
  <GetBucketVersioningResponse>, which the AWS SDK for Rust rejects.
- S3 DeleteObject of a delete marker by its versionId: AWS removes the marker (that is how a
  versioned bucket is emptied); moto 5.2.5 fails with HTTP 500 because its delete markers
  lack the buffer `dispose` that its object versions have. The shim gives markers a no-op
  `dispose`.
- SageMaker UpdateEndpoint: AWS switches the endpoint to the given endpoint configuration
  (its production variants with it) and answers {"EndpointArn"}; moto 5.2.5 does not
  implement it (HTTP 500). The emulator's endpoints are InService at once, so the switch is
  immediate.
- SageMaker DeleteTrainingJob: AWS deletes the record of a training job in a terminal state
  and answers {}; moto 5.2.5 does not implement it.
- Application Auto Scaling tags (RegisterScalableTarget's Tags, TagResource, UntagResource,
  ListTagsForResource on a scalable target ARN): AWS keeps them per ARN; moto 5.2.5 ignores
  Tags and does not implement the three tag actions.
- CloudWatch over Smithy RPC v2 CBOR: current AWS SDKs call CloudWatch with CBOR bodies at
  /service/GraniteServiceVersion20100801/operation/<Op>; moto 5.2.5 speaks its AWS JSON 1.0
  protocol only. The shim decodes the CBOR request, forwards it as the equivalent JSON 1.0
  request, and encodes the answer as CBOR by the operation's output shape (botocore's own
  CBOR codec and service model), with the `smithy-protocol: rpc-v2-cbor` header.
- KMS key rotation period: AWS's EnableKeyRotation takes RotationPeriodInDays (90 to 2560,
  365 when absent) and GetKeyRotationStatus answers it (with KeyId) while rotation is on;
  moto 5.2.5 ignores the period and answers KeyRotationEnabled only.
- IAM AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider: AWS
  adds (idempotently) or removes one client ID of an OIDC provider and answers an empty
  result; moto 5.2.5 does not implement them.
- S3 conditional writes (PutObject with If-None-Match: *): AWS checks and writes atomically,
  so of two concurrent creates of one key exactly one succeeds and the other gets 412
  PreconditionFailed; moto 5.2.5 checks, then writes, on a threaded server, so both can
  succeed. The shim runs each PutObject under one lock. State locks (`<key>.tflock`) rest
  on this.
- S3 ListBuckets' Owner: AWS names the account's canonical user, the same ID that owns its
  buckets' ACLs; moto 5.2.5 answers a fixed ID that matches no ACL. The shim answers the
  ACL owner's ID.
- SageMaker CreateModel's EnableNetworkIsolation: AWS stores it and DescribeModel answers
  it; moto 5.2.5 ignores it and always answers false.
- S3 GetBucketAccelerateConfiguration: AWS answers with an <AccelerateConfiguration> root
  (with <Status> once acceleration was ever set, `Suspended` too); moto 5.2.5 wraps it in
  <GetBucketAccelerateConfigurationResponse>, which the AWS SDK for Rust rejects, and drops
  a `Suspended` put on a bucket that never had acceleration on.
- S3 Put/GetBucketRequestPayment (`?requestPayment`): AWS keeps the bucket's payer
  (`BucketOwner` until set to `Requester`) and answers <RequestPaymentConfiguration> with
  <Payer>; moto 5.2.5 does not implement it (GET lists the bucket's objects instead). A
  missing bucket is 404 NoSuchBucket.
- CloudWatch PutCompositeAlarm: AWS creates or replaces a composite alarm (AlarmRule over
  other alarms, its actions and tags) and DescribeAlarms answers it under CompositeAlarms;
  moto 5.2.5 stores composite alarms through PutMetricAlarm (which reads AlarmRule) and
  answers them so, but does not route PutCompositeAlarm. The shim routes it there.
- SageMaker monitoring schedules (CreateMonitoringSchedule, DescribeMonitoringSchedule,
  UpdateMonitoringSchedule, DeleteMonitoringSchedule, and AddTags / ListTags / DeleteTags
  on their ARNs): AWS keeps a schedule per name with its MonitoringScheduleConfig and tags,
  answers {"MonitoringScheduleArn"} to create and update, describes it with its status,
  type and times, and answers ResourceNotFound for an unknown name; moto 5.2.5 implements
  none of them. The emulator runs no monitoring jobs, so a schedule is Scheduled at once.
- S3 GetBucketNotificationConfiguration: AWS answers a <NotificationConfiguration> root
  (empty when the bucket has none) with an <EventBridgeConfiguration/> element when
  EventBridge is on; moto 5.2.5 answers an empty configuration with a
  <GetBucketNotificationResponse/> root, which the AWS SDK for Rust rejects, and leaves the
  stored EventBridge setting out.
- SageMaker DeleteModelPackageGroup: AWS deletes the group and answers {} (a group that
  does not exist is a ValidationException); moto 5.2.5 does not implement it.
- SageMaker Studio domains: AWS answers ResourceNotFound for DescribeDomain and DeleteDomain
  of an unknown domain ID, keeps the domain's tags (CreateDomain without Tags included), and
  UpdateDomain changes DefaultUserSettings, DomainSettingsForUpdate's security groups and
  execution role identity, AppNetworkAccessType and AppSecurityGroupManagement and answers
  {"DomainArn"}; moto 5.2.5 answers ValidationException, fails to tag a domain created
  without tags, and does not implement UpdateDomain.
- SageMaker user profiles (CreateUserProfile, DescribeUserProfile, UpdateUserProfile,
  DeleteUserProfile, and AddTags / ListTags / DeleteTags on their ARNs): AWS keeps a profile
  per domain and name with its UserSettings, single sign-on user and tags, answers
  {"UserProfileArn"} to create and update, describes it with its status and home EFS UID,
  and answers ResourceNotFound for an unknown profile (ResourceNotFound too when the domain
  does not exist); moto 5.2.5 implements none of them. The emulator starts no apps, so a
  profile is InService at once.
- S3 bucket configurations kept by ID (`?metrics`, `?intelligent-tiering`, `?analytics`,
  `?inventory`, each with `&id=`): AWS keeps one configuration per bucket and ID, answers
  PUT with 200 and an empty body, GET with the stored <MetricsConfiguration> /
  <IntelligentTieringConfiguration> / <AnalyticsConfiguration> / <InventoryConfiguration>
  document, DELETE with 204, and 404 NoSuchConfiguration for an ID it does not hold (404
  NoSuchBucket for a missing bucket); deleting the bucket deletes them. moto 5.2.5
  implements none of metrics, intelligent tiering and analytics, and its inventory answers
  IncludedObjectVersions `All` whatever was stored and cannot delete.
- S3 default encryption's BlockedEncryptionTypes and access logging's
  TargetObjectKeyFormat: AWS stores the encryption types a bucket refuses (`SSE-C`,
  `NONE`) with its PutBucketEncryption rule, and the log object key format with
  PutBucketLogging, and answers them in GetBucketEncryption's <Rule> and
  GetBucketLogging's <LoggingEnabled>; moto 5.2.5 drops both.
- S3 lifecycle configurations: AWS answers GetBucketLifecycleConfiguration with the rules
  as they were put, and keeps the `x-amz-transition-default-minimum-object-size` header of
  the put (`all_storage_classes_128K` when absent) to answer as the same header; moto 5.2.5
  drops object size conditions from filters and ignores the header. The shim answers the
  document moto accepted, with the header.
- S3 GetBucketReplication: AWS answers the replication configuration as it was put (an ID
  generated for each rule that has none); moto 5.2.5 answers every rule with a made-up
  `Filter` of prefix "" and `DeleteMarkerReplication` Disabled, and drops source selection
  criteria, existing object replication and the priority it was given. The shim keeps
  the document moto accepted (moto checks the bucket is versioned) and answers it.
- IAM CreateLoginProfile's PasswordResetRequired: AWS stores it and GetLoginProfile
  answers it; moto 5.2.5 ignores it and answers false.
- S3 PutObjectLockConfiguration on a bucket holding objects: AWS changes the default
  retention of a versioned bucket whatever it holds (and enables Object Lock on existing
  buckets); moto 5.2.5 refuses any bucket with objects ("Bucket needs to be empty").
- SageMaker notebook instances: AWS takes a new instance from Pending to InService by
  itself and updates a stopped one with UpdateNotebookInstance (a running one is a
  ValidationException); moto 5.2.5 leaves new instances Pending and does not implement the
  update. The emulator starts no machines, so a new instance is InService at once.

- SNS topic attributes beyond moto's few (delivery status logging per protocol:
  <Protocol>SuccessFeedbackRoleArn / SuccessFeedbackSampleRate / FailureFeedbackRoleArn;
  SignatureVersion, TracingConfig, ArchivePolicy, FifoThroughputScope): AWS keeps them from
  CreateTopic's Attributes and SetTopicAttributes (an empty value clears one) and answers
  them in GetTopicAttributes; moto 5.2.5 accepts and drops them.
- SNS Put/GetDataProtectionPolicy: AWS keeps one data protection policy per topic, answers
  it (an empty string when the topic has none; NotFound for an unknown topic) and an empty
  put removes it; moto 5.2.5 implements neither.
- SNS subscription ReplayPolicy: AWS accepts it in Subscribe's Attributes and
  SetSubscriptionAttributes and answers it in GetSubscriptionAttributes; moto 5.2.5 refuses
  the attribute name.

- SQS SetQueueAttributes: AWS changes only the attributes the request names; moto 5.2.5
  clears the queue's Policy whenever the request does not name it. The shim keeps it.
- SQS RedriveAllowPolicy: AWS keeps it (SetQueueAttributes, CreateQueue) and answers it
  in GetQueueAttributes (asked by name or with All); moto 5.2.5 refuses the name.

- ECR PutRegistryPolicy: AWS's default registry policy scope (V2) takes every ECR action
  (ecr:BatchImportUpstreamImage for pull through cache among them); moto 5.2.5 checks the
  version 1 list (ecr:CreateRepository, ecr:ReplicateImage) and refuses the rest. The shim
  takes any `ecr:` action.

Usage: python emulator.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""
import json
import sys
import time

from moto.s3.responses import S3Response
from moto.server import main


def get_bucket_versioning(self):
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = f'<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
    return 200, {}, body


S3Response.get_bucket_versioning = get_bucket_versioning

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

from moto.s3.models import OWNER as _ACL_OWNER  # noqa: E402

_list_buckets = S3Response.all_buckets


def list_buckets(self):
    result = _list_buckets(self)

    def fix(body):
        if isinstance(body, bytes):
            return body.replace(b"bcaf1ffd86f41161ca5fb16fd081034f", _ACL_OWNER.encode())
        if isinstance(body, str):
            return body.replace("bcaf1ffd86f41161ca5fb16fd081034f", _ACL_OWNER)
        return body

    if isinstance(result, tuple):
        return tuple(fix(part) for part in result)
    return fix(result)


S3Response.all_buckets = list_buckets


def get_bucket_accelerate_configuration(self):
    status = self.backend.get_bucket_accelerate_configuration(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = f'<?xml version="1.0" encoding="UTF-8"?><AccelerateConfiguration xmlns="{S3_NS}">{inner}</AccelerateConfiguration>'
    return 200, {}, body


S3Response.get_bucket_accelerate_configuration = get_bucket_accelerate_configuration

from moto.s3.models import FakeBucket  # noqa: E402


def _set_accelerate_configuration(self, accelerate_config):
    self.accelerate_configuration = accelerate_config


FakeBucket.set_accelerate_configuration = _set_accelerate_configuration

from moto.s3.exceptions import InvalidBucketState  # noqa: E402
from moto.s3.models import S3Backend  # noqa: E402


def _put_object_lock_configuration(self, bucket_name, lock_enabled, mode=None, days=None, years=None):
    bucket = self.get_bucket(bucket_name)
    if not bucket.is_versioned:
        raise InvalidBucketState(
            "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
        )
    if lock_enabled:
        bucket.object_lock_enabled = True
        bucket.versioning_status = "Enabled"
    bucket.default_lock_mode = mode
    bucket.default_lock_days = days
    bucket.default_lock_years = years


S3Backend.put_object_lock_configuration = _put_object_lock_configuration

_payers = {}
_bucket_get = S3Response._bucket_response_get
_bucket_put = S3Response._bucket_response_put


def _no_such_bucket(name):
    body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>{name}</BucketName></Error>'
    return 404, {}, body


def bucket_response_get(self, bucket_name, querystring):
    if "requestPayment" not in querystring:
        return _bucket_get(self, bucket_name, querystring)
    if bucket_name not in self.backend.buckets:
        return _no_such_bucket(bucket_name)
    payer = _payers.get(bucket_name, "BucketOwner")
    body = f'<?xml version="1.0" encoding="UTF-8"?><RequestPaymentConfiguration xmlns="{S3_NS}"><Payer>{payer}</Payer></RequestPaymentConfiguration>'
    return 200, {}, body


def bucket_response_put(self, request, bucket_name, querystring):
    if "requestPayment" not in querystring:
        return _bucket_put(self, request, bucket_name, querystring)
    if bucket_name not in self.backend.buckets:
        return _no_such_bucket(bucket_name)
    import re

    text = self.body.decode() if isinstance(self.body, bytes) else (self.body or "")
    m = re.search(r"<Payer>\s*(BucketOwner|Requester)\s*</Payer>", text)
    if not m:
        return 400, {}, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>MalformedXML</Code><Message>The XML you provided was not well-formed</Message></Error>'
    _payers[bucket_name] = m.group(1)
    return 200, {}, ""


# Bucket configurations kept by ID: {(bucket, kind, id): body}.
_BY_ID_KINDS = ("metrics", "intelligent-tiering", "analytics", "inventory")
_configs_by_id = {}


def _by_id_kind(querystring):
    return next((k for k in _BY_ID_KINDS if k in querystring), None)


def _no_such_configuration():
    body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchConfiguration</Code><Message>The specified configuration does not exist.</Message></Error>'
    return 404, {}, body


def _by_id(self, method, bucket_name, querystring):
    kind = _by_id_kind(querystring)
    if bucket_name not in self.backend.buckets:
        return _no_such_bucket(bucket_name)
    config_id = (querystring.get("id") or [""])[0]
    if not config_id:
        return 400, {}, '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code><Message>Missing required parameter id</Message></Error>'
    key = (bucket_name, kind, config_id)
    if method == "PUT":
        body = self.body.decode() if isinstance(self.body, bytes) else (self.body or "")
        _configs_by_id[key] = body
        return 200, {}, ""
    if key not in _configs_by_id:
        return _no_such_configuration()
    if method == "GET":
        return 200, {"content-type": "application/xml"}, _configs_by_id[key]
    del _configs_by_id[key]
    return 204, {}, ""


def bucket_response_get_by_id(self, bucket_name, querystring):
    if _by_id_kind(querystring) and "id" in querystring:
        return _by_id(self, "GET", bucket_name, querystring)
    return bucket_response_get(self, bucket_name, querystring)


def bucket_response_put_by_id(self, request, bucket_name, querystring):
    if _by_id_kind(querystring):
        return _by_id(self, "PUT", bucket_name, querystring)
    if "replication" in querystring and bucket_name in self.backend.buckets:
        import re
        import uuid

        text = self.body.decode() if isinstance(self.body, bytes) else (self.body or "")

        def with_id(m):
            rule = m.group(0)
            if "<ID>" in rule:
                return rule
            return rule.replace("<Rule>", f"<Rule><ID>{uuid.uuid4().hex}</ID>", 1)

        text = re.sub(r"<Rule>.*?</Rule>", with_id, text, flags=re.S)
        self.body = text.encode()
        response = bucket_response_put(self, request, bucket_name, querystring)
        _replication[bucket_name] = text
        return response
    if "lifecycle" in querystring and bucket_name in self.backend.buckets:
        response = bucket_response_put(self, request, bucket_name, querystring)
        _min_object_size[bucket_name] = self.headers.get(
            _MIN_SIZE_HEADER, "all_storage_classes_128K"
        )
        body = self.body.decode() if isinstance(self.body, bytes) else (self.body or "")
        _lifecycle[bucket_name] = body
        return response
    kept = _KEPT_ELEMENTS.get(next((q for q in _KEPT_ELEMENTS if q in querystring), None))
    if kept and bucket_name in self.backend.buckets:
        import re

        element = kept[0]
        text = self.body.decode() if isinstance(self.body, bytes) else (self.body or "")
        m = re.search(rf"<{element}>.*?</{element}>|<{element}\s*/>", text, re.S)
        if m:
            _kept[(bucket_name, element)] = m.group(0)
        else:
            _kept.pop((bucket_name, element), None)
    return bucket_response_put(self, request, bucket_name, querystring)


# Elements moto drops from a configuration: {query: (element, closing tag of its parent)}.
_KEPT_ELEMENTS = {
    "encryption": ("BlockedEncryptionTypes", b"</Rule>"),
    "logging": ("TargetObjectKeyFormat", b"</LoggingEnabled>"),
}
_kept = {}


def _keeping(query, get):
    element, parent_end = _KEPT_ELEMENTS[query]

    def answer(self):
        response = get(self)
        saved = _kept.get((self.bucket_name, element))
        if not saved:
            return response

        def inject(body):
            raw = body.encode() if isinstance(body, str) else body
            raw = raw.replace(parent_end, saved.encode() + parent_end, 1)
            return raw.decode() if isinstance(body, str) else raw

        if isinstance(response, tuple):
            status, headers, body = response
            headers = {k: v for k, v in dict(headers).items() if k.lower() != "content-length"}
            return status, headers, inject(body)
        return inject(response)

    return answer


_replication = {}
_get_bucket_replication = S3Response.get_bucket_replication


def get_bucket_replication(self):
    kept = _replication.get(self.bucket_name)
    if kept is None or not self.backend.get_bucket_replication(self.bucket_name):
        return _get_bucket_replication(self)
    return 200, {"content-type": "application/xml"}, kept


S3Response.get_bucket_replication = get_bucket_replication

_MIN_SIZE_HEADER = "x-amz-transition-default-minimum-object-size"
_min_object_size = {}
_lifecycle = {}
_get_bucket_lifecycle = S3Response.get_bucket_lifecycle


def get_bucket_lifecycle(self):
    response = _get_bucket_lifecycle(self)
    size = _min_object_size.get(self.bucket_name)
    if not size:
        return response
    kept = _lifecycle.get(self.bucket_name)
    if kept:
        return 200, {"content-type": "application/xml", _MIN_SIZE_HEADER: size}, kept
    if isinstance(response, tuple):
        status, headers, body = response
        headers = dict(headers)
        headers[_MIN_SIZE_HEADER] = size
        return status, headers, body
    return 200, {_MIN_SIZE_HEADER: size}, response


S3Response.get_bucket_lifecycle = get_bucket_lifecycle
S3Response.get_bucket_encryption = _keeping("encryption", S3Response.get_bucket_encryption)
S3Response.get_bucket_logging = _keeping("logging", S3Response.get_bucket_logging)


_bucket_delete = S3Response._bucket_response_delete


def bucket_response_delete_by_id(self, bucket_name, querystring):
    if _by_id_kind(querystring):
        return _by_id(self, "DELETE", bucket_name, querystring)
    if "lifecycle" in querystring:
        _min_object_size.pop(bucket_name, None)
        _lifecycle.pop(bucket_name, None)
    for query, (element, _) in _KEPT_ELEMENTS.items():
        if query in querystring:
            _kept.pop((bucket_name, element), None)
    response = _bucket_delete(self, bucket_name, querystring)
    if not querystring and bucket_name not in self.backend.buckets:
        for key in [k for k in _configs_by_id if k[0] == bucket_name]:
            del _configs_by_id[key]
    return response


S3Response._bucket_response_get = bucket_response_get_by_id
S3Response._bucket_response_put = bucket_response_put_by_id
S3Response._bucket_response_delete = bucket_response_delete_by_id

from moto.s3.models import FakeDeleteMarker  # noqa: E402

FakeDeleteMarker.dispose = lambda self, garbage=False: None


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

_create_model = SageMakerResponse.create_model


def create_model(self):
    result = _create_model(self)
    isolated = self._get_param("EnableNetworkIsolation")
    if isolated is not None:
        self.sagemaker_backend.describe_model(self._get_param("ModelName")).enable_network_isolation = bool(isolated)
    return result


SageMakerResponse.create_model = create_model


def delete_training_job(self):
    backend = self.sagemaker_backend
    name = self._get_param("TrainingJobName")
    if name not in backend.training_jobs:
        from moto.sagemaker.exceptions import ValidationError

        raise ValidationError(message=f"Could not find training job '{name}'.")
    del backend.training_jobs[name]
    return "{}"


SageMakerResponse.delete_training_job = delete_training_job


def delete_model_package_group(self):
    from moto.sagemaker.exceptions import ValidationError

    backend = self.sagemaker_backend
    name = self._get_param("ModelPackageGroupName")
    if backend.model_package_groups.pop(name, None) is None:
        raise ValidationError(message=f"ModelPackageGroup {name} does not exist.")
    return "{}"


SageMakerResponse.delete_model_package_group = delete_model_package_group


_create_notebook_instance = SageMakerResponse.create_notebook_instance


def create_notebook_instance(self):
    result = _create_notebook_instance(self)
    self.sagemaker_backend.get_notebook_instance(self._get_param("NotebookInstanceName")).start()
    return result


def update_notebook_instance(self):
    from moto.sagemaker.exceptions import ValidationError

    nb = self.sagemaker_backend.get_notebook_instance(self._get_param("NotebookInstanceName"))
    if nb.status != "Stopped":
        raise ValidationError(message=f"Status ({nb.status}) not in ([Stopped]). Unable to transition to (Updating) for Notebook Instance ({nb.arn})")
    for param, attr in [
        ("InstanceType", "instance_type"),
        ("RoleArn", "role_arn"),
        ("VolumeSizeInGB", "volume_size_in_gb"),
        ("LifecycleConfigName", "lifecycle_config_name"),
        ("RootAccess", "root_access"),
        ("DefaultCodeRepository", "default_code_repository"),
        ("AdditionalCodeRepositories", "additional_code_repositories"),
    ]:
        value = self._get_param(param)
        if value is not None:
            setattr(nb, attr, value)
    if self._get_param("DisassociateLifecycleConfig"):
        nb.lifecycle_config_name = None
    return "{}"


SageMakerResponse.create_notebook_instance = create_notebook_instance
SageMakerResponse.update_notebook_instance = update_notebook_instance


class _MonitoringSchedule:
    def __init__(self, arn, name, config, tags):
        self.arn = arn
        self.name = name
        self.config = config
        self.tags = tags
        self.created = self.modified = time.time()


def _schedules(backend):
    if not hasattr(backend, "mlform_monitoring_schedules"):
        backend.mlform_monitoring_schedules = {}
    return backend.mlform_monitoring_schedules


def _schedule_not_found(name):
    return _resource_not_found(f"Monitoring schedule {name} not found")


def create_monitoring_schedule(self):
    backend = self.sagemaker_backend
    name = self._get_param("MonitoringScheduleName")
    schedules = _schedules(backend)
    if name in schedules:
        from moto.sagemaker.exceptions import ResourceInUseException

        raise ResourceInUseException(f"Monitoring schedule {name} already exists")
    arn = f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:monitoring-schedule/{name}"
    schedules[name] = _MonitoringSchedule(arn, name, self._get_param("MonitoringScheduleConfig"), self._get_param("Tags") or [])
    return json.dumps({"MonitoringScheduleArn": arn})


def describe_monitoring_schedule(self):
    name = self._get_param("MonitoringScheduleName")
    s = _schedules(self.sagemaker_backend).get(name)
    if s is None:
        raise _schedule_not_found(name)
    return json.dumps({
        "MonitoringScheduleArn": s.arn,
        "MonitoringScheduleName": s.name,
        "MonitoringScheduleStatus": "Scheduled",
        "MonitoringType": (s.config or {}).get("MonitoringType"),
        "CreationTime": s.created,
        "LastModifiedTime": s.modified,
        "MonitoringScheduleConfig": s.config,
    })


def update_monitoring_schedule(self):
    name = self._get_param("MonitoringScheduleName")
    s = _schedules(self.sagemaker_backend).get(name)
    if s is None:
        raise _schedule_not_found(name)
    s.config = self._get_param("MonitoringScheduleConfig")
    s.modified = time.time()
    return json.dumps({"MonitoringScheduleArn": s.arn})


def delete_monitoring_schedule(self):
    name = self._get_param("MonitoringScheduleName")
    if _schedules(self.sagemaker_backend).pop(name, None) is None:
        raise _schedule_not_found(name)
    return "{}"


SageMakerResponse.create_monitoring_schedule = create_monitoring_schedule
SageMakerResponse.describe_monitoring_schedule = describe_monitoring_schedule
SageMakerResponse.update_monitoring_schedule = update_monitoring_schedule
SageMakerResponse.delete_monitoring_schedule = delete_monitoring_schedule


def _resource_not_found(message):
    from moto.sagemaker.exceptions import ResourceNotFound

    return ResourceNotFound(message)


def _domain(backend, domain_id):
    d = backend.domains.get(domain_id)
    if d is None:
        raise _resource_not_found(f"Domain {domain_id} not found")
    return d


_create_domain = SageMakerResponse.create_domain


def create_domain(self):
    out = _create_domain(self)
    for d in self.sagemaker_backend.domains.values():
        if d.tags is None:
            d.tags = []
    return out


def describe_domain(self):
    from moto.sagemaker.responses import ActionResult

    return ActionResult(_domain(self.sagemaker_backend, self._get_param("DomainId")).describe())


def update_domain(self):
    from moto.sagemaker.responses import ActionResult

    d = _domain(self.sagemaker_backend, self._get_param("DomainId"))
    if self._get_param("DefaultUserSettings") is not None:
        d.default_user_settings = self._get_param("DefaultUserSettings")
    update = self._get_param("DomainSettingsForUpdate")
    if update is not None:
        settings = dict(d.domain_settings or {})
        for key in ("SecurityGroupIds", "ExecutionRoleIdentityConfig"):
            if key in update:
                settings[key] = update[key]
        d.domain_settings = settings
    for param, attr in (("AppNetworkAccessType", "app_network_access_type"), ("AppSecurityGroupManagement", "app_security_group_management")):
        if self._get_param(param) is not None:
            setattr(d, attr, self._get_param(param))
    from moto.core.utils import utcnow

    d.last_modified_time = utcnow()
    return ActionResult({"DomainArn": d.arn})


def delete_domain(self):
    backend = self.sagemaker_backend
    domain_id = self._get_param("DomainId")
    _domain(backend, domain_id)
    del backend.domains[domain_id]
    return "{}"


SageMakerResponse.create_domain = create_domain
SageMakerResponse.describe_domain = describe_domain
SageMakerResponse.update_domain = update_domain
SageMakerResponse.delete_domain = delete_domain


class _UserProfile:
    def __init__(self, arn, domain_id, name, settings, sso_id, sso_value, tags):
        self.arn = arn
        self.domain_id = domain_id
        self.name = name
        self.settings = settings
        self.sso_id = sso_id
        self.sso_value = sso_value
        self.tags = tags
        self.uid = str(200000 + len(arn) % 1000)
        self.created = self.modified = time.time()


def _profiles(backend):
    if not hasattr(backend, "mlform_user_profiles"):
        backend.mlform_user_profiles = {}
    return backend.mlform_user_profiles


def _profile(self):
    backend = self.sagemaker_backend
    domain_id = self._get_param("DomainId")
    name = self._get_param("UserProfileName")
    _domain(backend, domain_id)
    p = _profiles(backend).get((domain_id, name))
    if p is None:
        raise _resource_not_found(f"User profile {name} not found in domain {domain_id}")
    return p


def create_user_profile(self):
    backend = self.sagemaker_backend
    domain_id = self._get_param("DomainId")
    name = self._get_param("UserProfileName")
    _domain(backend, domain_id)
    profiles = _profiles(backend)
    if (domain_id, name) in profiles:
        from moto.sagemaker.exceptions import ResourceInUseException

        raise ResourceInUseException(f"User profile {name} already exists")
    arn = f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:user-profile/{domain_id}/{name}"
    profiles[(domain_id, name)] = _UserProfile(
        arn, domain_id, name, self._get_param("UserSettings"),
        self._get_param("SingleSignOnUserIdentifier"), self._get_param("SingleSignOnUserValue"),
        self._get_param("Tags") or [],
    )
    return json.dumps({"UserProfileArn": arn})


def describe_user_profile(self):
    p = _profile(self)
    out = {
        "DomainId": p.domain_id,
        "UserProfileArn": p.arn,
        "UserProfileName": p.name,
        "HomeEfsFileSystemUid": p.uid,
        "Status": "InService",
        "CreationTime": p.created,
        "LastModifiedTime": p.modified,
    }
    for key, value in (("SingleSignOnUserIdentifier", p.sso_id), ("SingleSignOnUserValue", p.sso_value), ("UserSettings", p.settings)):
        if value is not None:
            out[key] = value
    return json.dumps(out)


def update_user_profile(self):
    p = _profile(self)
    if self._get_param("UserSettings") is not None:
        p.settings = self._get_param("UserSettings")
    p.modified = time.time()
    return json.dumps({"UserProfileArn": p.arn})


def delete_user_profile(self):
    p = _profile(self)
    del _profiles(self.sagemaker_backend)[(p.domain_id, p.name)]
    return "{}"


SageMakerResponse.create_user_profile = create_user_profile
SageMakerResponse.describe_user_profile = describe_user_profile
SageMakerResponse.update_user_profile = update_user_profile
SageMakerResponse.delete_user_profile = delete_user_profile

from moto.sagemaker.models import SageMakerModelBackend  # noqa: E402

_resource_from_arn = SageMakerModelBackend._get_resource_from_arn


def _resource_or_schedule(self, arn):
    kind, _, name = arn.split(":")[-1].partition("/")
    if kind == "user-profile":
        domain_id, _, profile = name.partition("/")
        p = _profiles(self).get((domain_id, profile))
        if p is None:
            from moto.sagemaker.exceptions import ValidationError

            raise ValidationError(message=f"Could not find user-profile with name {name}")
        return p
    if kind == "monitoring-schedule":
        s = _schedules(self).get(name)
        if s is None:
            from moto.sagemaker.exceptions import ValidationError

            raise ValidationError(message=f"Could not find monitoring-schedule with name {name}")
        return s
    return _resource_from_arn(self, arn)


SageMakerModelBackend._get_resource_from_arn = _resource_or_schedule

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse  # noqa: E402

_scaling_tags = {}
_register_scalable_target = ApplicationAutoScalingResponse.register_scalable_target


def register_scalable_target(self):
    body = _register_scalable_target(self)
    tags = self._get_param("Tags")
    if tags:
        arn = json.loads(body)["ScalableTargetARN"]
        _scaling_tags.setdefault(arn, {}).update(tags)
    return body


def _target_arn(self):
    arn = self._get_param("ResourceARN")
    for t in self.applicationautoscaling_backend.targets.values():
        for target in t.values():
            if target.arn == arn:
                return arn
    return None


def _not_found(arn):
    return 400, {}, json.dumps({"__type": "ResourceNotFoundException", "Message": f"No scalable target {arn}"})


def tag_resource(self):
    arn = _target_arn(self)
    if arn is None:
        return _not_found(self._get_param("ResourceARN"))
    _scaling_tags.setdefault(arn, {}).update(self._get_param("Tags") or {})
    return "{}"


def untag_resource(self):
    arn = _target_arn(self)
    if arn is None:
        return _not_found(self._get_param("ResourceARN"))
    for key in self._get_param("TagKeys") or []:
        _scaling_tags.get(arn, {}).pop(key, None)
    return "{}"


def list_tags_for_resource(self):
    arn = _target_arn(self)
    if arn is None:
        return _not_found(self._get_param("ResourceARN"))
    return json.dumps({"Tags": _scaling_tags.get(arn, {})})


ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
ApplicationAutoScalingResponse.tag_resource = tag_resource
ApplicationAutoScalingResponse.untag_resource = untag_resource
ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource

CBOR_PREFIX = "/service/GraniteServiceVersion20100801/operation/"


def _cbor_model():
    import botocore.session

    return botocore.session.get_session().get_service_model("cloudwatch")


def _json_ready(value):
    import datetime

    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    return value


def _from_json_shape(value, shape):
    """JSON protocol values to the Python types botocore's CBOR serializer expects."""
    import datetime

    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        return {
            k: _from_json_shape(v, shape.members[k])
            for k, v in value.items()
            if k in shape.members
        }
    if kind == "list":
        return [_from_json_shape(v, shape.member) for v in value]
    if kind == "map":
        return {k: _from_json_shape(v, shape.value) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return value


def cbor_gateway(app):
    from botocore.parsers import RpcV2CBORParser
    from botocore.serialize import RpcV2CBORSerializer

    model = _cbor_model()

    def gateway(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CBOR_PREFIX):
            return app(environ, start_response)
        operation = path[len(CBOR_PREFIX):]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        parser = RpcV2CBORParser()
        params = parser.parse_data_item(parser.get_peekable_stream_from_bytes(raw)) if raw else {}
        body = json.dumps(_json_ready(params or {})).encode()
        import io

        inner = dict(environ)
        inner["PATH_INFO"] = "/"
        inner["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        inner["HTTP_X_AMZ_TARGET"] = f"GraniteServiceVersion20100801.{operation}"
        inner["CONTENT_LENGTH"] = str(len(body))
        inner["wsgi.input"] = io.BytesIO(body)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers

        chunks = b"".join(app(inner, capture))
        status = captured["status"]
        answer = json.loads(chunks) if chunks.strip() else {}
        out = bytearray()
        serializer = RpcV2CBORSerializer()
        if int(status.split()[0]) < 300:
            shape = model.operation_model(operation).output_shape
            if shape is not None:
                serializer._serialize_data_item(out, _from_json_shape(answer, shape), shape)
        else:
            code = str(answer.get("__type", "InternalFailure")).split("#")[-1]
            message = answer.get("message") or answer.get("Message") or ""
            _encode_error(out, code, message)
        start_response(
            status,
            [
                ("Content-Type", "application/cbor"),
                ("smithy-protocol", "rpc-v2-cbor"),
                ("Content-Length", str(len(out))),
            ],
        )
        return [bytes(out)]

    return gateway


def _encode_error(out, code, message):
    """A CBOR map {"__type": code, "message": message} (text strings under 24 entries)."""

    def text(s):
        data = s.encode()
        n = len(data)
        if n < 24:
            out.append(0x60 | n)
        elif n < 256:
            out.extend([0x78, n])
        else:
            out.extend([0x79, n >> 8, n & 0xFF])
        out.extend(data)

    out.append(0xA2)
    text("__type")
    text(code)
    text("message")
    text(message)


from moto.cloudwatch.responses import CloudWatchResponse  # noqa: E402

CloudWatchResponse.put_composite_alarm = CloudWatchResponse.put_metric_alarm

from moto.kms.responses import KmsResponse  # noqa: E402

_rotation_periods = {}
_enable_key_rotation = KmsResponse.enable_key_rotation


def enable_key_rotation(self):
    period = self._get_param("RotationPeriodInDays") or 365
    if not 90 <= period <= 2560:
        return 400, {}, json.dumps({"__type": "ValidationException", "message": "RotationPeriodInDays must be between 90 and 2560"})
    body = _enable_key_rotation(self)
    _rotation_periods[self.kms_backend.get_key_id(self._get_param("KeyId"))] = period
    return body


def get_key_rotation_status(self):
    key_id = self._get_param("KeyId")
    self._validate_cmk_id(key_id)
    backend = self.kms_backend
    key = backend.keys[backend.get_key_id(key_id)]
    out = {"KeyRotationEnabled": key.key_rotation_status, "KeyId": key.id}
    if key.key_rotation_status:
        out["RotationPeriodInDays"] = _rotation_periods.get(key.id, 365)
    return json.dumps(out)


KmsResponse.enable_key_rotation = enable_key_rotation
KmsResponse.get_key_rotation_status = get_key_rotation_status

from moto.iam.responses import IamResponse  # noqa: E402
from moto.iam.responses import EmptyResult  # noqa: E402


def _change_client_id(self, add):
    provider = self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))
    client_id = self._get_param("ClientID")
    if add and client_id not in provider.client_id_list:
        provider.client_id_list.append(client_id)
    if not add and client_id in provider.client_id_list:
        provider.client_id_list.remove(client_id)
    return EmptyResult()


IamResponse.add_client_id_to_open_id_connect_provider = lambda self: _change_client_id(self, True)
IamResponse.remove_client_id_from_open_id_connect_provider = lambda self: _change_client_id(self, False)

_create_login_profile = IamResponse.create_login_profile


def create_login_profile(self):
    user = self.backend.get_user(self._get_param("UserName"))
    if not user.password:
        required = self._get_param("PasswordResetRequired")
        user.password_reset_required = str(required).lower() == "true"
    return _create_login_profile(self)


IamResponse.create_login_profile = create_login_profile

import threading  # noqa: E402

_put_object_lock = threading.Lock()
_put_object = S3Response.put_object


def _atomic_put_object(self):
    with _put_object_lock:
        return _put_object(self)


S3Response.put_object = _atomic_put_object


_get_bucket_notification = S3Response.get_bucket_notification


def get_bucket_notification(self):
    response = _get_bucket_notification(self)
    config = self.backend.get_bucket_notification_configuration(self.bucket_name)
    eventbridge = config is not None and getattr(config, "event_bridge", None) is not None
    element = b"<EventBridgeConfiguration></EventBridgeConfiguration>" if eventbridge else b""

    def inject(body):
        raw = body.encode() if isinstance(body, str) else body
        raw = raw.replace(b"<GetBucketNotificationResponse ", b"<NotificationConfiguration ")
        raw = raw.replace(b"</GetBucketNotificationResponse>", b"</NotificationConfiguration>")
        if not element or b"<EventBridgeConfiguration" in raw:
            return raw.decode() if isinstance(body, str) else raw
        if b"</NotificationConfiguration>" in raw:
            raw = raw.replace(b"</NotificationConfiguration>", element + b"</NotificationConfiguration>")
        else:
            raw = raw.replace(b"/>", b">" + element + b"</NotificationConfiguration>", 1) if raw.rstrip().endswith(b"/>") else raw
        return raw.decode() if isinstance(body, str) else raw

    if isinstance(response, tuple):
        status, headers, body = response
        headers = dict(headers)
        headers.pop("content-length", None)
        headers.pop("Content-Length", None)
        return status, headers, inject(body)
    return inject(response)


S3Response.get_bucket_notification = get_bucket_notification

from moto.sns.models import SNSBackend  # noqa: E402
from moto.core.responses import ActionResult, EmptyResult as EmptySnsResult  # noqa: E402
from moto.sns.responses import SNSResponse  # noqa: E402

_TOPIC_EXTRAS = {
    f"{protocol}{setting}"
    for protocol in ("Application", "HTTP", "Lambda", "SQS", "Firehose")
    for setting in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
} | {"SignatureVersion", "TracingConfig", "ArchivePolicy", "FifoThroughputScope"}


def _keep_topic_extras(topic, attributes):
    extras = topic.__dict__.setdefault("_mlform_extras", {})
    for name, value in attributes.items():
        if name in _TOPIC_EXTRAS:
            if value == "":
                extras.pop(name, None)
            else:
                extras[name] = str(value)


_create_topic = SNSResponse.create_topic


def create_topic(self):
    result = _create_topic(self)
    _keep_topic_extras(self.backend.get_topic(result.result["TopicArn"]), self._get_attributes() or {})
    return result


_set_topic_attributes = SNSResponse.set_topic_attributes


def set_topic_attributes(self):
    name = self._get_param("AttributeName")
    if name in _TOPIC_EXTRAS:
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        _keep_topic_extras(topic, {name: self._get_param("AttributeValue") or ""})
    return _set_topic_attributes(self)


_get_topic_attributes = SNSResponse.get_topic_attributes


def get_topic_attributes(self):
    result = _get_topic_attributes(self)
    topic = self.backend.get_topic(self._get_param("TopicArn"))
    result.result["Attributes"].update(topic.__dict__.get("_mlform_extras", {}))
    return result


def put_data_protection_policy(self):
    topic = self.backend.get_topic(self._get_param("ResourceArn"))
    topic.__dict__["_mlform_data_protection"] = self._get_param("DataProtectionPolicy") or ""
    return EmptySnsResult()


def get_data_protection_policy(self):
    topic = self.backend.get_topic(self._get_param("ResourceArn"))
    return ActionResult({"DataProtectionPolicy": topic.__dict__.get("_mlform_data_protection", "")})


SNSResponse.create_topic = create_topic
SNSResponse.set_topic_attributes = set_topic_attributes
SNSResponse.get_topic_attributes = get_topic_attributes
SNSResponse.put_data_protection_policy = put_data_protection_policy
SNSResponse.get_data_protection_policy = get_data_protection_policy

_set_subscription_attributes = SNSBackend.set_subscription_attributes


def set_subscription_attributes(self, arn, name, value):
    if name != "ReplayPolicy":
        return _set_subscription_attributes(self, arn, name, value)
    subscription = self.subscriptions.get(arn)
    if subscription is None:
        from moto.sns.exceptions import SNSNotFoundError

        raise SNSNotFoundError(f"Subscription with arn {arn} not found")
    if value:
        subscription.attributes["ReplayPolicy"] = value
    else:
        subscription.attributes.pop("ReplayPolicy", None)


SNSBackend.set_subscription_attributes = set_subscription_attributes

from moto.sqs.models import Queue as SqsQueue  # noqa: E402

SqsQueue.BASE_ATTRIBUTES = [*SqsQueue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
SqsQueue.redrive_allow_policy = None
_sqs_set_attributes = SqsQueue._set_attributes


def _sqs_keep_unnamed_policy(self, attributes, now=None):
    policy = getattr(self, "policy", None)
    _sqs_set_attributes(self, attributes, now)
    if "Policy" not in attributes:
        self.policy = policy


SqsQueue._set_attributes = _sqs_keep_unnamed_policy

from moto.ecr.models import ECRBackend  # noqa: E402


def _validate_registry_policy_scope_v2(self, policy_text):
    from moto.iam.exceptions import MalformedPolicyDocument

    for statement in json.loads(policy_text)["Statement"]:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if any(not a.startswith("ecr:") for a in actions):
            raise MalformedPolicyDocument()


ECRBackend._validate_registry_policy_action = _validate_registry_policy_scope_v2

import moto.server  # noqa: E402

_DomainDispatcher = moto.server.DomainDispatcherApplication


def _with_gateway(*args, **kwargs):
    return cbor_gateway(_DomainDispatcher(*args, **kwargs))


moto.server.DomainDispatcherApplication = _with_gateway

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
