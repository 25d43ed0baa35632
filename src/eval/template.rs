//! Template whitespace as HCL's parser settles it before evaluation: `~` strip markers and
//! the flush (`<<-`) heredoc rule, applied to the template's literal text line by line, in
//! the order HCL applies them. HCL splits literals at source newlines, so a strip marker
//! trims only the line piece next to it, and the flush rule counts the indentation left
//! after trimming (a line that starts with a directive or interpolation has none).

use std::collections::HashMap;

use hcl_edit::template::{Directive, Element, Strip, Template};
use unicode_segmentation::UnicodeSegmentation;

/// How the template was written.
#[derive(Clone, Copy)]
pub enum Layout {
    /// A quoted string: one line, escapes already decoded.
    Quoted,
    /// A heredoc or a template file: literals split at newlines.
    Lines,
    /// A `<<-` heredoc whose common indentation the HCL parser removed (`indent` columns).
    Flush { indent: usize },
}

/// The final text of every literal of a template, keyed by the literal's address.
pub struct Literals(HashMap<usize, String>);

impl Literals {
    pub fn text<'t>(&'t self, literal: &'t hcl_edit::Spanned<String>) -> &'t str {
        self.0
            .get(&key(literal))
            .map(String::as_str)
            .unwrap_or(literal.value())
    }
}

fn key(literal: &hcl_edit::Spanned<String>) -> usize {
    literal as *const _ as usize
}

enum Tok {
    Piece { literal: usize, text: String },
    Marker { trims_prev: bool, trims_next: bool },
    End,
}

fn marker(strip: &Strip) -> Tok {
    Tok::Marker {
        trims_prev: matches!(strip, Strip::Start | Strip::Both),
        trims_next: matches!(strip, Strip::End | Strip::Both),
    }
}

/// Settles the whitespace of `template`'s literals.
pub fn settle(template: &Template, layout: Layout) -> Literals {
    let mut toks = Vec::new();
    let mut skip_first = false;
    flatten(template, layout, true, &mut skip_first, &mut toks);
    toks.push(Tok::End);
    strip(&mut toks);
    if let Layout::Flush { .. } = layout {
        flush(&mut toks);
    }
    let mut out: HashMap<usize, String> = HashMap::new();
    for tok in toks {
        if let Tok::Piece { literal, text } = tok {
            out.entry(literal).or_default().push_str(&text);
        }
    }
    Literals(out)
}

fn flatten(t: &Template, layout: Layout, top: bool, skip_first: &mut bool, toks: &mut Vec<Tok>) {
    let elements: Vec<&Element> = t.iter().collect();
    for (i, el) in elements.iter().enumerate() {
        match el {
            Element::Literal(s) => {
                let mut text = s.value().clone();
                if let (Layout::Flush { indent }, true) = (layout, top) {
                    text = reindent(&text, indent, *skip_first);
                    // A line holding only indentation before an interpolation or directive
                    // was emptied by the parser; it had exactly `indent` columns.
                    if text.ends_with('\n') && i + 1 < elements.len() {
                        text.push_str(&" ".repeat(indent));
                    }
                    *skip_first = !s.value().ends_with('\n');
                }
                let literal = key(s);
                match layout {
                    Layout::Quoted => toks.push(Tok::Piece { literal, text }),
                    _ => toks.extend(text.split_inclusive('\n').map(|p| Tok::Piece {
                        literal,
                        text: p.to_string(),
                    })),
                }
            }
            other => {
                if top {
                    *skip_first = true;
                }
                match other {
                    Element::Interpolation(i) => toks.push(marker(&i.strip)),
                    Element::Directive(d) => match d.as_ref() {
                        Directive::If(d) => {
                            toks.push(marker(&d.if_expr.strip));
                            flatten(&d.if_expr.template, layout, false, skip_first, toks);
                            if let Some(e) = &d.else_expr {
                                toks.push(marker(&e.strip));
                                flatten(&e.template, layout, false, skip_first, toks);
                            }
                            toks.push(marker(&d.endif_expr.strip));
                        }
                        Directive::For(d) => {
                            toks.push(marker(&d.for_expr.strip));
                            flatten(&d.for_expr.template, layout, false, skip_first, toks);
                            toks.push(marker(&d.endfor_expr.strip));
                        }
                    },
                    Element::Literal(_) => unreachable!("matched above"),
                }
            }
        }
    }
}

/// Puts back the indentation the HCL parser took off the start of each line of a top-level
/// literal of a `<<-` heredoc, so the flush rule can be applied after trimming, as HCL does.
fn reindent(text: &str, indent: usize, skip_first: bool) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(text.len() + indent * 4);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let content = line.strip_suffix('\n').unwrap_or(line);
        if !(i == 0 && skip_first) && !content.is_empty() {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    out
}

/// `~` markers: `${~`/`%{~` trims the end of the line piece just before, `~}` the start of
/// the line piece just after.
fn strip(toks: &mut [Tok]) {
    let mut trim_next = false;
    for i in 0..toks.len() {
        let trim = std::mem::take(&mut trim_next);
        match &mut toks[i] {
            Tok::Piece { text, .. } => {
                if trim {
                    *text = text.trim_start().to_string();
                }
            }
            Tok::Marker {
                trims_prev,
                trims_next,
            } => {
                trim_next = *trims_next;
                if *trims_prev && i > 0 {
                    if let Tok::Piece { text, .. } = &mut toks[i - 1] {
                        *text = text.trim_end().to_string();
                    }
                }
            }
            Tok::End => {}
        }
    }
}

/// The flush heredoc rule: the smallest indentation of the lines' leading pieces is removed
/// from each of them; whitespace-only lines do not count and keep theirs.
fn flush(toks: &mut [Tok]) {
    let mut min = usize::MAX;
    let mut adjust = Vec::new();
    let mut newline = true;
    for (i, tok) in toks.iter().enumerate() {
        if newline {
            newline = false;
            let spaces = match tok {
                Tok::Piece { text, .. } => {
                    let trimmed = text.trim_start();
                    if trimmed.is_empty() && text.ends_with('\n') {
                        usize::MAX
                    } else {
                        adjust.push(i);
                        text[..text.len() - trimmed.len()].graphemes(true).count()
                    }
                }
                Tok::End => break,
                Tok::Marker { .. } => 0,
            };
            min = min.min(spaces);
        }
        if let Tok::Piece { text, .. } = tok {
            if text.ends_with('\n') {
                newline = true;
            }
        }
    }
    if min == usize::MAX || min == 0 {
        return;
    }
    for i in adjust {
        if let Tok::Piece { text, .. } = &mut toks[i] {
            let cut: usize = text.graphemes(true).take(min).map(str::len).sum();
            *text = text[cut..].to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    fn render(src: &str) -> String {
        let expr: hcl_edit::expr::Expression = src.parse().unwrap_or_else(|e| panic!("{e}"));
        let v = crate::eval::expr::eval_constant(&expr).expect("evaluates");
        v.as_str().expect("a string").to_string()
    }

    #[test]
    fn strip_markers_trim_only_the_adjacent_line_piece() {
        let src = "<<EOT\n%{ for x in [1, 2] ~}\n  - ${x}\n%{ endfor ~}\nEOT";
        assert_eq!(render(src), "  - 1\n  - 2\n");
    }

    #[test]
    fn flush_heredoc_counts_indentation_after_trimming() {
        let src = "<<-EOT\n  %{~ for x in [1, 2] ~}\n  - ${x}\n  %{~ endfor ~}\n  EOT";
        assert_eq!(render(src), "  - 1\n  - 2\n");
        let src = "<<-EOT\n    a\n      b\n    ${\"c\"}\n    EOT";
        assert_eq!(render(src), "a\n  b\nc\n");
    }

    #[test]
    fn quoted_templates_strip_across_escaped_newlines() {
        assert_eq!(render("\"a \\n ${~ \"b\" ~} \\n c\""), "abc");
    }
}
