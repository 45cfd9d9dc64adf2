//! Go `time.Duration` text, as kubeadm's config files carry it (`24h0m0s`, `4m`, `1.5h`).

use std::time::Duration;

const UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("μs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
];

/// Parses a non-negative Go duration. Negative durations have no meaning in
/// any kubeadm field, so they are refused here rather than in each validator.
pub fn parse(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.starts_with('-') {
        return Err(format!("{text:?} is negative"));
    }
    let mut rest = s;
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let (number, tail) = rest.split_at(number_len);
        if number.is_empty() || number == "." {
            return Err(format!("{text:?} is not a duration like 24h0m0s or 90s"));
        }
        let value: f64 = number.parse().map_err(|_| format!("{text:?} has a bad number {number:?}"))?;
        let unit_len = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, scale)| *scale)
            .ok_or_else(|| format!("{text:?} has unknown unit {unit:?} (use h, m, s, ms, us or ns)"))?;
        total += value * scale;
        rest = tail;
    }
    if !total.is_finite() || total > 1e11 {
        return Err(format!("{text:?} is too long"));
    }
    Ok(Duration::from_secs_f64(total))
}

/// Formats as Go's `Duration.String` does for whole seconds (`24h0m0s`, `5m0s`, `0s`).
pub fn format(d: Duration) -> String {
    let total = d.as_secs();
    let millis = d.subsec_millis();
    if total == 0 {
        return if millis == 0 { "0s".into() } else { format!("{millis}ms") };
    }
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    let secs = if millis == 0 { format!("{s}s") } else { format!("{s}.{millis:03}s") };
    match (h, m) {
        (0, 0) => secs,
        (0, m) => format!("{m}m{secs}"),
        (h, m) => format!("{h}h{m}m{secs}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_go_spellings() {
        assert_eq!(parse("24h0m0s").unwrap(), Duration::from_secs(86400));
        assert_eq!(parse("4m").unwrap(), Duration::from_secs(240));
        assert_eq!(parse("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        assert_eq!(parse("87600h").unwrap(), Duration::from_secs(87600 * 3600));
    }

    #[test]
    fn refuses_what_go_refuses() {
        for bad in ["", "24", "h", "1d", "-5m", "1..2s", "5 m"] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn writes_like_go() {
        assert_eq!(format(Duration::from_secs(86400)), "24h0m0s");
        assert_eq!(format(Duration::from_secs(300)), "5m0s");
        assert_eq!(format(Duration::from_secs(42)), "42s");
        assert_eq!(format(Duration::ZERO), "0s");
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse(&s);
        }

        #[test]
        fn round_trips_whole_seconds(secs in 0u64..10_000_000) {
            let d = Duration::from_secs(secs);
            prop_assert_eq!(parse(&format(d)).unwrap(), d);
        }
    }
}
