//! YAML text exactly as kubeadm's Go serializer writes it.
//!
//! kubeadm marshals its documents with `sigs.k8s.io/yaml`: Go value → JSON →
//! `gopkg.in/yaml.v2`, which sorts map keys with its own "natural" order,
//! indents by two spaces, writes sequences inside maps without extra indent,
//! double-quotes strings that would read back as another type (`"0"`,
//! `"true"`, `""`), single-quotes strings that libyaml cannot write plain, and
//! folds long plain lines at spaces past column 80. serde_yaml differs in
//! several of these (it writes `''` for an empty string), and the text is
//! hashed (`component-config.hash`) and signed (cluster-info JWS), so the
//! ConfigMaps kubelift writes use this emitter to match kubeadm byte for byte.

use serde_json::Value;
use std::cmp::Ordering;

/// yaml.v2's `best_width`: plain and quoted scalars fold at a space past this column.
const BEST_WIDTH: usize = 80;

/// The document for a JSON value, as `sigs.k8s.io/yaml.Marshal` prints it (ends in a newline).
pub fn to_string(value: &Value) -> String {
    let mut out = Emitter::default();
    match value {
        Value::Object(m) if !m.is_empty() => out.mapping(m, 0),
        Value::Array(a) if !a.is_empty() => out.sequence(a, 0),
        scalar => {
            out.scalar(scalar, 0, false);
            out.newline();
        }
    }
    out.text
}

#[derive(Default)]
struct Emitter {
    text: String,
    column: usize,
}

impl Emitter {
    fn write(&mut self, s: &str) {
        self.text.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.column = s[i + 1..].chars().count(),
            None => self.column += s.chars().count(),
        }
    }

    fn newline(&mut self) {
        self.write("\n");
    }

    fn indent_to(&mut self, indent: usize) {
        if self.column > 0 {
            self.newline();
        }
        self.write(&" ".repeat(indent));
    }

    /// A block mapping whose keys start at column `indent`; the first key is
    /// written where the cursor is (after `- ` for a sequence item).
    fn mapping(&mut self, map: &serde_json::Map<String, Value>, indent: usize) {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort_by(|a, b| natural_cmp(a, b));
        for (i, key) in keys.into_iter().enumerate() {
            if i > 0 {
                self.indent_to(indent);
            }
            self.string(key, indent, true);
            self.write(":");
            self.value_after_key(&map[key], indent);
        }
    }

    fn value_after_key(&mut self, value: &Value, indent: usize) {
        match value {
            Value::Object(m) if !m.is_empty() => {
                self.indent_to(indent + 2);
                self.mapping(m, indent + 2);
            }
            // yaml.v2 does not indent a sequence that is a mapping's value.
            Value::Array(a) if !a.is_empty() => {
                self.indent_to(indent);
                self.sequence(a, indent);
            }
            scalar => {
                self.write(" ");
                self.scalar(scalar, indent + 2, false);
                self.newline();
            }
        }
    }

    fn sequence(&mut self, items: &[Value], indent: usize) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.indent_to(indent);
            }
            self.write("- ");
            match item {
                Value::Object(m) if !m.is_empty() => self.mapping(m, indent + 2),
                Value::Array(a) if !a.is_empty() => self.sequence(a, indent + 2),
                scalar => {
                    self.scalar(scalar, indent + 2, false);
                    self.newline();
                }
            }
        }
    }

    fn scalar(&mut self, value: &Value, indent: usize, simple_key: bool) {
        match value {
            Value::Null => self.write("null"),
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Number(n) => self.write(&go_number(n)),
            Value::String(s) => self.string(s, indent, simple_key),
            Value::Object(_) => self.write("{}"),
            Value::Array(_) => self.write("[]"),
        }
    }

    fn string(&mut self, s: &str, indent: usize, simple_key: bool) {
        match choose_style(s, simple_key) {
            Style::Plain => self.folded(s, indent, !simple_key, Quote::None),
            Style::Single => self.folded(s, indent, !simple_key, Quote::Single),
            Style::Double => self.double_quoted(s, indent, !simple_key),
            Style::Literal => self.literal(s, indent),
        }
    }

    /// Plain or single-quoted text; libyaml breaks the line at a single space
    /// once the column is past `BEST_WIDTH`.
    fn folded(&mut self, s: &str, indent: usize, allow_breaks: bool, quote: Quote) {
        if quote == Quote::Single {
            self.write("'");
        }
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_is_space = chars.get(i + 1) == Some(&' ');
                let inner = quote == Quote::None || (i != 0 && i != chars.len() - 1);
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_is_space && inner {
                    self.indent_to(indent);
                } else {
                    self.write(" ");
                }
                spaces = true;
            } else {
                if quote == Quote::Single && c == '\'' {
                    self.write("'");
                }
                self.write(c.encode_utf8(&mut [0; 4]));
                spaces = false;
            }
        }
        if quote == Quote::Single {
            self.write("'");
        }
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.write("\"");
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i != 0 && i != chars.len() - 1 {
                    self.indent_to(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.write("\\");
                    }
                } else {
                    self.write(" ");
                }
                spaces = true;
                continue;
            }
            spaces = false;
            match escape(c) {
                Some(e) => self.write(&e),
                None => self.write(c.encode_utf8(&mut [0; 4])),
            }
        }
        self.write("\"");
    }

    /// `|`, `|-` or `|+` and the lines indented under the key.
    fn literal(&mut self, s: &str, indent: usize) {
        let chomp = if !s.ends_with('\n') {
            "-"
        } else if s == "\n" || s.ends_with("\n\n") {
            "+"
        } else {
            ""
        };
        self.write("|");
        // libyaml states the indentation when the text itself starts with a blank.
        if s.starts_with([' ', '\n']) {
            self.write("2");
        }
        self.write(chomp);
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            self.newline();
            if !line.is_empty() {
                self.write(&" ".repeat(indent));
                self.write(line);
            }
        }
    }
}

#[derive(PartialEq, Clone, Copy)]
enum Quote {
    None,
    Single,
}

#[derive(Debug, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// yaml.v2's `stringv` request, corrected by libyaml's `select_scalar_style`.
fn choose_style(s: &str, simple_key: bool) -> Style {
    let a = analyze(s);
    if s.contains('\n') {
        // A literal block is impossible as a key or where libyaml finds it unsafe.
        return if a.block_allowed && !simple_key { Style::Literal } else { Style::Double };
    }
    if !resolves_to_string(s) {
        return Style::Double;
    }
    if !a.block_plain_allowed || s.is_empty() || (simple_key && a.multiline) {
        return if a.single_quoted_allowed { Style::Single } else { Style::Double };
    }
    Style::Plain
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF) && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// libyaml's `yaml_emitter_analyze_scalar`, block context only (kubeadm's
/// output never uses flow style).
fn analyze(s: &str) -> Analysis {
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break, mut previous_space, mut previous_break) = (false, false, false, false);
    let mut preceded_by_whitespace = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|&n| is_blank(n) || is_break(n));
        let (first, last) = (i == 0, i + 1 == chars.len());
        if first {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                block_indicators = true;
            }
            if (c == '?' || c == ':' || c == '-') && followed_by_whitespace {
                block_indicators = true;
            }
        } else {
            if c == ':' && followed_by_whitespace {
                block_indicators = true;
            }
            if c == '#' && preceded_by_whitespace {
                block_indicators = true;
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            previous_break = true;
            previous_space = false;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c);
    }
    let mut a = Analysis { multiline: line_breaks, block_plain_allowed: true, single_quoted_allowed: true, block_allowed: true };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

fn escape(c: char) -> Option<String> {
    let e = match c {
        '\0' => "\\0",
        '\u{7}' => "\\a",
        '\u{8}' => "\\b",
        '\t' => "\\t",
        '\n' => "\\n",
        '\u{B}' => "\\v",
        '\u{C}' => "\\f",
        '\r' => "\\r",
        '\u{1B}' => "\\e",
        '"' => "\\\"",
        '\\' => "\\\\",
        '\u{85}' => "\\N",
        '\u{A0}' => "\\_",
        '\u{2028}' => "\\L",
        '\u{2029}' => "\\P",
        c if !is_printable(c) || c == '\u{FEFF}' => {
            let n = c as u32;
            return Some(match n {
                0..=0xFF => format!("\\x{n:02X}"),
                0x100..=0xFFFF => format!("\\u{n:04X}"),
                _ => format!("\\U{n:08X}"),
            });
        }
        _ => return None,
    };
    Some(e.to_string())
}

/// Whether yaml.v2 reads `s` back, unquoted, as a string (else it must be quoted).
fn resolves_to_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
        "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
        "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<",
    ];
    if SPECIAL.contains(&s) {
        return false;
    }
    let first = s.as_bytes()[0];
    match first {
        // yaml.v2 hands a leading `.` to strconv.ParseFloat, which takes no underscores here.
        b'.' => s.contains('_') || !is_yaml_float(s),
        b'0'..=b'9' | b'+' | b'-' => !(is_timestamp(s) || is_go_int(s) || is_yaml_float(s) || is_base60_float(s)),
        _ => true,
    }
}

/// `strconv.ParseInt/ParseUint(s, 0, 64)` after yaml.v2 drops underscores.
fn is_go_int(s: &str) -> bool {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    let unsigned = plain.strip_prefix(['+', '-']).unwrap_or(&plain);
    let (digits, radix) = if let Some(h) = unsigned.strip_prefix("0x").or_else(|| unsigned.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(o) = unsigned.strip_prefix("0o").or_else(|| unsigned.strip_prefix("0O")) {
        (o, 8)
    } else if let Some(b) = unsigned.strip_prefix("0b").or_else(|| unsigned.strip_prefix("0B")) {
        (b, 2)
    } else if unsigned.len() > 1 && unsigned.starts_with('0') {
        (&unsigned[1..], 8)
    } else {
        (unsigned, 10)
    };
    !digits.is_empty() && u64::from_str_radix(digits, radix).is_ok()
}

/// yaml.v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    let t = plain.strip_prefix(['+', '-']).unwrap_or(&plain);
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (main, frac) = match t.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (t, None),
    };
    if frac.is_some_and(|f| !f.bytes().all(|b| b.is_ascii_digit() || b == b'_')) {
        return false;
    }
    let mut parts = main.split(':');
    let head = parts.next().unwrap_or("");
    let head_ok = head.as_bytes().first().is_some_and(u8::is_ascii_digit) && head.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let rest: Vec<&str> = parts.collect();
    let sexagesimal = |p: &&str| match p.as_bytes() {
        [d] => d.is_ascii_digit(),
        [a, b] => (b'0'..=b'5').contains(a) && b.is_ascii_digit(),
        _ => false,
    };
    head_ok && !rest.is_empty() && rest.iter().all(sexagesimal)
}

/// yaml.v2's `parseTimestamp`: four digits, `-`, then one of Go's layouts
/// `2006-1-2`, `2006-1-2 15:4:5.999999999`, `2006-1-2T15:4:5.999999999Z07:00`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let num = |x: &str, max_len: usize| !x.is_empty() && x.len() <= max_len && x.bytes().all(|c| c.is_ascii_digit());
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some((&s[i..i + 1], &s[i + 1..]))),
        None => (s, None),
    };
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 || !num(d[0], 4) || !num(d[1], 2) || !num(d[2], 2) {
        return false;
    }
    let Some((sep, time)) = time else { return true };
    let (clock, zone) = if sep == " " {
        (time, None)
    } else if let Some(c) = time.strip_suffix('Z') {
        (c, Some(""))
    } else {
        match time.rfind(['+', '-']) {
            Some(i) => (&time[..i], Some(&time[i + 1..])),
            None => return false,
        }
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (clock, None),
    };
    let t: Vec<&str> = hms.split(':').collect();
    let clock_ok = t.len() == 3 && t.iter().all(|p| num(p, 2)) && frac.is_none_or(|f| num(f, 9));
    let zone_ok = zone.is_none_or(|z| z.is_empty() || matches!(z.split_once(':'), Some((h, m)) if num(h, 2) && num(m, 2)));
    clock_ok && zone_ok
}

/// yaml.v2 map-key order (`keyList.Less`): rune by rune, letters by code
/// point, non-letters before letters, digit runs compared as numbers.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
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
            for j in (0..i).rev() {
                if !ar[j].is_ascii_digit() {
                    break;
                }
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

/// Numbers as yaml.v2 writes them after reading JSON: integers as such,
/// floats with Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which switches to
/// an exponent (`1e+06`) when the decimal exponent is below -4 or at least 6.
fn go_number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        // Rust's Display gives the same shortest digits without an exponent.
        return format!("{f}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_like_yaml_v2() {
        let doc = json!({
            "empty": "", "zero": "0", "yes": "true", "plain": "10.244.0.0/16", "url": "https://10.211.0.2:6443",
            "v6": "::", "star": "*", "colon": "a: b", "hash": "a #b", "tab": "a\tb", "date": "2026-11-23",
            "octal": "0755", "float": "1e3", "base60": "1:20", "dash": "-conf", "dashspace": "- x", "quote": "it's",
        });
        let text = to_string(&doc);
        let expected = "base60: \"1:20\"\ncolon: 'a: b'\ndash: -conf\ndashspace: '- x'\ndate: \"2026-11-23\"\nempty: \"\"\n\
float: \"1e3\"\nhash: 'a #b'\noctal: \"0755\"\nplain: 10.244.0.0/16\nquote: it's\nstar: '*'\ntab: \"a\\tb\"\n\
url: https://10.211.0.2:6443\nv6: '::'\n\"yes\": \"true\"\nzero: \"0\"\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn nests_like_yaml_v2() {
        let doc = json!({
            "clusters": [{"cluster": {"server": "https://x:6443"}, "name": ""}],
            "contexts": null, "preferences": {}, "list": [], "nested": [["a", "b"]],
        });
        assert_eq!(
            to_string(&doc),
            "clusters:\n- cluster:\n    server: https://x:6443\n  name: \"\"\ncontexts: null\nlist: []\nnested:\n- - a\n  - b\npreferences: {}\n"
        );
    }

    #[test]
    fn writes_multiline_strings_as_literal_blocks() {
        assert_eq!(to_string(&json!({"a": "x\ny\n"})), "a: |\n  x\n  y\n");
        assert_eq!(to_string(&json!({"a": "x\n\ny"})), "a: |-\n  x\n\n  y\n");
        assert_eq!(to_string(&json!({"a": "x \ny"})), "a: \"x \\ny\"\n");
        assert_eq!(to_string(&json!({"a": " x\ny\n\n"})), "a: |2+\n   x\n  y\n\n");
    }

    #[test]
    fn folds_long_plain_lines_at_column_80() {
        let long = "word ".repeat(20).trim_end().to_string();
        let text = to_string(&json!({ "description": long }));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[1].starts_with("  word"), "{text}");
        let unfolded: String = text.replace("\n  ", " ");
        assert_eq!(unfolded.trim_end(), format!("description: {long}"));
    }

    #[test]
    fn sorts_keys_in_yaml_v2_natural_order() {
        let mut keys = vec!["b", "a10", "a2", "B", "a_b", "ab", "a.b", "apiVersion", "apiServer"];
        keys.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(keys, ["B", "a.b", "a_b", "a2", "a10", "ab", "apiServer", "apiVersion", "b"]);
    }

    #[test]
    fn numbers_as_go_prints_them() {
        assert_eq!(to_string(&json!({"a": 0, "b": 5.5, "c": 1e21, "d": 2.0, "e": 1e6, "f": 1.5e-5})), "a: 0\nb: 5.5\nc: 1e+21\nd: 2\ne: 1e+06\nf: 1.5e-05\n");
    }
}
