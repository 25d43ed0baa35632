//! Review of a plan for the people who approve it: IAM changes as permissions gained and
//! lost ([`permissions`]) and built-in policy checks with suppressions ([`checks`]). Reads a
//! plan; never plans or applies anything itself.

pub mod checks;
pub mod permissions;
