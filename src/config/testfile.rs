//! Test files (`*.tftest.hcl`) as `terraform test` reads them: file-level `variables`,
//! `provider` and `mock_provider` blocks, overrides, and `run` blocks with their asserts and
//! expected failures. Expressions stay unevaluated; `mlform test` evaluates them per run.

use super::*;
use crate::addr::{parse_target, Target};

/// One test file.
#[derive(Debug, Clone, Default)]
pub struct TestFile {
    /// The path shown in results, relative to the configuration directory.
    pub name: String,
    pub variables: Vec<(String, Expr)>,
    pub providers: Vec<TestProvider>,
    pub overrides: Vec<OverrideBlock>,
    pub runs: Vec<RunBlock>,
}

/// A `provider` or `mock_provider` block of a test file.
#[derive(Debug, Clone)]
pub struct TestProvider {
    pub name: String,
    pub alias: Option<String>,
    /// The block body (a real provider's configuration).
    pub body: BodyRef,
    /// Set for `mock_provider`.
    pub mock: Option<MockBlock>,
    pub span: Option<Span>,
}

#[derive(Debug, Clone, Default)]
pub struct MockBlock {
    pub resources: Vec<MockDefault>,
    pub data: Vec<MockDefault>,
    /// Overrides that apply to the objects of this provider.
    pub overrides: Vec<OverrideBlock>,
}

/// `mock_resource "TYPE"` or `mock_data "TYPE"`.
#[derive(Debug, Clone)]
pub struct MockDefault {
    pub type_name: String,
    pub defaults: Option<Expr>,
    pub during_plan: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideKind {
    Resource,
    Data,
    Module,
}

/// `override_resource`, `override_data` or `override_module`.
#[derive(Debug, Clone)]
pub struct OverrideBlock {
    pub kind: OverrideKind,
    pub target: Target,
    /// `values` (resources and data) or `outputs` (modules).
    pub values: Option<Expr>,
    pub during_plan: bool,
    pub span: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunCommand {
    Plan,
    Apply,
}

/// One `run` block.
#[derive(Debug, Clone)]
pub struct RunBlock {
    pub name: String,
    pub command: RunCommand,
    pub variables: Vec<(String, Expr)>,
    /// `module { source }`: the module this run executes instead of the configuration.
    pub module: Option<(String, Option<Span>)>,
    pub asserts: Vec<Check>,
    pub expect_failures: Vec<(String, Option<Span>)>,
    pub refresh_only: bool,
    pub refresh: bool,
    pub replace: Vec<Target>,
    pub target: Vec<Target>,
    /// `providers = { aws = aws.fake }`: the module's provider name → the test file's.
    pub providers: Vec<(String, ProviderRef)>,
    pub overrides: Vec<OverrideBlock>,
    /// Runs with the same key share one state; default: the module source.
    pub state_key: Option<String>,
    pub span: Option<Span>,
}

/// Parses one test file; `mock_provider` sources (`*.tfmock.hcl`) are read relative to `dir`.
pub fn parse_test_file(
    name: &str,
    path: &Path,
    dir: &Path,
    sources: &mut Sources,
) -> Result<TestFile, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![Diagnostic::error(
            "Failed to read test file",
            format!("Could not read {}: {e}.", path.display()),
        )]
    })?;
    let file = sources.add(name.to_string(), path.to_path_buf(), text);
    let text = sources.get(file).text.clone();
    let body = parse_hcl(&text, file).map_err(|d| vec![d])?;
    let mut diags = Vec::new();
    let mut out = TestFile {
        name: name.to_string(),
        ..TestFile::default()
    };
    let mut run_names: BTreeMap<String, ()> = BTreeMap::new();
    for s in body.iter() {
        let block = match s {
            Structure::Attribute(a) => {
                diags.push(
                    Diagnostic::error(
                        "Unsupported argument",
                        format!("An argument named \"{}\" is not expected at the top level of a test file.", a.key.as_str()),
                    )
                    .at(blocks::span_of(file, &a.key))
                    .hint("Test files hold run, variables, provider, mock_provider and override_* blocks."),
                );
                continue;
            }
            Structure::Block(b) => b,
        };
        match block.ident.as_str() {
            "variables" => out.variables.extend(assignments(file, block, &mut diags)),
            "run" => {
                let Some(l) = blocks::labels(file, block, 1, "the run name", &mut diags) else {
                    continue;
                };
                let name = l[0].clone();
                if run_names.contains_key(&name) {
                    diags.push(
                        Diagnostic::error(
                            "Duplicate \"run\" block names",
                            format!("This test file already has a run block named \"{name}\"."),
                        )
                        .at(blocks::block_span(file, block))
                        .hint("Rename one of them: later runs refer to runs by name."),
                    );
                    continue;
                }
                run_names.insert(name.clone(), ());
                if let Some(run) = run_block(file, block, name, &mut diags) {
                    out.runs.push(run);
                }
            }
            "provider" | "mock_provider" => {
                let Some(l) = blocks::labels(file, block, 1, "the provider name", &mut diags)
                else {
                    continue;
                };
                let alias = block
                    .body
                    .get_attribute("alias")
                    .and_then(|a| literal_string(&a.value));
                let mock = if block.ident.as_str() == "mock_provider" {
                    Some(mock_block(file, block, dir, sources, &mut diags))
                } else {
                    None
                };
                out.providers.push(TestProvider {
                    name: l[0].clone(),
                    alias,
                    body: BodyRef {
                        file,
                        body: block.body.clone(),
                    },
                    mock,
                    span: blocks::block_span(file, block),
                });
            }
            "override_resource" | "override_data" | "override_module" => {
                if let Some(o) = override_block(file, block, false, &mut diags) {
                    out.overrides.push(o);
                }
            }
            "test" => diags.push(
                Diagnostic::error(
                    "Unsupported block type",
                    "The `test` block (parallel runs, Terraform 1.12) is not supported by mlform test yet; runs execute in order.",
                )
                .at(blocks::block_span(file, block))
                .hint("Remove the test block."),
            ),
            other => diags.push(
                Diagnostic::error(
                    "Unsupported block type",
                    format!("Blocks of type \"{other}\" are not expected in a test file."),
                )
                .at(blocks::block_span(file, block))
                .hint(
                    did_you_mean(
                        other,
                        [
                            "run",
                            "variables",
                            "provider",
                            "mock_provider",
                            "override_resource",
                            "override_data",
                            "override_module",
                        ],
                    )
                    .unwrap_or_else(|| "Test files hold run, variables, provider, mock_provider and override_* blocks.".into()),
                ),
            ),
        }
    }
    if diags.iter().any(Diagnostic::is_error) {
        Err(diags)
    } else {
        Ok(out)
    }
}

fn assignments(file: FileId, block: &Block, diags: &mut Vec<Diagnostic>) -> Vec<(String, Expr)> {
    let mut out = Vec::new();
    for s in block.body.iter() {
        match s {
            Structure::Attribute(a) => out.push((
                a.key.as_str().to_string(),
                Expr {
                    file,
                    expr: a.value.clone(),
                },
            )),
            Structure::Block(b) => diags.push(
                Diagnostic::error(
                    "Unsupported block type",
                    "A variables block holds only assignments (name = value).",
                )
                .at(blocks::block_span(file, b)),
            ),
        }
    }
    out
}

/// `plan` or `apply` written as a bare word (as Terraform writes them) or a string.
fn keyword(attr: &Attribute) -> Option<String> {
    literal_string(&attr.value).or_else(|| {
        let text = attr.value.to_string();
        let t = text.trim();
        is_identifier(t).then(|| t.to_string())
    })
}

fn during(file: FileId, body: &Body, inherited: bool, diags: &mut Vec<Diagnostic>) -> bool {
    let Some(a) = body.get_attribute("override_during") else {
        return inherited;
    };
    match keyword(a).as_deref() {
        Some("plan") => true,
        Some("apply") => false,
        _ => {
            diags.push(
                Diagnostic::error(
                    "Invalid override_during value",
                    "override_during must be plan or apply.",
                )
                .at(blocks::span_of(file, &a.value)),
            );
            inherited
        }
    }
}

fn expr_attr(file: FileId, body: &Body, name: &str) -> Option<Expr> {
    body.get_attribute(name).map(|a| Expr {
        file,
        expr: a.value.clone(),
    })
}

fn override_block(
    file: FileId,
    block: &Block,
    inherited_during: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<OverrideBlock> {
    let kind = match block.ident.as_str() {
        "override_resource" => OverrideKind::Resource,
        "override_data" => OverrideKind::Data,
        _ => OverrideKind::Module,
    };
    let value_name = if kind == OverrideKind::Module {
        "outputs"
    } else {
        "values"
    };
    blocks::check_known_args(
        file,
        &block.body,
        &["target", value_name, "override_during"],
        &[],
        block.ident.as_str(),
        diags,
    );
    let Some(t) = block.body.get_attribute("target") else {
        diags.push(
            Diagnostic::error(
                "Missing required argument",
                format!(
                    "The {} block needs a `target` argument.",
                    block.ident.as_str()
                ),
            )
            .at(blocks::block_span(file, block)),
        );
        return None;
    };
    let target = match parse_target(t.value.to_string().trim()) {
        Ok(t) => t,
        Err(e) => {
            diags.push(
                Diagnostic::error("Invalid override target", e.to_string())
                    .at(blocks::span_of(file, &t.value)),
            );
            return None;
        }
    };
    let fits = match (&target, kind) {
        (Target::Module(m), OverrideKind::Module) => m.iter().all(|(_, k)| k.is_none()),
        (Target::Resource(m, r), OverrideKind::Resource) => {
            r.mode == Mode::Managed && m.iter().all(|(_, k)| k.is_none())
        }
        (Target::Resource(m, r), OverrideKind::Data) => {
            r.mode == Mode::Data && m.iter().all(|(_, k)| k.is_none())
        }
        // One instance of a resource, as terraform test allows; data sources are read whole.
        (Target::Instance(a), OverrideKind::Resource) => {
            a.resource.mode == Mode::Managed && a.module.iter().all(|(_, k)| k.is_none())
        }
        _ => false,
    };
    if !fits {
        diags.push(
            Diagnostic::error(
                "Invalid override target",
                format!(
                    "The target of {} must be {}, without module instance keys.",
                    block.ident.as_str(),
                    match kind {
                        OverrideKind::Resource => "a managed resource or one of its instances, such as aws_s3_bucket.b or aws_s3_bucket.b[0]",
                        OverrideKind::Data => "a data source, such as data.aws_region.current",
                        OverrideKind::Module => "a module call, such as module.network",
                    }
                ),
            )
            .at(blocks::span_of(file, &t.value))
            .hint("Module instance keys are not taken: an override applies to every instance of its module."),
        );
        return None;
    }
    Some(OverrideBlock {
        kind,
        target,
        values: expr_attr(file, &block.body, value_name),
        during_plan: during(file, &block.body, inherited_during, diags),
        span: blocks::block_span(file, block),
    })
}

fn mock_block(
    file: FileId,
    block: &Block,
    dir: &Path,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> MockBlock {
    let mut mock = MockBlock::default();
    let during_plan = during(file, &block.body, false, diags);
    blocks::check_known_args(
        file,
        &block.body,
        &["alias", "source", "override_during"],
        &[
            "mock_resource",
            "mock_data",
            "override_resource",
            "override_data",
        ],
        "mock_provider",
        diags,
    );
    mock_entries(file, &block.body, during_plan, &mut mock, diags);
    if let Some(a) = block.body.get_attribute("source") {
        let Some(rel) = literal_string(&a.value) else {
            diags.push(
                Diagnostic::error("Invalid mock source", "source must be a literal path.")
                    .at(blocks::span_of(file, &a.value)),
            );
            return mock;
        };
        let mock_dir = dir.join(&rel);
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(&mock_dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".tfmock.hcl"))
                .collect(),
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        "Invalid mock source",
                        format!("Could not read the mock data directory {rel}: {e}."),
                    )
                    .at(blocks::span_of(file, &a.value)),
                );
                return mock;
            }
        };
        paths.sort();
        for path in paths {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    diags.push(Diagnostic::error(
                        "Failed to read mock data",
                        format!("Could not read {}: {e}.", path.display()),
                    ));
                    continue;
                }
            };
            let name = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .to_string();
            let mfile = sources.add(name, path.clone(), text);
            let text = sources.get(mfile).text.clone();
            match parse_hcl(&text, mfile) {
                Ok(body) => {
                    blocks::check_known_args(
                        mfile,
                        &body,
                        &[],
                        &[
                            "mock_resource",
                            "mock_data",
                            "override_resource",
                            "override_data",
                        ],
                        "mock data file",
                        diags,
                    );
                    mock_entries(mfile, &body, during_plan, &mut mock, diags);
                }
                Err(d) => diags.push(d),
            }
        }
    }
    mock
}

fn mock_entries(
    file: FileId,
    body: &Body,
    during_plan: bool,
    mock: &mut MockBlock,
    diags: &mut Vec<Diagnostic>,
) {
    for b in body.blocks() {
        match b.ident.as_str() {
            "mock_resource" | "mock_data" => {
                let Some(l) = blocks::labels(file, b, 1, "the type name", diags) else {
                    continue;
                };
                blocks::check_known_args(
                    file,
                    &b.body,
                    &["defaults", "override_during"],
                    &[],
                    b.ident.as_str(),
                    diags,
                );
                let entry = MockDefault {
                    type_name: l[0].clone(),
                    defaults: expr_attr(file, &b.body, "defaults"),
                    during_plan: during(file, &b.body, during_plan, diags),
                };
                if b.ident.as_str() == "mock_resource" {
                    mock.resources.push(entry);
                } else {
                    mock.data.push(entry);
                }
            }
            "override_resource" | "override_data" => {
                if let Some(o) = override_block(file, b, during_plan, diags) {
                    mock.overrides.push(o);
                }
            }
            _ => {}
        }
    }
}

fn run_block(
    file: FileId,
    block: &Block,
    name: String,
    diags: &mut Vec<Diagnostic>,
) -> Option<RunBlock> {
    let what = format!("run \"{name}\"");
    blocks::check_known_args(
        file,
        &block.body,
        &[
            "command",
            "providers",
            "expect_failures",
            "state_key",
            "parallel",
        ],
        &[
            "variables",
            "module",
            "assert",
            "plan_options",
            "override_resource",
            "override_data",
            "override_module",
        ],
        &what,
        diags,
    );
    let mut run = RunBlock {
        name,
        command: RunCommand::Apply,
        variables: Vec::new(),
        module: None,
        asserts: Vec::new(),
        expect_failures: Vec::new(),
        refresh_only: false,
        refresh: true,
        replace: Vec::new(),
        target: Vec::new(),
        providers: Vec::new(),
        overrides: Vec::new(),
        state_key: None,
        span: blocks::block_span(file, block),
    };
    if let Some(a) = block.body.get_attribute("command") {
        match keyword(a).as_deref() {
            Some("plan") => run.command = RunCommand::Plan,
            Some("apply") => run.command = RunCommand::Apply,
            _ => diags.push(
                Diagnostic::error(
                    "Invalid run block command",
                    "command must be plan or apply.",
                )
                .at(blocks::span_of(file, &a.value)),
            ),
        }
    }
    if let Some(a) = block.body.get_attribute("parallel") {
        if a.value.to_string().trim() == "true" {
            diags.push(
                Diagnostic::error(
                    "Unsupported argument",
                    "Parallel runs (parallel = true) are not supported by mlform test yet; runs execute in order.",
                )
                .at(blocks::span_of(file, &a.value)),
            );
        }
    }
    if let Some(a) = block.body.get_attribute("state_key") {
        match literal_string(&a.value) {
            Some(k) => run.state_key = Some(k),
            None => diags.push(
                Diagnostic::error("Invalid state_key", "state_key must be a literal string.")
                    .at(blocks::span_of(file, &a.value)),
            ),
        }
    }
    for item in blocks::list_items(file, &block.body, "expect_failures") {
        let text = item.expr.to_string().trim().to_string();
        run.expect_failures.push((text, item.span()));
    }
    if let Some(a) = block.body.get_attribute("providers") {
        match &a.value {
            hcl_edit::expr::Expression::Object(obj) => {
                for (k, v) in obj.iter() {
                    let key = object_key_name(k);
                    let target = blocks::provider_ref(v.expr());
                    match (key, target) {
                        (Some(k), Some(t)) => run.providers.push((k, t)),
                        _ => diags.push(
                            Diagnostic::error(
                                "Invalid providers map",
                                "Each entry maps a provider name to a provider of the test file, as in aws = aws.fake.",
                            )
                            .at(blocks::span_of(file, v.expr())),
                        ),
                    }
                }
            }
            other => diags.push(
                Diagnostic::error("Invalid providers map", "providers must be an object.")
                    .at(blocks::span_of(file, other)),
            ),
        }
    }
    for b in block.body.blocks() {
        match b.ident.as_str() {
            "variables" => run.variables.extend(assignments(file, b, diags)),
            "assert" => {
                blocks::check_known_args(
                    file,
                    &b.body,
                    &["condition", "error_message"],
                    &[],
                    "assert",
                    diags,
                );
                if let Some(c) = blocks::collect_check(file, b, diags) {
                    run.asserts.push(c);
                }
            }
            "module" => {
                blocks::check_known_args(
                    file,
                    &b.body,
                    &["source", "version"],
                    &[],
                    "module",
                    diags,
                );
                if let Some(v) = b.body.get_attribute("version") {
                    diags.push(
                        Diagnostic::error(
                            "Unsupported argument",
                            "A run block's module can only be a local path for now; version applies to registry modules.",
                        )
                        .at(blocks::span_of(file, &v.value)),
                    );
                }
                match b
                    .body
                    .get_attribute("source")
                    .and_then(|a| literal_string(&a.value))
                {
                    Some(s) if s.starts_with("./") || s.starts_with("../") => {
                        run.module = Some((s, blocks::block_span(file, b)))
                    }
                    Some(s) => diags.push(
                        Diagnostic::error(
                            "Unsupported module source",
                            format!("The run block's module source \"{s}\" is not a local path; mlform test runs local modules (./ or ../)."),
                        )
                        .at(blocks::block_span(file, b)),
                    ),
                    None => diags.push(
                        Diagnostic::error(
                            "Missing required argument",
                            "A module block in a run block needs a literal source path.",
                        )
                        .at(blocks::block_span(file, b)),
                    ),
                }
            }
            "plan_options" => {
                blocks::check_known_args(
                    file,
                    &b.body,
                    &["mode", "refresh", "replace", "target"],
                    &[],
                    "plan_options",
                    diags,
                );
                if let Some(a) = b.body.get_attribute("mode") {
                    match keyword(a).as_deref() {
                        Some("normal") => {}
                        Some("refresh-only") => run.refresh_only = true,
                        _ => {
                            // `refresh-only` parses as a subtraction when written bare.
                            if a.value.to_string().replace(' ', "") == "refresh-only" {
                                run.refresh_only = true;
                            } else {
                                diags.push(
                                    Diagnostic::error(
                                        "Invalid plan mode",
                                        "mode must be normal or refresh-only.",
                                    )
                                    .at(blocks::span_of(file, &a.value)),
                                );
                            }
                        }
                    }
                }
                if let Some(r) = blocks::bool_attr(file, &b.body, "refresh", diags) {
                    run.refresh = r;
                }
                for (list, field) in [("replace", &mut run.replace), ("target", &mut run.target)] {
                    for item in blocks::list_items(file, &b.body, list) {
                        match parse_target(item.expr.to_string().trim()) {
                            Ok(t) => field.push(t),
                            Err(e) => diags.push(
                                Diagnostic::error("Invalid address", e.to_string()).at(item.span()),
                            ),
                        }
                    }
                }
            }
            "override_resource" | "override_data" | "override_module" => {
                if let Some(o) = override_block(file, b, false, diags) {
                    run.overrides.push(o);
                }
            }
            _ => {}
        }
    }
    if run.command == RunCommand::Plan && run.refresh_only && !run.replace.is_empty() {
        diags.push(
            Diagnostic::error(
                "Incompatible plan options",
                "replace cannot be used with a refresh-only plan.",
            )
            .at(run.span.clone()),
        );
    }
    Some(run)
}
