//! Resource types mlform knows the schema of but does not manage: configurations that use
//! them validate, as with terraform-provider-aws, while planning an instance of one fails
//! with an error that names the type and why (shared modules often declare them behind a
//! `count` that is zero by default). Nothing is ever silently skipped.

use mlform_provider::{
    Attribute, NestedBlock, Nesting, PlanRequest, Planned, ProviderError, Resource, Schema, Type,
    Value,
};

/// A type whose schema is known and whose instances are refused.
pub struct DeclaredOnly {
    pub type_name: &'static str,
    pub schema: fn() -> Schema,
    /// Why mlform does not manage it.
    pub reason: &'static str,
}

impl DeclaredOnly {
    fn refused(&self) -> ProviderError {
        ProviderError::Unsupported(format!(
            "{} is not supported by mlform: {}. Hint: leave it out of this configuration (a module usually has a switch for it, count = 0)",
            self.type_name, self.reason
        ))
    }
}

#[async_trait::async_trait]
impl Resource for DeclaredOnly {
    fn schema(&self) -> Schema {
        (self.schema)()
    }

    async fn read(&self, _prior: &Value) -> Result<Option<Value>, ProviderError> {
        Err(self.refused())
    }

    fn plan(&self, _request: PlanRequest<'_>) -> Result<Planned, ProviderError> {
        Err(self.refused())
    }

    async fn create(&self, _planned: &Value) -> Result<Value, ProviderError> {
        Err(self.refused())
    }

    async fn update(&self, _prior: &Value, _planned: &Value) -> Result<Value, ProviderError> {
        Err(self.refused())
    }

    async fn delete(&self, _prior: &Value) -> Result<(), ProviderError> {
        Err(self.refused())
    }

    async fn import(&self, _id: &str) -> Result<Option<Value>, ProviderError> {
        Err(self.refused())
    }
}

fn one(block: Schema, min: usize) -> NestedBlock {
    NestedBlock {
        nesting: Nesting::List,
        block,
        min_items: min,
        max_items: Some(1),
        force_new: true,
    }
}

pub const DIRECTORY_BUCKET_REASON: &str = "S3 Express One Zone directory buckets are served from zonal endpoints with session authentication (CreateSession), which the local emulator does not offer, so mlform cannot test them";

/// `aws_s3_directory_bucket`, as terraform-provider-aws declares it.
pub fn directory_bucket_schema() -> Schema {
    Schema::new()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr(
            "data_redundancy",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr("force_destroy", Attribute::optional(Type::Bool))
        .attr("type", Attribute::optional(Type::String).force_new())
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .block(
            "location",
            one(
                Schema::new()
                    .attr("name", Attribute::required(Type::String))
                    .attr("type", Attribute::optional(Type::String)),
                1,
            ),
        )
}

pub const METADATA_REASON: &str = "S3 Metadata writes its journal and inventory into S3 Tables (CreateBucketMetadataConfiguration), which the local emulator does not implement, so mlform cannot test it";

/// `aws_s3_bucket_metadata_configuration`, as terraform-provider-aws declares it.
pub fn metadata_configuration_schema() -> Schema {
    let encryption = Schema::new()
        .attr("kms_key_arn", Attribute::optional(Type::String))
        .attr("sse_algorithm", Attribute::required(Type::String));
    let inventory = Schema::new()
        .attr("configuration_state", Attribute::required(Type::String))
        .attr("table_arn", Attribute::computed(Type::String))
        .attr("table_name", Attribute::computed(Type::String))
        .block("encryption_configuration", one(encryption.clone(), 0));
    let expiration = Schema::new()
        .attr("days", Attribute::optional(Type::Number))
        .attr("expiration", Attribute::required(Type::String));
    let journal = Schema::new()
        .attr("table_arn", Attribute::computed(Type::String))
        .attr("table_name", Attribute::computed(Type::String))
        .block("encryption_configuration", one(encryption, 0))
        .block("record_expiration", one(expiration, 1));
    Schema::new()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr(
            "expected_bucket_owner",
            Attribute::optional(Type::String).force_new(),
        )
        .attr("id", Attribute::computed(Type::String))
        .block(
            "metadata_configuration",
            one(
                Schema::new()
                    .attr("destination", Attribute::computed(Type::Any))
                    .block("inventory_table_configuration", one(inventory, 1))
                    .block("journal_table_configuration", one(journal, 1)),
                1,
            ),
        )
}

pub const EXTERNAL_KEY_REASON: &str = "importing key material (GetParametersForImport, ImportKeyMaterial) is not offered by the local emulator, so mlform cannot test keys with external key material";

pub const REPLICA_KEY_REASON: &str = "the local emulator's ReplicateKey drops the replica's description, policy and tags and reports the replica as a primary key, so mlform cannot test multi-Region replicas";

/// What `aws_kms_external_key`, `aws_kms_replica_key` and `aws_kms_replica_external_key`
/// share, as terraform-provider-aws declares them.
fn key_common() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("arn", Attribute::computed(Type::String))
        .attr(
            "bypass_policy_lockout_safety_check",
            Attribute::optional(Type::Bool),
        )
        .attr("deletion_window_in_days", Attribute::optional(Type::Number))
        .attr("description", Attribute::optional(Type::String))
        .attr("enabled", Attribute::optional_computed(Type::Bool))
        .attr("policy", Attribute::optional_computed(Type::String))
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
}

fn external_material(schema: Schema) -> Schema {
    schema
        .attr("expiration_model", Attribute::computed(Type::String))
        .attr("key_state", Attribute::computed(Type::String))
        .attr(
            "key_material_base64",
            Attribute::optional(Type::String).sensitive().force_new(),
        )
        .attr("valid_to", Attribute::optional(Type::String).force_new())
}

/// `aws_kms_external_key`.
pub fn external_key_schema() -> Schema {
    external_material(key_common())
        .attr(
            "key_usage",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "key_spec",
            Attribute::optional_computed(Type::String).force_new(),
        )
        .attr(
            "multi_region",
            Attribute::optional_computed(Type::Bool).force_new(),
        )
}

/// `aws_kms_replica_key`.
pub fn replica_key_schema() -> Schema {
    key_common()
        .attr("key_id", Attribute::computed(Type::String))
        .attr("key_rotation_enabled", Attribute::computed(Type::Bool))
        .attr("key_usage", Attribute::computed(Type::String))
        .attr("key_spec", Attribute::computed(Type::String))
        .attr(
            "primary_key_arn",
            Attribute::required(Type::String).force_new(),
        )
}

/// `aws_kms_replica_external_key`.
pub fn replica_external_key_schema() -> Schema {
    external_material(key_common())
        .attr("key_id", Attribute::computed(Type::String))
        .attr("key_usage", Attribute::computed(Type::String))
        .attr(
            "primary_key_arn",
            Attribute::required(Type::String).force_new(),
        )
}

pub const PULL_THROUGH_CACHE_REASON: &str = "pull through cache rules (CreatePullThroughCacheRule and the calls around it) are not offered by the local emulator, so mlform cannot test them";

/// `aws_ecr_pull_through_cache_rule`.
pub fn pull_through_cache_rule_schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr(
            "ecr_repository_prefix",
            Attribute::required(Type::String).force_new(),
        )
        .attr(
            "upstream_registry_url",
            Attribute::required(Type::String).force_new(),
        )
        .attr("credential_arn", Attribute::optional(Type::String))
        .attr("custom_role_arn", Attribute::optional(Type::String))
        .attr(
            "upstream_repository_prefix",
            Attribute::optional_computed(Type::String),
        )
        .attr("registry_id", Attribute::computed(Type::String))
}

pub const CREATION_TEMPLATE_REASON: &str = "repository creation templates (CreateRepositoryCreationTemplate and the calls around it) are not offered by the local emulator, so mlform cannot test them";

/// `aws_ecr_repository_creation_template`.
pub fn repository_creation_template_schema() -> Schema {
    let encryption = Schema::new()
        .attr("encryption_type", Attribute::optional(Type::String))
        .attr("kms_key", Attribute::optional_computed(Type::String));
    let exclusion = Schema::new()
        .attr("filter", Attribute::required(Type::String))
        .attr("filter_type", Attribute::required(Type::String));
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("prefix", Attribute::required(Type::String).force_new())
        .attr("applied_for", Attribute::required(Type::set(Type::String)))
        .attr("custom_role_arn", Attribute::optional(Type::String))
        .attr("description", Attribute::optional(Type::String))
        .attr("image_tag_mutability", Attribute::optional(Type::String))
        .attr("lifecycle_policy", Attribute::optional(Type::String))
        .attr("repository_policy", Attribute::optional(Type::String))
        .attr(
            "resource_tags",
            Attribute::optional(Type::map(Type::String)),
        )
        .attr("registry_id", Attribute::computed(Type::String))
        .block(
            "encryption_configuration",
            NestedBlock {
                force_new: false,
                ..one(encryption, 0)
            },
        )
        .block(
            "image_tag_mutability_exclusion_filter",
            NestedBlock {
                nesting: Nesting::List,
                block: exclusion,
                min_items: 0,
                max_items: Some(5),
                force_new: false,
            },
        )
}

pub const ECR_PUBLIC_REASON: &str = "ECR Public (the ecr-public API behind public.ecr.aws) is not offered by the local emulator, so mlform cannot test it";

/// `aws_ecrpublic_repository`.
pub fn ecrpublic_repository_schema() -> Schema {
    let catalog = Schema::new()
        .attr("about_text", Attribute::optional(Type::String))
        .attr(
            "architectures",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr("description", Attribute::optional(Type::String))
        .attr(
            "logo_image_blob",
            Attribute::optional_computed(Type::String),
        )
        .attr(
            "operating_systems",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr("usage_text", Attribute::optional(Type::String));
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr(
            "repository_name",
            Attribute::required(Type::String).force_new(),
        )
        .attr("force_destroy", Attribute::optional(Type::Bool))
        .attr("arn", Attribute::computed(Type::String))
        .attr("registry_id", Attribute::computed(Type::String))
        .attr("repository_uri", Attribute::computed(Type::String))
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("tags_all", Attribute::computed(Type::map(Type::String)))
        .block(
            "catalog_data",
            NestedBlock {
                force_new: false,
                ..one(catalog, 0)
            },
        )
}

/// `aws_ecrpublic_repository_policy`.
pub fn ecrpublic_repository_policy_schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr(
            "repository_name",
            Attribute::required(Type::String).force_new(),
        )
        .attr("policy", Attribute::required(Type::String))
        .attr("registry_id", Attribute::computed(Type::String))
}
