//! IAM policy documents compared by meaning: key order, whitespace, a single-element array
//! against its element, and the order of actions, resources and principals do not matter.

use serde_json::Value as J;

/// A policy document as IAM returns it (URL-encoded) in plain JSON text.
pub fn decode(doc: &str) -> String {
    urlencoding::decode(doc)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| doc.to_string())
}

/// Normalizes a policy document to a canonical form.
pub fn canonical(doc: &J) -> J {
    match doc {
        J::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, v) in m {
                let v = match k.as_str() {
                    "Statement" => match v {
                        J::Array(items) => J::Array(items.iter().map(canonical).collect()),
                        single => J::Array(vec![canonical(single)]),
                    },
                    _ => canonical(v),
                };
                out.insert(k.clone(), v);
            }
            J::Object(out)
        }
        J::Array(items) => {
            let mut items: Vec<J> = items.iter().map(canonical).collect();
            if items.len() == 1 && !items[0].is_object() {
                return items.pop().expect("one item");
            }
            if items.iter().all(J::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                items.dedup();
            }
            J::Array(items)
        }
        other => other.clone(),
    }
}

/// True when two policy JSON strings mean the same policy.
pub fn equivalent(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<J>(a), serde_json::from_str::<J>(b)) {
        (Ok(x), Ok(y)) => canonical(&x) == canonical(&y),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_policies() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["b","a"]}]}"#;
        let b = r#"{ "Statement": {"Resource": ["a", "b"], "Action": "s3:GetObject", "Effect": "Allow"}, "Version": "2012-10-17" }"#;
        assert!(equivalent(a, b));
        assert!(!equivalent(a, &b.replace("GetObject", "PutObject")));
    }
}
