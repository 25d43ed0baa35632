//! The engine against an in-process fake provider whose "remote" objects can be changed
//! behind mlform's back: drift detection and rendering, objects deleted outside mlform,
//! force-new replacement by schema, data sources read at plan time or deferred to apply,
//! transient-error retries. The fake is an addition to the real-CLI tests, not a stand-in.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use mlform::engine::{events::Silent, Engine, Options, Registry};
use mlform::render::human::{render_plan, Style};
use mlform::state::local::LocalBackend;
use mlform::state::State;
use mlform_provider::{
    Attribute, Configured, DataSource, NestedBlock, Nesting, Provider, ProviderError,
    ProviderSchema, Resource, Schema, Type, Value,
};

type Store = Arc<Mutex<HashMap<String, Value>>>;

struct Fake {
    store: Store,
    flaky: Arc<AtomicU32>,
}

struct FakeConfigured {
    store: Store,
    flaky: Arc<AtomicU32>,
}

struct FakeObject {
    store: Store,
    flaky: Arc<AtomicU32>,
}

struct FakeLookup;

fn object_schema() -> Schema {
    Schema::new()
        .attr("id", Attribute::computed(Type::String))
        .attr("name", Attribute::required(Type::String).force_new())
        .attr("tags", Attribute::optional(Type::map(Type::String)))
        .attr("secret", Attribute::optional(Type::String).sensitive())
        .attr("size", Attribute::optional_computed(Type::Number))
        .block(
            "rule",
            NestedBlock {
                nesting: Nesting::List,
                block: Schema::new()
                    .attr("port", Attribute::required(Type::Number))
                    .attr("protocol", Attribute::optional(Type::String)),
                min_items: 0,
                max_items: None,
                force_new: false,
            },
        )
}

fn lookup_schema() -> Schema {
    Schema::new()
        .attr("key", Attribute::required(Type::String))
        .attr("value", Attribute::computed(Type::String))
}

#[async_trait::async_trait]
impl Provider for Fake {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn source(&self) -> &'static str {
        "example.com/test/fake"
    }
    fn schema(&self) -> ProviderSchema {
        let mut s = ProviderSchema::default();
        s.provider = Schema::new().attr("region", Attribute::optional(Type::String));
        s.resources.insert("fake_object".into(), object_schema());
        s.data_sources.insert("fake_lookup".into(), lookup_schema());
        s
    }
    async fn configure(&self, _config: &Value) -> Result<Arc<dyn Configured>, ProviderError> {
        Ok(Arc::new(FakeConfigured {
            store: self.store.clone(),
            flaky: self.flaky.clone(),
        }))
    }
}

impl Configured for FakeConfigured {
    fn resource(&self, t: &str) -> Option<Arc<dyn Resource>> {
        (t == "fake_object").then(|| {
            Arc::new(FakeObject {
                store: self.store.clone(),
                flaky: self.flaky.clone(),
            }) as Arc<dyn Resource>
        })
    }
    fn data_source(&self, t: &str) -> Option<Arc<dyn DataSource>> {
        (t == "fake_lookup").then(|| Arc::new(FakeLookup) as Arc<dyn DataSource>)
    }
}

#[async_trait::async_trait]
impl Resource for FakeObject {
    fn schema(&self) -> Schema {
        object_schema()
    }
    async fn read(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let id = prior
            .get_attr("id")
            .as_str()
            .unwrap_or_default()
            .to_string();
        Ok(self.store.lock().unwrap().get(&id).cloned())
    }
    async fn create(&self, planned: &Value) -> Result<Value, ProviderError> {
        if self.flaky.load(Ordering::SeqCst) > 0 {
            self.flaky.fetch_sub(1, Ordering::SeqCst);
            return Err(ProviderError::Transient("throttled".into()));
        }
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        let id = format!(
            "obj-{}",
            m.get("name").and_then(|v| v.as_str()).unwrap_or("x")
        );
        m.insert("id".into(), Value::from(id.as_str()));
        if m.get("size").is_none_or(|v| v.is_null() || v.is_unknown()) {
            m.insert("size".into(), Value::from(1i64));
        }
        let v = Value::Map(m);
        self.store.lock().unwrap().insert(id, v.clone());
        Ok(v)
    }
    async fn update(&self, prior: &Value, planned: &Value) -> Result<Value, ProviderError> {
        let id = prior
            .get_attr("id")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut m = planned.strip_marks().as_map().cloned().unwrap_or_default();
        m.insert("id".into(), Value::from(id.as_str()));
        if m.get("size").is_none_or(|v| v.is_null() || v.is_unknown()) {
            m.insert("size".into(), Value::from(1i64));
        }
        let v = Value::Map(m);
        self.store.lock().unwrap().insert(id, v.clone());
        Ok(v)
    }
    async fn delete(&self, prior: &Value) -> Result<(), ProviderError> {
        let id = prior
            .get_attr("id")
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.store.lock().unwrap().remove(&id);
        Ok(())
    }
    async fn import(&self, id: &str) -> Result<Option<Value>, ProviderError> {
        Ok(self.store.lock().unwrap().get(id).cloned())
    }
}

#[async_trait::async_trait]
impl DataSource for FakeLookup {
    fn schema(&self) -> Schema {
        lookup_schema()
    }
    async fn read(&self, config: &Value) -> Result<Value, ProviderError> {
        let key = config
            .get_attr("key")
            .as_str()
            .unwrap_or_default()
            .to_string();
        if key == "unreachable" {
            return Err(ProviderError::Api(
                "the lookup service is unreachable".into(),
            ));
        }
        Ok(Value::object([
            ("key", Value::from(key.as_str())),
            ("value", Value::from(format!("value-of-{key}"))),
        ]))
    }
}

struct Harness {
    dir: tempfile::TempDir,
    store: Store,
    flaky: Arc<AtomicU32>,
    state: State,
}

impl Harness {
    fn new(config: &str) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), config).unwrap();
        Harness {
            dir,
            store: Arc::default(),
            flaky: Arc::default(),
            state: State::default(),
        }
    }

    fn engine(&self) -> Engine {
        let mut sources = mlform::diag::Sources::default();
        let config = mlform::config::load(self.dir.path(), &mut sources).unwrap();
        let mut registry = Registry::builtin();
        registry.add(Arc::new(Fake {
            store: self.store.clone(),
            flaky: self.flaky.clone(),
        }));
        Engine {
            config,
            sources,
            root_dir: self.dir.path().to_path_buf(),
            registry,
            config_files: vec![],
            workspace: "default".into(),
            overrides: Default::default(),
            values_out: None,
            rollback: false,
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn plan(&self) -> mlform::plan::Plan {
        let e = self.engine();
        Self::rt()
            .block_on(e.plan(
                &self.state,
                &BTreeMap::new(),
                &Options::default(),
                &AtomicBool::new(false),
                &Silent,
            ))
            .map_err(|d| format!("{d:?}"))
            .unwrap()
            .0
    }

    fn apply(&mut self) -> mlform::plan::Plan {
        let plan = self.plan();
        let e = self.engine();
        let backend = LocalBackend::new(self.dir.path().join("mlform.tfstate"));
        let mut state = self.state.clone();
        if state.lineage.is_empty() {
            state.lineage = "test".into();
        }
        backend.write_snapshot(&state).unwrap();
        let journal = backend.open_journal(&state).unwrap();
        let result = Self::rt().block_on(e.apply(
            &plan,
            state,
            journal,
            4,
            &AtomicBool::new(false),
            &Silent,
        ));
        assert!(
            result.diagnostics.iter().all(|d| !d.is_error()),
            "{:?}",
            result.diagnostics
        );
        self.state = result.state;
        self.state.serial += 1;
        backend.write_snapshot(&self.state).unwrap();
        plan
    }
}

const CONFIG: &str = r#"
data "fake_lookup" "known" {
  key = "region"
}

resource "fake_object" "a" {
  name   = "alpha"
  tags   = { team = "ml", source = data.fake_lookup.known.value }
  secret = "hunter2"

  dynamic "rule" {
    for_each = [80, 443]
    content {
      port     = rule.value
      protocol = rule.key == 0 ? "http" : "https"
    }
  }
}

resource "fake_object" "b" {
  name = "beta-${fake_object.a.size}"
}

data "fake_lookup" "later" {
  key = fake_object.b.id
}
"#;

#[test]
fn drift_deletion_replacement_and_data_sources() {
    let mut h = Harness::new(CONFIG);
    let first = h.apply();
    let text = render_plan(&first, Style { color: false });
    assert!(text.contains("<= data \"fake_lookup\" \"later\""), "{text}");
    assert!(!text.contains("hunter2"));
    insta::assert_snapshot!("fake_first_plan", text);
    assert_eq!(h.store.lock().unwrap().len(), 2);
    assert_eq!(h.plan().has_changes(), false);

    // Someone edits a tag and deletes the other object outside mlform.
    {
        let mut store = h.store.lock().unwrap();
        let mut a = store["obj-alpha"].clone();
        if let Value::Map(m) = &mut a {
            m.insert(
                "tags".into(),
                Value::object([
                    ("team", Value::from("ml")),
                    ("source", Value::from("value-of-region")),
                    ("owner", Value::from("someone")),
                ]),
            );
        }
        store.insert("obj-alpha".into(), a);
        store.remove("obj-beta-1");
    }
    let plan = h.plan();
    let text = render_plan(&plan, Style { color: false });
    assert!(
        text.contains("Objects have changed outside of mlform"),
        "{text}"
    );
    assert!(text.contains("fake_object.b has been deleted"), "{text}");
    assert!(!text.contains("hunter2"));
    // As in Terraform 1.2+, only drift that can affect the plan is shown: b's id feeds a
    // data source and a's size feeds b, but nothing reads a's tags.
    let relevant: Vec<String> = plan
        .relevant_attributes
        .iter()
        .map(|r| {
            format!(
                "{}{}",
                r.resource,
                r.attribute
                    .iter()
                    .map(|a| format!(".{a}"))
                    .collect::<String>()
            )
        })
        .collect();
    assert_eq!(
        relevant,
        [
            "data.fake_lookup.known.value",
            "fake_object.a.size",
            "fake_object.b.id"
        ]
    );
    assert!(!text.contains("fake_object.a has changed"), "{text}");
    insta::assert_snapshot!("fake_drift_plan", text);
    h.apply();
    assert!(!h.plan().has_changes());

    // A force-new attribute replaces.
    std::fs::write(
        h.dir.path().join("main.tf"),
        CONFIG.replace("\"alpha\"", "\"alpha2\""),
    )
    .unwrap();
    let plan = h.plan();
    let text = render_plan(&plan, Style { color: false });
    assert!(
        text.contains("name = \"alpha\" -> \"alpha2\" # forces replacement"),
        "{text}"
    );
    insta::assert_snapshot!("fake_replace_plan", text);
}

#[test]
fn transient_errors_are_retried() {
    let mut h = Harness::new("resource \"fake_object\" \"a\" {\n  name = \"a\"\n}\n");
    h.flaky.store(2, Ordering::SeqCst);
    h.apply();
    assert_eq!(h.flaky.load(Ordering::SeqCst), 0);
    assert_eq!(h.store.lock().unwrap().len(), 1);
}

/// A data source scoped to a check block: a failed read or a failed assertion is a warning,
/// and the plan goes on.
#[test]
fn check_scoped_data_sources_warn_and_never_block() {
    let h = Harness::new(
        r#"
resource "fake_object" "a" {
  name = "alpha"
}

check "lookup_reachable" {
  data "fake_lookup" "probe" {
    key = "unreachable"
  }
  assert {
    condition     = data.fake_lookup.probe.value != ""
    error_message = "The lookup answered nothing."
  }
}

check "region_is_eu" {
  data "fake_lookup" "region" {
    key = "region"
  }
  assert {
    condition     = data.fake_lookup.region.value == "value-of-eu"
    error_message = "Expected the EU region, got ${data.fake_lookup.region.value}."
  }
}
"#,
    );
    let e = h.engine();
    let (plan, warnings) = Harness::rt()
        .block_on(e.plan(
            &h.state,
            &BTreeMap::new(),
            &Options::default(),
            &AtomicBool::new(false),
            &Silent,
        ))
        .map_err(|d| format!("{d:?}"))
        .unwrap();
    let summaries: Vec<(&str, &str)> = warnings
        .iter()
        .map(|d| (d.summary.as_str(), d.detail.as_str()))
        .collect();
    assert!(warnings.iter().all(|d| !d.is_error()), "{summaries:?}");
    assert!(
        summaries
            .iter()
            .any(|(s, d)| *s == "Check block data source failed" && d.contains("unreachable")),
        "{summaries:?}"
    );
    assert!(
        summaries.iter().any(|(s, d)| *s == "Check block assertion failed" && d.contains("got value-of-region")),
        "{summaries:?}"
    );
    let statuses: Vec<(String, mlform::plan::CheckStatus)> = plan
        .checks
        .iter()
        .map(|c| (c.address.clone(), c.status))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (
                "check.lookup_reachable".to_string(),
                mlform::plan::CheckStatus::Unknown
            ),
            (
                "check.region_is_eu".to_string(),
                mlform::plan::CheckStatus::Fail
            ),
        ]
    );
}
