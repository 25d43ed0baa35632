//! `mlform fmt`: rewrites `.tf` files in the canonical style (two-space indentation, one
//! space around `=`, equals signs aligned across consecutive attributes) while keeping every
//! comment, blank line and heredoc as written. The file must parse first; a file that does
//! not parse is left untouched.

/// Formats HCL source. Returns `Err` with the parser's message when the text is not valid HCL.
pub fn format_source(text: &str) -> Result<String, (usize, String)> {
    if let Err(e) = hcl_edit::parser::parse_body(text) {
        return Err((e.location().offset(), e.message().to_string()));
    }
    let mut lines: Vec<Line> = Vec::new();
    let mut depth: i32 = 0;
    let mut heredoc: Option<String> = None;
    let mut in_block_comment = false;
    for raw in text.lines() {
        if let Some(marker) = &heredoc {
            let done = raw.trim() == marker;
            lines.push(Line {
                text: raw.to_string(),
                depth,
                kind: if done {
                    Kind::HeredocEnd
                } else {
                    Kind::Verbatim
                },
            });
            if done {
                heredoc = None;
            }
            continue;
        }
        if in_block_comment {
            lines.push(Line {
                text: raw.to_string(),
                depth,
                kind: Kind::Verbatim,
            });
            if raw.contains("*/") {
                in_block_comment = false;
            }
            continue;
        }
        let trimmed = raw.trim();
        let scan = scan_line(trimmed);
        let leading_close = trimmed
            .chars()
            .take_while(|c| matches!(c, '}' | ']' | ')'))
            .count() as i32;
        let line_depth = (depth - leading_close).max(0);
        let kind = if trimmed.is_empty() {
            Kind::Blank
        } else if trimmed.starts_with('#') || trimmed.starts_with("//") {
            Kind::Other
        } else if let Some(eq) = scan.top_level_equals {
            Kind::Attr {
                key: trimmed[..eq].trim_end().to_string(),
                value: trimmed[eq + 1..].trim_start().to_string(),
                opens: scan.delta > 0 || scan.heredoc.is_some(),
            }
        } else {
            Kind::Other
        };
        lines.push(Line {
            text: trimmed.to_string(),
            depth: line_depth,
            kind,
        });
        depth = (depth + scan.delta).max(0);
        if let Some(m) = scan.heredoc {
            heredoc = Some(m);
        }
        if scan.opens_block_comment {
            in_block_comment = true;
        }
    }
    // Align `=` across runs of attributes at the same depth.
    let mut widths = vec![0usize; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        if let Kind::Attr { .. } = lines[i].kind {
            let d = lines[i].depth;
            let mut j = i;
            let mut width = 0;
            while j < lines.len() {
                match &lines[j].kind {
                    Kind::Attr { key, opens, .. } if lines[j].depth == d => {
                        width = width.max(key.chars().count());
                        j += 1;
                        if *opens {
                            break;
                        }
                    }
                    _ => break,
                }
            }
            for w in widths.iter_mut().take(j).skip(i) {
                *w = width;
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    let mut out = String::with_capacity(text.len());
    for (line, width) in lines.iter().zip(widths) {
        match &line.kind {
            Kind::Verbatim | Kind::HeredocEnd => out.push_str(&line.text),
            Kind::Blank => {}
            Kind::Attr { key, value, .. } => {
                out.push_str(&"  ".repeat(line.depth as usize));
                out.push_str(key);
                out.push_str(&" ".repeat(width - key.chars().count()));
                out.push_str(" = ");
                out.push_str(value);
            }
            Kind::Other => {
                out.push_str(&"  ".repeat(line.depth as usize));
                out.push_str(&line.text);
            }
        }
        out.push('\n');
    }
    let trimmed = out.trim_end_matches('\n');
    let trimmed = trimmed.trim_start_matches('\n');
    Ok(if trimmed.is_empty() {
        String::new()
    } else {
        format!("{trimmed}\n")
    })
}

struct Line {
    text: String,
    depth: i32,
    kind: Kind,
}

enum Kind {
    Blank,
    Verbatim,
    HeredocEnd,
    Attr {
        key: String,
        value: String,
        opens: bool,
    },
    Other,
}

#[derive(Default)]
struct Scan {
    delta: i32,
    top_level_equals: Option<usize>,
    heredoc: Option<String>,
    opens_block_comment: bool,
}

/// Scans one line outside strings and comments: bracket balance, the position of an
/// attribute's `=` (at bracket depth 0 of the line), and a heredoc opener.
fn scan_line(line: &str) -> Scan {
    let mut s = Scan::default();
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    let mut interp_depth: Vec<i32> = Vec::new();
    let mut local_depth = 0i32;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                    interp_depth.push(local_depth);
                    in_string = false;
                    local_depth += 1;
                    s.delta += 1;
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => in_string = true,
            b'#' => break,
            b'/' if bytes.get(i + 1) == Some(&b'/') => break,
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                match line[i + 2..].find("*/") {
                    Some(end) => i += end + 3,
                    None => {
                        s.opens_block_comment = true;
                        break;
                    }
                }
                continue;
            }
            b'{' | b'[' | b'(' => {
                local_depth += 1;
                s.delta += 1;
            }
            b'}' | b']' | b')' => {
                local_depth -= 1;
                s.delta -= 1;
                if c == b'}' && interp_depth.last() == Some(&local_depth) {
                    interp_depth.pop();
                    in_string = true;
                }
            }
            b'=' if local_depth == 0
                && s.top_level_equals.is_none()
                && bytes.get(i + 1) != Some(&b'=')
                && bytes.get(i + 1) != Some(&b'>')
                && i > 0
                && !matches!(bytes[i - 1], b'!' | b'<' | b'>' | b'=') =>
            {
                s.top_level_equals = Some(i);
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                let rest = line[i + 2..].trim_start_matches('-');
                let marker: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !marker.is_empty() {
                    s.heredoc = Some(marker);
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_indents() {
        let src = "resource \"terraform_data\" \"a\" {\ninput = 1\n    triggers_replace=[\n1,\n]\n  # keep me\n}\n\n\n";
        let out = format_source(src).unwrap();
        assert_eq!(out, "resource \"terraform_data\" \"a\" {\n  input            = 1\n  triggers_replace = [\n    1,\n  ]\n  # keep me\n}\n");
        assert_eq!(format_source(&out).unwrap(), out);
    }

    #[test]
    fn keeps_heredocs_verbatim() {
        let src = "locals {\n  a = <<EOT\n   raw  =  text\nEOT\n  bb = 2\n}\n";
        assert_eq!(format_source(src).unwrap(), src);
    }

    #[test]
    fn rejects_invalid_hcl() {
        assert!(format_source("resource {").is_err());
    }
}
