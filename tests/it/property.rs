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

/// One item of a random configuration: a root resource or a call of the shared module.
#[derive(Debug, Clone)]
struct Item {
    module: bool,
    /// Earlier items this one reads a value from.
    refs: Vec<usize>,
    /// Earlier items this one names in depends_on.
    depends_on: Vec<usize>,
    /// 0: single, 1: count, 2: for_each.
    repeat: u8,
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    (1usize..8).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                (
                    any::<bool>(),
                    proptest::collection::vec(0..i.max(1), 0..=i.min(2)),
                    proptest::collection::vec(0..i.max(1), 0..=i.min(1)),
                    0u8..3,
                )
                    .prop_map(move |(module, refs, depends_on, repeat)| Item {
                        module,
                        refs: if i == 0 { vec![] } else { refs },
                        depends_on: if i == 0 { vec![] } else { depends_on },
                        repeat,
                    })
            })
            .collect::<Vec<_>>()
    })
}

const SHARED_MODULE: &str = r#"
variable "upstream" {
  type    = any
  default = null
}
variable "literal" {
  type = number
}
resource "terraform_data" "inner" {
  input = { upstream = var.upstream, literal = var.literal }
}
resource "terraform_data" "free" {
  input = "static"
}
output "out" {
  value = terraform_data.inner.output
}
"#;

fn render_items(items: &[Item], salt: u32) -> String {
    let name = |i: usize| {
        if items[i].module {
            format!("module.m{i}")
        } else {
            format!("terraform_data.r{i}")
        }
    };
    // A value read from an earlier item, whatever its repetition.
    let value = |i: usize| match (items[i].module, items[i].repeat) {
        (true, 0) => format!("module.m{i}.out"),
        (true, 1) => format!("module.m{i}[*].out"),
        (true, _) => format!("[for k, m in module.m{i} : m.out]"),
        (false, 0) => format!("terraform_data.r{i}.output"),
        (false, 1) => format!("terraform_data.r{i}[*].output"),
        (false, _) => format!("[for k, r in terraform_data.r{i} : r.output]"),
    };
    let mut s = String::new();
    for (i, it) in items.iter().enumerate() {
        let refs: Vec<String> = it.refs.iter().map(|d| value(*d)).collect();
        let deps: Vec<String> = it.depends_on.iter().map(|d| name(*d)).collect();
        let repeat = match it.repeat {
            1 => "  count = 2\n".to_string(),
            2 => "  for_each = toset([\"a\", \"b\"])\n".to_string(),
            _ => String::new(),
        };
        if it.module {
            s.push_str(&format!(
                "module \"m{i}\" {{\n  source = \"./shared\"\n{repeat}  literal = {}\n  upstream = [{}]\n  depends_on = [{}]\n}}\n",
                i as u32 + salt,
                refs.join(", "),
                deps.join(", ")
            ));
        } else {
            s.push_str(&format!(
                "resource \"terraform_data\" \"r{i}\" {{\n{repeat}  input = {{ literal = {}, refs = [{}] }}\n  depends_on = [{}]\n}}\n",
                i as u32 + salt,
                refs.join(", "),
                deps.join(", ")
            ));
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, failure_persistence: None, ..ProptestConfig::default() })]

    /// Modules wired to resources, to other modules' outputs and through depends_on, with
    /// count and for_each: apply, re-plan clean, change an input, apply, re-plan clean,
    /// destroy.
    #[test]
    fn modules_wired_to_resources_apply_and_destroy(items in items(), salt in 1u32..3) {
        let w = Workdir::new();
        w.write("shared/main.tf", SHARED_MODULE);
        w.write("main.tf", &render_items(&items, 0));
        w.ok(&["apply", "-auto-approve"]);
        let plan = w.run(&["plan", "-detailed-exitcode"]);
        prop_assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
        w.write("main.tf", &render_items(&items, salt));
        w.ok(&["apply", "-auto-approve"]);
        let plan = w.run(&["plan", "-detailed-exitcode"]);
        prop_assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
        w.ok(&["destroy", "-auto-approve"]);
        prop_assert!(w.addresses().is_empty());
    }
}
