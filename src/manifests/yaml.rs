//! YAML exactly as kubeadm prints Kubernetes objects.
//!
//! kubeadm serializes an object to JSON and converts that to YAML with
//! sigs.k8s.io/yaml, i.e. go-yaml v2: mapping keys sorted by go-yaml's "natural"
//! order, sequences inside mappings not indented, strings plain unless they would
//! read back as another type (then double-quoted) or plain style is not allowed
//! (then single-quoted). serde_yaml's emitter differs in those choices (it quotes
//! with single quotes, for one), so this small emitter produces the bytes kubeadm
//! produces for the values kubelift writes: mappings, sequences, strings,
//! integers, booleans and null.

use serde_json::Value;
use std::cmp::Ordering;

/// `value` as go-yaml v2 prints it, ending in a newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => mapping(&mut out, value, 0),
        Value::Array(s) if !s.is_empty() => sequence(&mut out, s, 0),
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
    out
}

fn sorted_entries(value: &Value) -> Vec<(&String, &Value)> {
    let Value::Object(m) = value else { return vec![] };
    let mut entries: Vec<_> = m.iter().collect();
    entries.sort_by(|a, b| go_key_order(a.0, b.0));
    entries
}

fn mapping(out: &mut String, value: &Value, indent: usize) {
    for (i, (key, v)) in sorted_entries(value).into_iter().enumerate() {
        // The first key of a mapping that is a sequence item sits after "- ".
        if i > 0 || indent == 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&scalar_string(key));
        out.push(':');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                mapping(out, v, indent + 2);
            }
            Value::Array(s) if !s.is_empty() => {
                out.push('\n');
                sequence(out, s, indent);
            }
            other => {
                out.push(' ');
                out.push_str(&inline(other));
                out.push('\n');
            }
        }
    }
}

fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => mapping(out, item, indent + 2),
            Value::Array(s) if !s.is_empty() => {
                out.push('\n');
                sequence(out, s, indent + 2);
            }
            other => {
                out.push_str(&inline(other));
                out.push('\n');
            }
        }
    }
}

/// Scalars and empty collections, as they appear after `key: ` or `- `.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// go-yaml v2's choice for a string: plain when it reads back as the same
/// string, double-quoted when it would read back as another type, single-quoted
/// when the plain style is not allowed by the emitter's analysis.
pub fn scalar_string(s: &str) -> String {
    if resolves_to_non_string(s) {
        return double_quoted(s);
    }
    if plain_allowed(s) {
        return s.to_string();
    }
    if s.chars().all(|c| !c.is_control()) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    double_quoted(s)
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// YAML 1.1 resolution as go-yaml v2 does it: null, booleans, numbers.
fn resolves_to_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
        "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
        "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", "<<",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
    let Some(first) = s.chars().next() else { return true };
    if !(first.is_ascii_digit() || matches!(first, '+' | '-' | '.')) {
        return false;
    }
    let plain = s.replace('_', "");
    let unsigned = plain.trim_start_matches(['+', '-']);
    let is_int = !unsigned.is_empty()
        && (unsigned.chars().all(|c| c.is_ascii_digit())
            || unsigned.strip_prefix("0x").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || unsigned.strip_prefix("0b").is_some_and(|b| !b.is_empty() && b.chars().all(|c| c == '0' || c == '1')));
    is_int || is_float(&plain) || is_base60(&plain)
}

/// go-yaml's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// YAML 1.1 sexagesimal numbers (`1:20`), which go-yaml quotes.
fn is_base60(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut parts = s.split(':');
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && !first.is_empty()
        && first.chars().all(|c| c.is_ascii_digit())
        && rest.iter().enumerate().all(|(i, p)| {
            let p = if i + 1 == rest.len() { p.split('.').next().unwrap_or("") } else { p };
            !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit())
        })
}

/// libyaml's analysis of whether a scalar may be written plain in block context.
fn plain_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let Some(&first) = chars.first() else { return false };
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    if first.is_whitespace() || chars.last().is_some_and(|c| c.is_whitespace()) {
        return false;
    }
    let blank_after = |i: usize| chars.get(i + 1).is_none_or(|c| c.is_whitespace());
    if "#,[]{}&*!|>'\"%@`".contains(first) {
        return false;
    }
    if matches!(first, '?' | ':' | '-') && blank_after(0) {
        return false;
    }
    for (i, &c) in chars.iter().enumerate() {
        if c == '\n' || c == '\r' || (c.is_control() && c != '\t') {
            return false;
        }
        if c == ':' && blank_after(i) {
            return false;
        }
        if c == '#' && i > 0 && chars[i - 1].is_whitespace() {
            return false;
        }
    }
    true
}

/// go-yaml v2's key order (keyList.Less): letters compare by code point, a
/// non-letter sorts before a letter, runs of digits compare as numbers.
pub fn go_key_order(a: &str, b: &str) -> Ordering {
    let (ar, br): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let (al, bl) = (ar[i].is_alphabetic(), br[i].is_alphabetic());
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl { Ordering::Less } else { Ordering::Greater };
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.saturating_mul(10).saturating_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.saturating_mul(10).saturating_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_like_go_yaml() {
        assert_eq!(scalar_string("0"), "\"0\"");
        assert_eq!(scalar_string(""), "\"\"");
        assert_eq!(scalar_string("true"), "\"true\"");
        assert_eq!(scalar_string("yes"), "\"yes\"");
        assert_eq!(scalar_string("1e3"), "\"1e3\"");
        assert_eq!(scalar_string("1:20"), "\"1:20\"");
        assert_eq!(scalar_string("10.211.0.2:6443"), "10.211.0.2:6443");
        assert_eq!(scalar_string("3.10"), "\"3.10\"");
        assert_eq!(scalar_string("--controllers=*,bootstrapsigner,tokencleaner"), "--controllers=*,bootstrapsigner,tokencleaner");
        assert_eq!(scalar_string("*,a"), "'*,a'");
        assert_eq!(scalar_string("a: b"), "'a: b'");
        assert_eq!(scalar_string("/health?exclude=NOSPACE&serializable=true"), "/health?exclude=NOSPACE&serializable=true");
        assert_eq!(scalar_string("100Mi"), "100Mi");
        assert_eq!(scalar_string("0s"), "0s");
    }

    #[test]
    fn orders_keys_like_go_yaml() {
        let mut keys = vec!["b", "a10", "a9", "kube-proxy", "kubelet", "_x", "A"];
        keys.sort_by(|a, b| go_key_order(a, b));
        assert_eq!(keys, ["_x", "A", "a9", "a10", "b", "kube-proxy", "kubelet"]);
    }

    #[test]
    fn nests_like_kubeadm() {
        let v = json!({"b": [{"z": 1, "x": [ "p" ]}], "a": {}, "c": {"d": null}, "y": "n"});
        // go-yaml v2 reads y/n as booleans, so it quotes them even as keys.
        assert_eq!(to_string(&v), "a: {}\nb:\n- x:\n  - p\n  z: 1\nc:\n  d: null\n\"y\": \"n\"\n");
    }
}
