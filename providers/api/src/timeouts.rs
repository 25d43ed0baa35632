//! `timeouts { create = "30m" }`: the durations of Terraform's timeouts blocks.

use std::time::Duration;

/// Parses `90s`, `30m`, `1h30m` (a bare number is seconds); `default` when unset or zero.
pub fn parse_timeout(text: Option<&str>, default: Duration) -> Duration {
    let Some(t) = text else { return default };
    let mut total = 0u64;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
        } else {
            let n: u64 = num.parse().unwrap_or(0);
            num.clear();
            total += n * match c {
                'h' => 3600,
                'm' => 60,
                _ => 1,
            };
        }
    }
    total += num.parse::<u64>().unwrap_or(0);
    if total == 0 {
        default
    } else {
        Duration::from_secs(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_durations() {
        let d = Duration::from_secs(7);
        assert_eq!(parse_timeout(Some("1h30m"), d), Duration::from_secs(5400));
        assert_eq!(parse_timeout(Some("90s"), d), Duration::from_secs(90));
        assert_eq!(parse_timeout(Some("45"), d), Duration::from_secs(45));
        assert_eq!(parse_timeout(None, d), d);
        assert_eq!(parse_timeout(Some("0s"), d), d);
    }
}
