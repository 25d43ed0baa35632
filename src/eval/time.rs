//! Time functions (`formatdate`, `timeadd`, `timecmp`) on RFC 3339 timestamps, with
//! Terraform's format specification and Go's duration syntax, on plain integer arithmetic.

/// An RFC 3339 timestamp: seconds since the epoch (UTC), nanoseconds, and the offset it was
/// written with, in seconds east of UTC.
#[derive(Debug, Clone, Copy)]
struct Timestamp {
    epoch: i64,
    nanos: u32,
    offset: i32,
}

fn digits(s: &str, n: usize) -> Option<(i64, &str)> {
    let (d, rest) = (s.get(..n)?, s.get(n..)?);
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    d.parse().ok().map(|v| (v, rest))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The current UTC time as RFC 3339 (`2026-12-01T07:47:11Z`), as Terraform's `timestamp()`.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let rem = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn parse(s: &str) -> Result<Timestamp, String> {
    let bad = || format!("{s:?} is not a valid RFC 3339 timestamp");
    let (y, r) = digits(s, 4).ok_or_else(bad)?;
    let r = r.strip_prefix('-').ok_or_else(bad)?;
    let (mo, r) = digits(r, 2).ok_or_else(bad)?;
    let r = r.strip_prefix('-').ok_or_else(bad)?;
    let (d, r) = digits(r, 2).ok_or_else(bad)?;
    let r = r.strip_prefix(['T', 't']).ok_or_else(bad)?;
    let (h, r) = digits(r, 2).ok_or_else(bad)?;
    let r = r.strip_prefix(':').ok_or_else(bad)?;
    let (mi, r) = digits(r, 2).ok_or_else(bad)?;
    let r = r.strip_prefix(':').ok_or_else(bad)?;
    let (sec, mut r) = digits(r, 2).ok_or_else(bad)?;
    let mut nanos = 0u32;
    if let Some(frac) = r.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        let padded = format!("{:0<9}", &frac[..n.min(9)]);
        nanos = padded.parse().map_err(|_| bad())?;
        r = &frac[n..];
    }
    let offset = match r {
        "Z" | "z" => 0,
        _ => {
            let sign = match r.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(bad()),
            };
            let (oh, rest) = digits(&r[1..], 2).ok_or_else(bad)?;
            let rest = rest.strip_prefix(':').ok_or_else(bad)?;
            let (om, rest) = digits(rest, 2).ok_or_else(bad)?;
            if !rest.is_empty() {
                return Err(bad());
            }
            sign * (oh * 3600 + om * 60) as i32
        }
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return Err(bad());
    }
    let local = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    Ok(Timestamp {
        epoch: local - offset as i64,
        nanos,
        offset,
    })
}

/// The local date and time fields of a timestamp in its own offset.
struct Fields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    weekday: usize,
}

fn fields(t: &Timestamp) -> Fields {
    let local = t.epoch + t.offset as i64;
    let days = local.div_euclid(86400);
    let secs = local.rem_euclid(86400);
    let (year, month, day) = civil_from_days(days);
    Fields {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs % 3600 / 60,
        second: secs % 60,
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

fn offset_text(offset: i32, colon: bool) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    if colon {
        format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
    } else {
        format!("{sign}{:02}{:02}", a / 3600, a % 3600 / 60)
    }
}

fn rfc3339(t: &Timestamp) -> String {
    let f = fields(t);
    let zone = if t.offset == 0 {
        "Z".to_string()
    } else {
        offset_text(t.offset, true)
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
        f.year, f.month, f.day, f.hour, f.minute, f.second
    )
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// `formatdate(spec, timestamp)` with Terraform's specification letters.
pub fn formatdate(spec: &str, timestamp: &str) -> Result<String, String> {
    let t = parse(timestamp)?;
    let f = fields(&t);
    let hour12 = if f.hour % 12 == 0 { 12 } else { f.hour % 12 };
    let mut out = String::new();
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A quoted literal; '' inside quotes (or alone) is a quote.
            i += 1;
            if chars.get(i) == Some(&'\'') {
                out.push('\'');
                i += 1;
                continue;
            }
            loop {
                match chars.get(i) {
                    None => return Err("the format specification has an unterminated quote".into()),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        out.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        out.push(ch);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = chars[i..].iter().take_while(|&&x| x == c).count();
        let token: String = std::iter::repeat_n(c, n).collect();
        out.push_str(&match token.as_str() {
            "YYYY" => format!("{:04}", f.year),
            "YY" => format!("{:02}", f.year.rem_euclid(100)),
            "MMMM" => MONTHS[(f.month - 1) as usize].to_string(),
            "MMM" => MONTHS[(f.month - 1) as usize][..3].to_string(),
            "MM" => format!("{:02}", f.month),
            "M" => f.month.to_string(),
            "DD" => format!("{:02}", f.day),
            "D" => f.day.to_string(),
            "EEEE" => DAYS[f.weekday].to_string(),
            "EEE" => DAYS[f.weekday][..3].to_string(),
            "hh" => format!("{:02}", f.hour),
            "h" => f.hour.to_string(),
            "HH" => format!("{hour12:02}"),
            "H" => hour12.to_string(),
            "AA" => if f.hour < 12 { "AM" } else { "PM" }.to_string(),
            "aa" => if f.hour < 12 { "am" } else { "pm" }.to_string(),
            "mm" => format!("{:02}", f.minute),
            "m" => f.minute.to_string(),
            "ss" => format!("{:02}", f.second),
            "s" => f.second.to_string(),
            "ZZZZZ" => offset_text(t.offset, true),
            "ZZZZ" => offset_text(t.offset, false),
            "ZZZ" if t.offset == 0 => "UTC".to_string(),
            "ZZZ" => offset_text(t.offset, false),
            "Z" if t.offset == 0 => "Z".to_string(),
            "Z" => offset_text(t.offset, true),
            other => {
                return Err(format!(
                    "invalid date format verb {other:?}: quote literal text with single quotes, as in 'Date:'"
                ))
            }
        });
        i += n;
    }
    Ok(out)
}

/// A Go duration ("1h30m", "-1.5h", "300ms") in nanoseconds.
fn duration(s: &str) -> Result<i128, String> {
    let bad = || {
        format!("{s:?} is not a valid duration: use a number and a unit (ns, us, ms, s, m, h), as in \"1h30m\"")
    };
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let n = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if n == 0 {
            return Err(bad());
        }
        let number = &rest[..n];
        rest = &rest[n..];
        let u = rest
            .bytes()
            .take_while(|b| !b.is_ascii_digit() && *b != b'.')
            .count();
        let unit: i128 = match &rest[..u] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(bad()),
        };
        rest = &rest[u..];
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let mut part = whole.checked_mul(unit).ok_or_else(bad)?;
        if !frac.is_empty() {
            let scale = 10i128
                .checked_pow(frac.len().min(18) as u32)
                .ok_or_else(bad)?;
            let f: i128 = frac[..frac.len().min(18)].parse().map_err(|_| bad())?;
            part += f * unit / scale;
        }
        total = total.checked_add(part).ok_or_else(bad)?;
    }
    Ok(if neg { -total } else { total })
}

/// `timeadd(timestamp, duration)`: the result keeps the timestamp's offset and drops
/// fractions of a second, as Terraform's does.
pub fn timeadd(timestamp: &str, d: &str) -> Result<String, String> {
    let t = parse(timestamp)?;
    let total = t.epoch as i128 * 1_000_000_000 + t.nanos as i128 + duration(d)?;
    let epoch = i64::try_from(total.div_euclid(1_000_000_000))
        .map_err(|_| "the resulting time is out of range".to_string())?;
    Ok(rfc3339(&Timestamp {
        epoch,
        nanos: 0,
        offset: t.offset,
    }))
}

/// `timecmp(a, b)`: -1, 0 or 1 as a is before, at or after b.
pub fn timecmp(a: &str, b: &str) -> Result<i64, String> {
    let (a, b) = (parse(a)?, parse(b)?);
    Ok(match (a.epoch, a.nanos).cmp(&(b.epoch, b.nanos)) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_adds_as_terraform() {
        assert_eq!(
            formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z").unwrap(),
            "02 Jan 2018 23:12 UTC"
        );
        assert_eq!(
            formatdate(
                "EEE, D MMMM YYYY h:mm AA (aa) Z ZZZZ ZZZZZ",
                "2018-01-02T03:04:05+05:30"
            )
            .unwrap(),
            "Tue, 2 January 2018 3:04 AM (am) +05:30 +0530 +05:30"
        );
        assert_eq!(
            timeadd("2017-11-22T00:00:00Z", "-1h30m").unwrap(),
            "2017-11-21T22:30:00Z"
        );
        assert_eq!(
            timeadd("2017-11-22T00:00:00+05:30", "1.5h").unwrap(),
            "2017-11-22T01:30:00+05:30"
        );
        assert_eq!(
            timecmp("2017-11-22T01:00:00+01:00", "2017-11-22T00:00:00Z").unwrap(),
            0
        );
    }
}
