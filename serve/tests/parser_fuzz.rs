//! Property test over the request parsers: whatever a client sends (any JSON, any shape, any
//! binary part), parsing returns a tensor set that matches its shapes or a `BadRequest`, and
//! never panics or allocates for elements that were not sent; the fast path accepts nothing
//! the general one refuses, and reads what it accepts the same way.

use mlform_serve::tensor::{element_count, parse_rows, parse_v2_request, DType, IoSpec};
use mlform_serve::wire;
use proptest::prelude::*;
use serde_json::{json, Value as J};

fn specs() -> Vec<IoSpec> {
    vec![
        IoSpec {
            name: "x".into(),
            dtype: DType::F32,
            shape: vec![-1, 3],
        },
        IoSpec {
            name: "ids".into(),
            dtype: DType::I64,
            shape: vec![-1, 2],
        },
    ]
}

fn any_json() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z]{0,6}".prop_map(J::String),
        Just(json!("x")),
        Just(json!("FP32")),
        Just(json!("INT64")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name".to_string()),
                    Just("shape".to_string()),
                    Just("datatype".to_string()),
                    Just("data".to_string()),
                    Just("parameters".to_string()),
                    Just("binary_data_size".to_string()),
                    "[a-z]{1,4}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| J::Object(m.into_iter().collect())),
        ]
    })
}

fn tensor() -> impl Strategy<Value = J> {
    (
        prop_oneof![Just("x"), Just("ids"), Just("y")],
        prop_oneof![Just("FP32"), Just("INT64"), Just("BOOL")],
        prop::collection::vec(
            prop_oneof![any::<i64>(), 0i64..4, Just(i64::MAX), Just(1i64 << 58)],
            0..4,
        ),
        any_json(),
        prop::option::of(prop_oneof![any::<u64>(), 0u64..64]),
    )
        .prop_map(|(name, dt, shape, data, size)| {
            let mut t = json!({"name": name, "datatype": dt, "shape": shape, "data": data});
            if let Some(size) = size {
                t["parameters"] = json!({"binary_data_size": size});
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn any_json_body_parses_or_is_a_bad_request(body in any_json(), binary in prop::collection::vec(any::<u8>(), 0..80)) {
        let _ = parse_v2_request(&body, &specs(), Some(&binary));
        let _ = parse_v2_request(&body, &specs(), None);
        let _ = parse_rows(&body, &specs()[..1]);
    }

    #[test]
    fn accepted_tensors_match_their_shapes(
        tensors in prop::collection::vec(tensor(), 0..3),
        binary in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let body = json!({"inputs": tensors});
        if let Ok(req) = parse_v2_request(&body, &specs(), Some(&binary)) {
            prop_assert_eq!(req.inputs.len(), 2);
            for t in &req.inputs {
                prop_assert_eq!(element_count(&t.name, &t.shape).unwrap(), t.data.len());
            }
        }
    }

    #[test]
    fn the_fast_path_agrees_with_the_general_one(
        tensors in prop::collection::vec(tensor(), 0..3),
        binary in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let body = json!({"inputs": tensors});
        let bytes = body.to_string().into_bytes();
        for bin in [None, Some(binary.as_slice())] {
            if let Some(fast) = wire::parse_v2(&bytes, &specs(), bin) {
                let general = parse_v2_request(&body, &specs(), bin);
                prop_assert!(general.is_ok(), "fast accepted what the general path refuses: {body}");
                prop_assert_eq!(fast.inputs, general.unwrap().inputs);
            }
        }
        if let Some(fast) = wire::parse_rows(&bytes, &specs()[..1]) {
            prop_assert_eq!(Some(fast), parse_rows(&body, &specs()[..1]).ok());
        }
    }
}
