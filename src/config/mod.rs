//! Configuration: the `*.tf` files of a module directory, parsed with hcl-edit (which keeps
//! byte spans for diagnostics), into typed blocks (variables, locals, providers, resources,
//! data sources, outputs, module calls) with their expressions left unevaluated. Child
//! modules (local path sources) load recursively into a tree.

mod blocks;
mod braces;
mod encryption;
mod refactor;
pub mod sources;
pub mod testfile;
pub mod versions;

use blocks::*;

pub use crate::addr::{Mode, ResourceKey};
pub use crate::syntax::{is_identifier, literal_string, normalize_path, object_key_name};

pub use encryption::{
    read_encryption, EncryptionBlock, KeyProviderBlock, MethodBlock, TargetBlock,
};
pub use refactor::{CheckBlock, Import, Moved, Removed};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use hcl_edit::Span as _;

use crate::diag::{did_you_mean, Diagnostic, Diagnostics, FileId, Sources, Span};
use crate::eval::types::TypeConstraint;

/// An unevaluated expression and the file it came from.
#[derive(Debug, Clone)]
pub struct Expr {
    pub file: FileId,
    pub expr: Expression,
}

impl Expr {
    pub fn span(&self) -> Option<Span> {
        self.expr.span().map(|range| Span {
            file: self.file,
            range,
        })
    }
}

/// A block body kept as parsed, evaluated later against a schema.
#[derive(Debug, Clone)]
pub struct BodyRef {
    pub file: FileId,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub condition: Expr,
    pub error_message: Expr,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub name: String,
    pub type_constraint: TypeConstraint,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Check>,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct Local {
    pub name: String,
    pub value: Expr,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub sensitive: bool,
    pub description: Option<String>,
    pub preconditions: Vec<Check>,
    pub depends_on: Vec<Expr>,
    pub span: Option<Span>,
}

/// `ignore_changes` of a lifecycle block.
#[derive(Debug, Clone, Default)]
pub enum IgnoreChanges {
    #[default]
    None,
    All,
    /// Attribute paths (`tags`, `tags["team"]`).
    Paths(Vec<mlform_provider::Path>),
}

#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    pub replace_triggered_by: Vec<Expr>,
    pub preconditions: Vec<Check>,
    pub postconditions: Vec<Check>,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub key: ResourceKey,
    /// Provider local name and alias (`aws`, `aws.west`).
    pub provider: ProviderRef,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    pub lifecycle: Lifecycle,
    /// The body without meta-arguments.
    pub body: BodyRef,
    pub span: Option<Span>,
    /// The `check` block a data source is scoped to: its read errors are warnings.
    pub check: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProviderRef {
    pub name: String,
    pub alias: Option<String>,
}

impl std::fmt::Display for ProviderRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.alias {
            Some(a) => write!(f, "{}.{a}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProviderBlock {
    pub name: String,
    pub alias: Option<String>,
    pub body: BodyRef,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    /// `version`: a constraint on the registry module's version.
    pub version: Option<(String, Option<Span>)>,
    pub inputs: BTreeMap<String, Expr>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    pub span: Option<Span>,
}

/// `terraform { backend "TYPE" { ... } }`: its type and its constant arguments.
#[derive(Debug, Clone)]
pub struct BackendBlock {
    pub kind: String,
    pub arguments: Vec<BackendArgument>,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct BackendArgument {
    pub name: String,
    pub value: mlform_provider::Value,
    pub span: Option<Span>,
}

/// One module directory and its children.
#[derive(Debug, Clone, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub required_providers: BTreeMap<String, String>,
    pub backend: Option<BackendBlock>,
    pub encryption: Option<EncryptionBlock>,
    /// Remote module calls not installed yet: (module key, source, version constraint).
    pub uninstalled: Vec<(String, String, Option<String>)>,
    pub providers: Vec<ProviderBlock>,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, Local>,
    pub resources: BTreeMap<ResourceKey, Resource>,
    pub outputs: BTreeMap<String, Output>,
    pub module_calls: BTreeMap<String, ModuleCall>,
    pub children: BTreeMap<String, Module>,
    pub moved: Vec<Moved>,
    pub removed: Vec<Removed>,
    pub checks: Vec<CheckBlock>,
    pub imports: Vec<Import>,
}

impl Module {
    /// The module at a path of call names below this one.
    pub fn descendant(&self, path: &[String]) -> Option<&Module> {
        match path.split_first() {
            None => Some(self),
            Some((first, rest)) => self.children.get(first)?.descendant(rest),
        }
    }
}

/// Loads the root module in `dir` and every child module it calls.
pub fn load(dir: &Path, sources: &mut Sources) -> Result<Module, Diagnostics> {
    let (module, diags) = load_lenient(dir, sources);
    if diags.iter().any(Diagnostic::is_error) {
        Err(Diagnostics(diags))
    } else {
        Ok(module)
    }
}

/// Loads what can be loaded, with every diagnostic; `init` uses it to find the remote
/// modules still to install (`Module::uninstalled`, gathered over the tree).
pub fn load_lenient(dir: &Path, sources: &mut Sources) -> (Module, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let manifest = sources::Manifest::read(dir);
    let mut module = load_module(dir, dir, &[], &manifest, sources, &mut diags, 0);
    fn gather(m: &Module, out: &mut Vec<(String, String, Option<String>)>) {
        out.extend(m.uninstalled.iter().cloned());
        for c in m.children.values() {
            gather(c, out);
        }
    }
    let mut all = Vec::new();
    gather(&module, &mut all);
    module.uninstalled = all;
    (module, diags)
}

/// Loads from in-memory files (a saved plan carries its configuration this way).
pub fn load_from_files(
    root: &Path,
    files: &[(String, String)],
    sources: &mut Sources,
) -> Result<Module, Diagnostics> {
    let mut diags = Vec::new();
    let manifest = sources::Manifest::read(root);
    let module = load_module_files(root, root, &[], &manifest, files, sources, &mut diags, 0);
    if diags.iter().any(Diagnostic::is_error) {
        Err(Diagnostics(diags))
    } else {
        Ok(module)
    }
}

/// Every `.tf` file of the root module and its children, as (path relative to root, text).
pub fn collect_files(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    fn walk(
        root: &Path,
        dir: &Path,
        out: &mut Vec<(String, String)>,
        depth: usize,
    ) -> std::io::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if path.is_dir() {
                let installed = path == root.join(sources::MODULES_DIR);
                if depth < 16 && (!name.starts_with('.') || installed) {
                    walk(root, &path, out, depth + 1)?;
                } else if depth == 0 && name == ".mlform" {
                    let modules = root.join(sources::MODULES_DIR);
                    if modules.is_dir() {
                        walk(root, &modules, out, depth + 2)?;
                    }
                }
            } else if name.ends_with(".tf") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .to_string();
                out.push((rel, std::fs::read_to_string(&path)?));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out, 0)?;
    Ok(out)
}

fn display_name(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .to_string()
}

fn load_module(
    root: &Path,
    dir: &Path,
    path: &[String],
    manifest: &sources::Manifest,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
    depth: usize,
) -> Module {
    let mut files = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "tf") && p.is_file())
                .collect();
            paths.sort();
            for path in paths {
                match std::fs::read_to_string(&path) {
                    Ok(text) => files.push((display_name(root, &path), text)),
                    Err(e) => diags.push(Diagnostic::error(
                        "Failed to read file",
                        format!("Could not read {}: {e}.", path.display()),
                    )),
                }
            }
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                "Failed to read module directory",
                format!("Could not read {}: {e}.", dir.display()),
            ));
        }
    }
    build_module(
        root,
        dir,
        path,
        manifest,
        files,
        sources,
        diags,
        depth,
        &mut |child_dir, child_path, sources, diags, depth| {
            child_dir
                .is_dir()
                .then(|| load_module(root, child_dir, child_path, manifest, sources, diags, depth))
        },
    )
}

#[allow(clippy::too_many_arguments)]
fn load_module_files(
    root: &Path,
    dir: &Path,
    path: &[String],
    manifest: &sources::Manifest,
    all: &[(String, String)],
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
    depth: usize,
) -> Module {
    let rel_dir = display_name(root, dir);
    let files: Vec<(String, String)> = all
        .iter()
        .filter(|(name, _)| {
            let parent = Path::new(name)
                .parent()
                .map(|p| p.to_string_lossy().to_string())
                .unwrap_or_default();
            parent == rel_dir
        })
        .cloned()
        .collect();
    build_module(
        root,
        dir,
        path,
        manifest,
        files,
        sources,
        diags,
        depth,
        &mut |child_dir, child_path, sources, diags, depth| {
            let rel = display_name(root, child_dir);
            let present = all
                .iter()
                .any(|(name, _)| Path::new(name).starts_with(&rel));
            present.then(|| {
                load_module_files(
                    root, child_dir, child_path, manifest, all, sources, diags, depth,
                )
            })
        },
    )
}

/// Loads a child module directory; `None` when it does not exist.
type ChildLoader<'a> =
    dyn FnMut(&Path, &[String], &mut Sources, &mut Vec<Diagnostic>, usize) -> Option<Module> + 'a;

#[allow(clippy::too_many_arguments)]
fn build_module(
    root: &Path,
    dir: &Path,
    path: &[String],
    manifest: &sources::Manifest,
    files: Vec<(String, String)>,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
    depth: usize,
    load_child: &mut ChildLoader<'_>,
) -> Module {
    let mut module = Module {
        dir: dir.to_path_buf(),
        ..Module::default()
    };
    for (name, text) in files {
        let base = Path::new(&name)
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if base == "override.tf" || base.ends_with("_override.tf") {
            diags.push(
                Diagnostic::error(
                    "Override files are not supported",
                    format!("{name} is a Terraform override file, whose blocks are merged into the blocks they name; mlform does not merge override files yet, so it refuses the configuration rather than read it another way."),
                )
                .hint("Move its settings into the blocks it overrides, or rename the file if it is not meant as an override."),
            );
            continue;
        }
        let path = root.join(&name);
        let file = sources.add(name, path, text);
        let text = sources.get(file).text.clone();
        match parse_hcl(&text, file) {
            Ok(body) => collect_body(&mut module, file, body, diags),
            Err(d) => diags.push(d),
        }
    }
    let calls: Vec<ModuleCall> = module.module_calls.values().cloned().collect();
    for call in calls {
        let mut child_path = path.to_vec();
        child_path.push(call.name.clone());
        let key = child_path.join(".");
        let child_dir = match sources::parse(&call.source) {
            sources::Source::Local(rel) => normalize_path(&dir.join(rel)),
            sources::Source::Git(_) | sources::Source::Archive(_) if call.version.is_some() => {
                let (_, span) = call.version.clone().unwrap_or_default();
                diags.push(
                    Diagnostic::error(
                        "Invalid version constraint",
                        format!("Cannot apply a version constraint to module \"{}\" because it has a non Registry URL.", call.name),
                    )
                    .at(span.or(call.span.clone()))
                    .hint("Pin git sources with ?ref=TAG in the source instead."),
                );
                continue;
            }
            sources::Source::Git(_)
            | sources::Source::Archive(_)
            | sources::Source::Registry(_) => {
                let constraint = match &call.version {
                    Some((text, span)) => match versions::Constraint::parse(text) {
                        Ok(c) => Some(c),
                        Err(e) => {
                            diags.push(
                                Diagnostic::error("Invalid version constraint", format!("The version of module \"{}\" is not a valid constraint: {e}.", call.name))
                                    .at(span.clone())
                                    .hint("Write constraints as Terraform does, for example \"~> 4.1\" or \">= 1.0, < 2.0\"."),
                            );
                            continue;
                        }
                    },
                    None => None,
                };
                match manifest.dir_of(root, &key, &call.source, constraint.as_ref()) {
                    Some(d) => d,
                    None => {
                        module.uninstalled.push((
                            key.clone(),
                            call.source.clone(),
                            call.version.as_ref().map(|(v, _)| v.clone()),
                        ));
                        diags.push(
                            Diagnostic::error(
                                "Module not installed",
                                format!("The module \"{}\" ({}) is not installed yet, or was installed from another source or at a version its constraint no longer accepts.", call.name, call.source),
                            )
                            .at(call.span.clone())
                            .hint("Run \"mlform init\" to install the modules this configuration calls."),
                        );
                        continue;
                    }
                }
            }
            sources::Source::Unsupported(why) => {
                diags.push(
                    Diagnostic::error(
                        "Unsupported module source",
                        format!("Module \"{}\" has source \"{}\": {why}.", call.name, call.source),
                    )
                    .at(call.span.clone())
                    .hint("Use a path starting with ./ or ../, a git repository (git::https://host/repo.git?ref=v1.0.0), a registry address (NAMESPACE/NAME/PROVIDER with a version) or an archive URL."),
                );
                continue;
            }
        };
        if depth > 32 {
            diags.push(
                Diagnostic::error(
                    "Module nesting too deep",
                    "Modules call each other more than 32 levels deep; is a module calling itself?",
                )
                .at(call.span.clone()),
            );
            continue;
        }
        let Some(child) = load_child(&child_dir, &child_path, sources, diags, depth + 1) else {
            diags.push(
                Diagnostic::error(
                    "Module not found",
                    format!(
                        "Module \"{}\" refers to {}, which does not exist.",
                        call.name,
                        child_dir.display()
                    ),
                )
                .at(call.span.clone()),
            );
            continue;
        };
        module.children.insert(call.name.clone(), child);
    }
    module
}

/// Attribute helper used by evaluation: the attributes and blocks of a body.
pub fn body_parts(body: &Body) -> (Vec<&Attribute>, Vec<&Block>) {
    let mut attrs = Vec::new();
    let mut blocks = Vec::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => attrs.push(a),
            Structure::Block(b) => blocks.push(b),
        }
    }
    (attrs, blocks)
}

/// Parses one HCL file; a syntax error points at the block left open when the file ends
/// inside one, otherwise at the position the parser stopped.
pub fn parse_hcl(text: &str, file: FileId) -> Result<Body, Diagnostic> {
    hcl_edit::parser::parse_body(text).map_err(|e| {
        let loc = e.location();
        let offset = loc.offset().min(text.len());
        let at_end = offset >= text.trim_end().len();
        if let Some(open) = braces::unclosed_block(text).filter(|_| at_end) {
            let line_start = text[..open].rfind('\n').map_or(0, |n| n + 1);
            return Diagnostic::error(
                "Unclosed configuration block",
                "There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.",
            )
            .at(Some(Span {
                file,
                range: line_start..open + 1,
            }))
            .hint("Add the missing `}` where this block should end.");
        }
        Diagnostic::error(
            "Invalid HCL syntax",
            format!("The file could not be parsed: {}.", e.message()),
        )
        .at(Some(Span {
            file,
            range: offset..offset + 1,
        }))
        .hint("Check for unbalanced braces, brackets or quotes near this position.")
    })
}
