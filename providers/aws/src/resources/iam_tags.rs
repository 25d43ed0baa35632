//! IAM tags in one place: to and from the SDK's `Tag`, and [`retag!`], the untag-then-tag
//! update every taggable IAM entity makes through its own pair of calls.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;
use mlform_provider::ProviderError;

/// Tags as a framework model holds them.
pub type Tags = Option<BTreeMap<String, String>>;

/// SDK tags from a tag map.
pub fn to_sdk(tags: &Tags) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .flatten()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<_, _>>()
        .map_err(|e| ProviderError::InvalidConfig(e.to_string()))
}

/// A tag map from SDK tags.
pub fn from_sdk(tags: &[Tag]) -> Tags {
    Some(
        tags.iter()
            .map(|t| (t.key().into(), t.value().into()))
            .collect(),
    )
}

/// Removes the keys `$remove` with the entity's `$untag` request, then sets the pairs
/// `$set` with its `$tag` request; `$entity` names the calls (`"User"` for iam:UntagUser
/// and iam:TagUser). Evaluates to `Ok(())`, for an `AwsResource::set_tags` body.
macro_rules! retag {
    ($untag:expr, $tag:expr, $entity:literal, $remove:expr, $set:expr) => {{
        let (remove, set): (Vec<String>, Vec<(String, String)>) = ($remove, $set);
        if !remove.is_empty() {
            let req = $untag.set_tag_keys(Some(remove)).send().await;
            req.call(concat!("iam:Untag", $entity))?;
        }
        if !set.is_empty() {
            let tags = $crate::resources::iam_tags::to_sdk(&Some(set.into_iter().collect()))?;
            let req = $tag.set_tags(Some(tags)).send().await;
            req.call(concat!("iam:Tag", $entity))?;
        }
        Ok(())
    }};
}
pub(crate) use retag;
