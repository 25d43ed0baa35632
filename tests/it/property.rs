//! Property: for any random graph of terraform_data resources, apply followed by plan is a
//! no-op; and after any edit of inputs, apply again converges.

use proptest::prelude::*;

use crate::support::Workdir;

#[derive(Debug, Clone)]
struct Node {
    deps: Vec<usize>,
    literal: u32,
    counted: Option<u8>,
    trigger: bool,
}

fn graph() -> impl Strategy<Value = Vec<Node>> {
    (1usize..10).prop_flat_map(|n| {
        let nodes: Vec<_> = (0..n)
            .map(|i| {
                (
                    proptest::collection::vec(0..i.max(1), 0..=i.min(3)),
                    0u32..5,
                    proptest::option::of(0u8..3),
                    any::<bool>(),
                )
                    .prop_map(move |(deps, literal, counted, trigger)| Node {
                        deps: if i == 0 { vec![] } else { deps },
                        literal,
                        counted,
                        trigger,
                    })
            })
            .collect();
        nodes
    })
}

fn render(nodes: &[Node], salt: u32) -> String {
    let mut s = String::new();
    for (i, n) in nodes.iter().enumerate() {
        let refs: Vec<String> = n
            .deps
            .iter()
            .map(|d| match nodes[*d].counted {
                Some(_) => format!("length(terraform_data.r{d})"),
                None => format!("terraform_data.r{d}.output"),
            })
            .collect();
        s.push_str(&format!("resource \"terraform_data\" \"r{i}\" {{\n"));
        if let Some(c) = n.counted {
            s.push_str(&format!("  count = {c}\n"));
        }
        s.push_str(&format!(
            "  input = {{ literal = {}, deps = [{}] }}\n",
            n.literal + salt,
            refs.join(", ")
        ));
        if n.trigger {
            s.push_str(&format!(
                "  triggers_replace = {}\n",
                (n.literal + salt) % 2
            ));
        }
        s.push_str("}\n");
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn apply_then_plan_is_a_noop(nodes in graph(), salt in 0u32..3) {
        let w = Workdir::new();
        w.write("main.tf", &render(&nodes, 0));
        w.ok(&["apply", "-auto-approve"]);
        let plan = w.run(&["plan", "-detailed-exitcode"]);
        prop_assert_eq!(plan.code, 0, "{}", plan.stdout);
        w.write("main.tf", &render(&nodes, salt));
        w.ok(&["apply", "-auto-approve"]);
        let plan = w.run(&["plan", "-detailed-exitcode"]);
        prop_assert_eq!(plan.code, 0, "{}", plan.stdout);
    }
}
