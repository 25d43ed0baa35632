//! Review of a plan for the people who approve it: IAM changes as permissions gained and
//! lost ([`permissions`]) and built-in policy checks with suppressions ([`checks`], over the
//! rule table in [`rules`]). Reads a plan; never plans or applies anything itself.

pub mod checks;
pub mod permissions;
pub mod rules;
