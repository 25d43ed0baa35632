//! Module versions and Terraform's version constraints (`>= 1.2, < 2.0`, `~> 1.4`,
//! `!= 1.3.1`, `= 2.0.0-beta`): which registry version a module call accepts.

use std::cmp::Ordering;
use std::fmt;

/// A semantic version; missing minor and patch parts are zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub parts: [u64; 3],
    /// Prerelease identifiers (`beta.1`); empty for a release.
    pub pre: String,
}

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim().trim_start_matches('v');
        let s = s.split('+').next()?;
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) if !p.is_empty() => (c, p.to_string()),
            Some(_) => return None,
            None => (s, String::new()),
        };
        let mut parts = [0u64; 3];
        let mut n = 0;
        for (i, p) in core.split('.').enumerate() {
            if i >= 3 || p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[i] = p.parse().ok()?;
            n = i + 1;
        }
        (n > 0).then_some(Version { parts, pre })
    }

    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.parts;
        write!(f, "{a}.{b}.{c}")?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        Ok(())
    }
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            for (x, y) in a.split('.').zip(b.split('.')) {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            a.split('.').count().cmp(&b.split('.').count())
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.parts
            .cmp(&other.parts)
            .then_with(|| cmp_pre(&self.pre, &other.pre))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `~>`: the rightmost given part may grow.
    Pessimistic,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Clause {
    op: Op,
    version: Version,
    /// How many of major, minor, patch were written (for `~>`).
    given: usize,
}

/// A module call's `version`: every clause must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Constraint {
    clauses: Vec<Clause>,
}

impl Constraint {
    pub fn parse(s: &str) -> Result<Constraint, String> {
        let mut clauses = Vec::new();
        for raw in s.split(',') {
            let t = raw.trim();
            if t.is_empty() {
                return Err(format!("\"{s}\" has an empty clause"));
            }
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(p, op)| t.strip_prefix(p).map(|r| (*op, r)))
            .unwrap_or((Op::Eq, t));
            let rest = rest.trim();
            let version = Version::parse(rest)
                .ok_or_else(|| format!("\"{rest}\" in \"{s}\" is not a version number"))?;
            let given = rest
                .split(['-', '+'])
                .next()
                .unwrap_or("")
                .split('.')
                .count();
            clauses.push(Clause { op, version, given });
        }
        Ok(Constraint { clauses })
    }

    /// Whether `v` is accepted. As in Terraform, a prerelease is accepted only by a clause
    /// naming it exactly.
    pub fn matches(&self, v: &Version) -> bool {
        if v.is_prerelease()
            && !self
                .clauses
                .iter()
                .any(|c| c.op == Op::Eq && &c.version == v)
        {
            return false;
        }
        self.clauses.iter().all(|c| {
            let o = v.cmp(&c.version);
            match c.op {
                Op::Eq => o == Ordering::Equal,
                Op::Ne => o != Ordering::Equal,
                Op::Gt => o == Ordering::Greater,
                Op::Ge => o != Ordering::Less,
                Op::Lt => o == Ordering::Less,
                Op::Le => o != Ordering::Greater,
                Op::Pessimistic => {
                    if o == Ordering::Less {
                        return false;
                    }
                    let [a, b, _] = c.version.parts;
                    let upper = match c.given {
                        1 | 2 => [a + 1, 0, 0],
                        _ => [a, b + 1, 0],
                    };
                    v.parts < upper
                }
            }
        })
    }

    /// The newest of `versions` this constraint accepts.
    pub fn newest<'v>(&self, versions: &'v [Version]) -> Option<&'v Version> {
        versions.iter().filter(|v| self.matches(v)).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn constraints_follow_terraform() {
        let c = Constraint::parse("~> 1.2").unwrap();
        assert!(c.matches(&v("1.2.0")) && c.matches(&v("1.9.3")));
        assert!(!c.matches(&v("2.0.0")) && !c.matches(&v("1.1.9")));
        let c = Constraint::parse("~> 1.2.3").unwrap();
        assert!(c.matches(&v("1.2.9")) && !c.matches(&v("1.3.0")));
        let c = Constraint::parse(">= 1.0, < 2.0, != 1.4.0").unwrap();
        assert!(c.matches(&v("1.5.0")) && !c.matches(&v("1.4.0")) && !c.matches(&v("2.0.0")));
        let c = Constraint::parse("1.0.0").unwrap();
        assert!(c.matches(&v("1.0.0")) && !c.matches(&v("1.0.1")));
        assert!(!Constraint::parse(">= 1.0")
            .unwrap()
            .matches(&v("2.0.0-beta")));
        assert!(Constraint::parse("= 2.0.0-beta")
            .unwrap()
            .matches(&v("2.0.0-beta")));
        assert!(Constraint::parse("latest").is_err());
        let all = [v("1.0.0"), v("1.3.0"), v("2.0.0"), v("2.1.0-rc1")];
        assert_eq!(
            Constraint::parse("< 2").unwrap().newest(&all),
            Some(&v("1.3.0"))
        );
        assert_eq!(Constraint::default().newest(&all), Some(&v("2.0.0")));
        assert!(v("1.0.0-alpha") < v("1.0.0-alpha.1") && v("1.0.0-beta") < v("1.0.0"));
    }
}
