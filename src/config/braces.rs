//! Finding the block a file leaves open: the parser reports a missing `}` at the end of the
//! file, but the mistake is where the block was opened.

enum Frame {
    /// `{`, `[` or `(` in code, at a byte offset.
    Open(usize, u8),
    /// `${` or `%{` inside a string: code until its `}`.
    Interp,
    Str,
    /// A heredoc until a line that is its marker.
    Heredoc(String),
}

/// The offset of the outermost `{` that is never closed, skipping strings, template
/// interpolations, heredocs and comments.
pub(super) fn unclosed_block(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match stack.last() {
            Some(Frame::Str) => {
                match b[i] {
                    b'\\' => i += 1,
                    b'"' | b'\n' => {
                        stack.pop();
                    }
                    b'$' | b'%' if b.get(i + 1) == Some(&b[i]) && b.get(i + 2) == Some(&b'{') => {
                        i += 2
                    }
                    b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                        stack.push(Frame::Interp);
                        i += 1;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            Some(Frame::Heredoc(marker)) => {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                if text[i..end].trim() == marker {
                    stack.pop();
                }
                i = end + 1;
                continue;
            }
            _ => {}
        }
        match b[i] {
            b'#' => i = text[i..].find('\n').map_or(b.len(), |n| i + n),
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n)
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 1)
            }
            b'"' => stack.push(Frame::Str),
            b'<' if b.get(i + 1) == Some(&b'<') => {
                let rest = &text[i + 2..];
                let rest = rest.strip_prefix('-').unwrap_or(rest);
                let marker: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !marker.is_empty() {
                    if let Some(n) = text[i..].find('\n') {
                        stack.push(Frame::Heredoc(marker));
                        i += n;
                    }
                }
            }
            c @ (b'{' | b'[' | b'(') => stack.push(Frame::Open(i, c)),
            b'}' | b']' | b')' => {
                if let Some(Frame::Interp | Frame::Open(..)) = stack.last() {
                    stack.pop();
                }
            }
            _ => {}
        }
        i += 1;
    }
    stack.iter().find_map(|f| match f {
        Frame::Open(at, b'{') => Some(*at),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::unclosed_block;

    #[test]
    fn finds_the_block_left_open() {
        let text = "resource \"a\" \"b\" {\n  input = \"${x} }\"\n  # }\n\nresource \"c\" \"d\" {\n  x = <<EOT\n}\nEOT\n}\n";
        assert_eq!(unclosed_block(text), Some(17));
        assert_eq!(unclosed_block("a {\n}\n"), None);
    }
}
