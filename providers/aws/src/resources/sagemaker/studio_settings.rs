//! The SageMaker Studio user settings block, shared by a domain's `default_user_settings`
//! and a user profile's `user_settings`: execution role, security groups, sharing, the
//! Jupyter / JupyterLab / kernel gateway / TensorBoard app settings, the space storage
//! defaults and the landing page, in terraform-provider-aws's names. One model, one schema,
//! one mapping each way.

use aws_sdk_sagemaker::types::{
    AppInstanceType, CustomImage, DefaultEbsStorageSettings, DefaultSpaceStorageSettings,
    JupyterLabAppSettings, JupyterServerAppSettings, KernelGatewayAppSettings,
    NotebookOutputOption, ResourceSpec, SharingSettings, StudioWebPortal, TensorBoardAppSettings,
    UserSettings,
};
use mlform_provider::{Attribute, NestedBlock, Nesting, Schema, Type};
use serde::{Deserialize, Serialize};

use crate::framework::list_of_one as one;

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
pub struct Settings {
    execution_role: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    security_groups: Vec<String>,
    default_landing_uri: Option<String>,
    studio_web_portal: Option<String>,
    sharing_settings: Vec<Sharing>,
    jupyter_server_app_settings: Vec<AppSettings>,
    jupyter_lab_app_settings: Vec<AppSettings>,
    kernel_gateway_app_settings: Vec<AppSettings>,
    tensor_board_app_settings: Vec<AppSettings>,
    space_storage_settings: Vec<SpaceStorage>,
}

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
struct Sharing {
    notebook_output_option: Option<String>,
    s3_kms_key_id: Option<String>,
    s3_output_path: Option<String>,
}

/// Any app's settings; each app takes the parts its schema declares.
#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
struct AppSettings {
    default_resource_spec: Vec<Spec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lifecycle_config_arns: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_image: Option<Vec<Image>>,
}

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
struct Spec {
    instance_type: Option<String>,
    lifecycle_config_arn: Option<String>,
    sagemaker_image_arn: Option<String>,
    sagemaker_image_version_alias: Option<String>,
    sagemaker_image_version_arn: Option<String>,
}

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
struct Image {
    app_image_config_name: String,
    image_name: String,
    image_version_number: Option<i32>,
}

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
struct SpaceStorage {
    default_ebs_storage_settings: Vec<Ebs>,
}

#[derive(Serialize, Deserialize, Default, Clone, PartialEq)]
#[serde(default)]
struct Ebs {
    default_ebs_volume_size_in_gb: i32,
    maximum_ebs_volume_size_in_gb: i32,
}

fn spec_schema() -> Schema {
    let text = || Attribute::optional(Type::String);
    Schema::new()
        .attr("instance_type", text())
        .attr("lifecycle_config_arn", text())
        .attr("sagemaker_image_arn", text())
        .attr("sagemaker_image_version_alias", text())
        .attr("sagemaker_image_version_arn", text())
}

fn app_schema(lifecycle: bool, images: bool) -> Schema {
    let mut s = Schema::new().block("default_resource_spec", one(spec_schema(), false));
    if lifecycle {
        s = s.attr(
            "lifecycle_config_arns",
            Attribute::optional(Type::set(Type::String)),
        );
    }
    if images {
        let image = Schema::new()
            .attr("app_image_config_name", Attribute::required(Type::String))
            .attr("image_name", Attribute::required(Type::String))
            .attr("image_version_number", Attribute::optional(Type::Number));
        s = s.block(
            "custom_image",
            NestedBlock {
                nesting: Nesting::List,
                block: image,
                min_items: 0,
                max_items: Some(200),
                force_new: false,
            },
        );
    }
    s
}

/// The block's schema; `execution_role` is required in a domain's defaults.
pub fn schema(role_required: bool) -> Schema {
    let sharing = Schema::new()
        .attr(
            "notebook_output_option",
            Attribute::optional(Type::String).default("Disabled"),
        )
        .attr("s3_kms_key_id", Attribute::optional(Type::String))
        .attr("s3_output_path", Attribute::optional(Type::String));
    let ebs = Schema::new()
        .attr(
            "default_ebs_volume_size_in_gb",
            Attribute::required(Type::Number),
        )
        .attr(
            "maximum_ebs_volume_size_in_gb",
            Attribute::required(Type::Number),
        );
    let role = if role_required {
        Attribute::required(Type::String)
    } else {
        Attribute::optional(Type::String)
    };
    Schema::new()
        .attr("execution_role", role)
        .attr(
            "security_groups",
            Attribute::optional(Type::set(Type::String)),
        )
        .attr(
            "default_landing_uri",
            Attribute::optional_computed(Type::String),
        )
        .attr(
            "studio_web_portal",
            Attribute::optional_computed(Type::String),
        )
        .block("sharing_settings", one(sharing, false))
        .block(
            "jupyter_server_app_settings",
            one(app_schema(true, false), false),
        )
        .block(
            "jupyter_lab_app_settings",
            one(app_schema(true, true), false),
        )
        .block(
            "kernel_gateway_app_settings",
            one(app_schema(true, true), false),
        )
        .block(
            "tensor_board_app_settings",
            one(app_schema(false, false), false),
        )
        .block(
            "space_storage_settings",
            one(
                Schema::new().block("default_ebs_storage_settings", one(ebs, false)),
                false,
            ),
        )
}

fn spec_to_sdk(s: &[Spec]) -> Option<ResourceSpec> {
    s.first().map(|s| {
        ResourceSpec::builder()
            .set_instance_type(s.instance_type.as_deref().map(AppInstanceType::from))
            .set_lifecycle_config_arn(s.lifecycle_config_arn.clone())
            .set_sage_maker_image_arn(s.sagemaker_image_arn.clone())
            .set_sage_maker_image_version_alias(s.sagemaker_image_version_alias.clone())
            .set_sage_maker_image_version_arn(s.sagemaker_image_version_arn.clone())
            .build()
    })
}

fn images_to_sdk(a: &AppSettings) -> Option<Vec<CustomImage>> {
    a.custom_image
        .as_ref()
        .filter(|i| !i.is_empty())
        .map(|images| {
            images
                .iter()
                .map(|i| {
                    CustomImage::builder()
                        .app_image_config_name(&i.app_image_config_name)
                        .image_name(&i.image_name)
                        .set_image_version_number(i.image_version_number)
                        .build()
                })
                .collect()
        })
}

fn arns(a: &AppSettings) -> Option<Vec<String>> {
    a.lifecycle_config_arns.clone().filter(|v| !v.is_empty())
}

impl Settings {
    /// The settings as SageMaker takes them.
    pub fn to_sdk(&self) -> UserSettings {
        UserSettings::builder()
            .set_execution_role(self.execution_role.clone())
            .set_security_groups(Some(self.security_groups.clone()).filter(|v| !v.is_empty()))
            .set_default_landing_uri(self.default_landing_uri.clone())
            .set_studio_web_portal(self.studio_web_portal.as_deref().map(StudioWebPortal::from))
            .set_sharing_settings(self.sharing_settings.first().map(|s| {
                SharingSettings::builder()
                    .set_notebook_output_option(
                        s.notebook_output_option
                            .as_deref()
                            .map(NotebookOutputOption::from),
                    )
                    .set_s3_kms_key_id(s.s3_kms_key_id.clone())
                    .set_s3_output_path(s.s3_output_path.clone())
                    .build()
            }))
            .set_jupyter_server_app_settings(self.jupyter_server_app_settings.first().map(|a| {
                JupyterServerAppSettings::builder()
                    .set_default_resource_spec(spec_to_sdk(&a.default_resource_spec))
                    .set_lifecycle_config_arns(arns(a))
                    .build()
            }))
            .set_jupyter_lab_app_settings(self.jupyter_lab_app_settings.first().map(|a| {
                JupyterLabAppSettings::builder()
                    .set_default_resource_spec(spec_to_sdk(&a.default_resource_spec))
                    .set_lifecycle_config_arns(arns(a))
                    .set_custom_images(images_to_sdk(a))
                    .build()
            }))
            .set_kernel_gateway_app_settings(self.kernel_gateway_app_settings.first().map(|a| {
                KernelGatewayAppSettings::builder()
                    .set_default_resource_spec(spec_to_sdk(&a.default_resource_spec))
                    .set_lifecycle_config_arns(arns(a))
                    .set_custom_images(images_to_sdk(a))
                    .build()
            }))
            .set_tensor_board_app_settings(self.tensor_board_app_settings.first().map(|a| {
                TensorBoardAppSettings::builder()
                    .set_default_resource_spec(spec_to_sdk(&a.default_resource_spec))
                    .build()
            }))
            .set_space_storage_settings(self.space_storage_settings.first().map(|s| {
                DefaultSpaceStorageSettings::builder()
                    .set_default_ebs_storage_settings(s.default_ebs_storage_settings.first().map(
                        |e| {
                            DefaultEbsStorageSettings::builder()
                                .default_ebs_volume_size_in_gb(e.default_ebs_volume_size_in_gb)
                                .maximum_ebs_volume_size_in_gb(e.maximum_ebs_volume_size_in_gb)
                                .build()
                        },
                    ))
                    .build()
            }))
            .build()
    }

    /// The settings as SageMaker describes them.
    pub fn from_sdk(u: &UserSettings) -> Settings {
        let spec = |s: Option<&ResourceSpec>| -> Vec<Spec> {
            s.map(|s| Spec {
                instance_type: s.instance_type().map(|t| t.as_str().to_string()),
                lifecycle_config_arn: s.lifecycle_config_arn().map(str::to_string),
                sagemaker_image_arn: s.sage_maker_image_arn().map(str::to_string),
                sagemaker_image_version_alias: s
                    .sage_maker_image_version_alias()
                    .map(str::to_string),
                sagemaker_image_version_arn: s.sage_maker_image_version_arn().map(str::to_string),
            })
            .into_iter()
            .collect()
        };
        // An app's settings; `None` for the parts the app does not have.
        let app = |spec_in: Option<&ResourceSpec>,
                   lifecycle: Option<&[String]>,
                   images: Option<&[CustomImage]>| AppSettings {
            default_resource_spec: spec(spec_in),
            lifecycle_config_arns: lifecycle.map(<[String]>::to_vec).filter(|l| !l.is_empty()),
            custom_image: images.map(|i| {
                i.iter()
                    .map(|i| Image {
                        app_image_config_name: i.app_image_config_name().unwrap_or_default().into(),
                        image_name: i.image_name().unwrap_or_default().into(),
                        image_version_number: i.image_version_number(),
                    })
                    .collect()
            }),
        };
        Settings {
            execution_role: u.execution_role().map(str::to_string),
            security_groups: u.security_groups().to_vec(),
            default_landing_uri: u.default_landing_uri().map(str::to_string),
            studio_web_portal: u.studio_web_portal().map(|s| s.as_str().to_string()),
            sharing_settings: u
                .sharing_settings()
                .map(|s| Sharing {
                    notebook_output_option: s
                        .notebook_output_option()
                        .map(|o| o.as_str().to_string()),
                    s3_kms_key_id: s.s3_kms_key_id().map(str::to_string),
                    s3_output_path: s.s3_output_path().map(str::to_string),
                })
                .into_iter()
                .collect(),
            jupyter_server_app_settings: u
                .jupyter_server_app_settings()
                .map(|a| {
                    app(
                        a.default_resource_spec(),
                        Some(a.lifecycle_config_arns()),
                        None,
                    )
                })
                .into_iter()
                .collect(),
            jupyter_lab_app_settings: u
                .jupyter_lab_app_settings()
                .map(|a| {
                    app(
                        a.default_resource_spec(),
                        Some(a.lifecycle_config_arns()),
                        Some(a.custom_images()),
                    )
                })
                .into_iter()
                .collect(),
            kernel_gateway_app_settings: u
                .kernel_gateway_app_settings()
                .map(|a| {
                    app(
                        a.default_resource_spec(),
                        Some(a.lifecycle_config_arns()),
                        Some(a.custom_images()),
                    )
                })
                .into_iter()
                .collect(),
            tensor_board_app_settings: u
                .tensor_board_app_settings()
                .map(|a| app(a.default_resource_spec(), None, None))
                .into_iter()
                .collect(),
            space_storage_settings: u
                .space_storage_settings()
                .map(|s| SpaceStorage {
                    default_ebs_storage_settings: s
                        .default_ebs_storage_settings()
                        .map(|e| Ebs {
                            default_ebs_volume_size_in_gb: e
                                .default_ebs_volume_size_in_gb()
                                .unwrap_or_default(),
                            maximum_ebs_volume_size_in_gb: e
                                .maximum_ebs_volume_size_in_gb()
                                .unwrap_or_default(),
                        })
                        .into_iter()
                        .collect(),
                })
                .into_iter()
                .collect(),
        }
    }
}
