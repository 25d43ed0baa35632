//! Function calls in expressions: `try` and `can`, which evaluate their arguments
//! themselves, argument expansion (`f(list...)`), the functions that read the clock, the
//! rest of the library (`functions`), and what a call's result takes from its arguments'
//! types where values do not carry them (`format` of an untyped `null`).

use hcl_edit::expr::Expression;

use super::expr::{Evaluator, R};
use super::functions;
use super::types::{static_kind, Kind};
use crate::diag::{did_you_mean, Diagnostic};
use mlform_provider::Value;

impl Evaluator<'_> {
    pub(super) fn eval_call(&mut self, call: &hcl_edit::expr::FuncCall) -> R {
        let name = call.name.name.as_str();
        let namespace: Vec<&str> = call.name.namespace.iter().map(|n| n.as_str()).collect();
        let full_name = if namespace.is_empty() || namespace == ["core"] {
            // `core::upper` is `upper`, as in Terraform 1.8+.
            name.to_string()
        } else {
            format!(
                "{}::{name}",
                call.name
                    .namespace
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join("::")
            )
        };
        let args: Vec<&Expression> = call.args.iter().collect();
        match full_name.as_str() {
            "try" => {
                let mut last = None;
                for a in &args {
                    match self.eval(a) {
                        Ok(v) if v.is_unknown() => return Ok(v),
                        Ok(v) => return Ok(v),
                        Err(e) => last = Some(e),
                    }
                }
                return Err(last.map(|e| Diagnostic { summary: "Error in function call".into(), detail: format!("Call to function \"try\" failed: no expression succeeded. The last error was: {}", e.detail), ..e }).unwrap_or_else(|| self.err(call, "Not enough function arguments", "Function \"try\" expects at least one argument.")));
            }
            "can" => {
                if args.len() != 1 {
                    return Err(self.err(
                        call,
                        "Wrong number of function arguments",
                        "Function \"can\" expects exactly one argument.",
                    ));
                }
                return Ok(match self.eval(args[0]) {
                    Ok(v) if v.is_unknown() => Value::Unknown,
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        if !functions::exists(&full_name) {
            return Err(self
                .err(
                    &call.name.name,
                    "Call to unknown function",
                    format!("There is no function named \"{full_name}\"."),
                )
                .hint(
                    did_you_mean(&full_name, functions::names())
                        .unwrap_or_else(|| "See the list of functions in docs/language.md.".into()),
                ));
        }
        // A `null` of no type passed where format's arguments take no untyped values makes
        // the result unknown, as in Terraform 1.11 (its format parameters lack dynamic types).
        let untyped_null_arg = matches!(full_name.as_str(), "format" | "formatlist")
            && args
                .iter()
                .skip(1)
                .any(|a| self.kind(a) == Some(Kind::DynamicNull));
        let mut values = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let v = self.eval(a)?;
            if call.args.expand_final() && i == args.len() - 1 {
                match v.unmark().0 {
                    Value::List(items) | Value::Set(items) => values.extend(items.iter().cloned()),
                    Value::Unknown => return Ok(Value::Unknown),
                    _ => return Err(self.err(*a, "Invalid expanding argument value", "The expanding argument (indicated by ...) must be of a tuple, list, or set type.")),
                }
            } else {
                values.push(v);
            }
        }
        if untyped_null_arg {
            return Ok(Value::Unknown);
        }
        if let Some(v) = functions::clock_call(&full_name, &values, self.scope.clock()) {
            return v.map_err(|e| {
                self.err(
                    call,
                    "Error in function call",
                    format!("Call to function \"{full_name}\" failed: {e}"),
                )
            });
        }
        functions::call(&full_name, values, self.scope.working_dir()).map_err(|e| {
            self.err(
                call,
                "Error in function call",
                format!("Call to function \"{full_name}\" failed: {e}"),
            )
        })
    }

    pub(super) fn kind(&self, expr: &Expression) -> Option<Kind> {
        static_kind(expr, &|root, name| {
            if self.bindings.iter().any(|(n, _)| n == root) {
                None
            } else {
                self.scope.kind_of(root, name)
            }
        })
    }
}
