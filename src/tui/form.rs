//! A column of labelled fields with a line of help each and an error beside
//! each: the model and drawing shared by the choices and join screens. The
//! errors come from the config validator; the form only shows them.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::keys::{self, Action};
use super::theme::Theme;
use crossterm::event::{KeyCode, KeyEvent};

/// One key typed into a one-line text (a dialog's input, a filter): a
/// printable key with no action here is a character; Backspace and Ctrl-U edit.
pub fn edit_text(mut text: String, key: KeyEvent, action: Option<Action>) -> String {
    match (key.code, action) {
        (_, Some(Action::ClearField)) => text.clear(),
        (KeyCode::Backspace, _) => {
            text.pop();
        }
        (KeyCode::Char(ch), None) if keys::is_text(&key) => text.push(ch),
        _ => {}
    }
    text
}

/// A value ←/→ can pick, with a note shown beside it (an interface name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub note: String,
}

impl Choice {
    pub fn plain(value: impl Into<String>) -> Choice {
        Choice { value: value.into(), note: String::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub label: &'static str,
    pub help: &'static str,
    pub value: String,
    pub choices: Vec<Choice>,
    /// Whether typing edits the value (else only ←/→ change it).
    pub typed: bool,
    /// The validator's verdict on this field, in one line; `detail` has the fix.
    pub error: Option<String>,
    pub detail: Option<String>,
    /// How much of the value the screen hides (a token's secret, a key).
    pub mask: Mask,
}

/// Secrets are typed but not shown: the screen may be shared, recorded or
/// left open. A token's id (before the dot) is not secret and helps to check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mask {
    #[default]
    Clear,
    /// Everything after the first '.': a bootstrap token's secret half.
    AfterDot,
    Whole,
}

impl Mask {
    fn apply(self, value: &str) -> String {
        let hide = |s: &str| "•".repeat(s.chars().count());
        match self {
            Mask::Clear => value.to_string(),
            Mask::Whole => hide(value),
            Mask::AfterDot => match value.split_once('.') {
                Some((id, secret)) => format!("{id}.{}", hide(secret)),
                None => value.to_string(),
            },
        }
    }
}

impl Field {
    pub fn text(label: &'static str, help: &'static str, value: impl Into<String>) -> Field {
        Field { label, help, value: value.into(), choices: vec![], typed: true, error: None, detail: None, mask: Mask::Clear }
    }

    /// A typed field whose value the screen hides as `mask` says.
    pub fn secret(label: &'static str, help: &'static str, value: impl Into<String>, mask: Mask) -> Field {
        Field { mask, ..Field::text(label, help, value) }
    }

    pub fn pick(label: &'static str, help: &'static str, value: impl Into<String>, choices: Vec<Choice>) -> Field {
        Field { choices, typed: false, ..Field::text(label, help, value) }
    }

    /// Picks from `choices` and also takes typing (an address not listed).
    pub fn suggest(label: &'static str, help: &'static str, value: impl Into<String>, choices: Vec<Choice>) -> Field {
        Field { choices, ..Field::text(label, help, value) }
    }

    fn note(&self) -> Option<&str> {
        self.choices.iter().find(|c| c.value == self.value).map(|c| c.note.as_str()).filter(|n| !n.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Errors that belong to no field (a config file's other documents).
    pub other_errors: Vec<String>,
}

impl Form {
    pub fn new(fields: Vec<Field>) -> Form {
        Form { fields, focus: 0, other_errors: vec![] }
    }

    pub fn focused(&self) -> &Field {
        &self.fields[self.focus]
    }

    pub fn value(&self, index: usize) -> &str {
        &self.fields[index].value
    }

    pub fn next(&mut self) {
        self.focus = (self.focus + 1) % self.fields.len();
    }

    pub fn prev(&mut self) {
        self.focus = (self.focus + self.fields.len() - 1) % self.fields.len();
    }

    /// Types a character; returns whether the value changed.
    pub fn type_char(&mut self, ch: char) -> bool {
        let f = &mut self.fields[self.focus];
        f.typed.then(|| f.value.push(ch)).is_some()
    }

    pub fn backspace(&mut self) -> bool {
        let f = &mut self.fields[self.focus];
        f.typed && f.value.pop().is_some()
    }

    pub fn clear(&mut self) -> bool {
        let f = &mut self.fields[self.focus];
        let changed = f.typed && !f.value.is_empty();
        if f.typed {
            f.value.clear();
        }
        changed
    }

    /// Moves to the next (or previous) choice; a typed value not in the list starts at the first.
    pub fn cycle(&mut self, forward: bool) -> bool {
        let f = &mut self.fields[self.focus];
        if f.choices.is_empty() {
            return false;
        }
        let n = f.choices.len();
        let next = match f.choices.iter().position(|c| c.value == f.value) {
            Some(i) if forward => (i + 1) % n,
            Some(i) => (i + n - 1) % n,
            None => 0,
        };
        f.value = f.choices[next].value.clone();
        true
    }

    pub fn clear_errors(&mut self) {
        for f in &mut self.fields {
            f.error = None;
            f.detail = None;
        }
        self.other_errors.clear();
    }

    pub fn first_error(&self) -> Option<usize> {
        self.fields.iter().position(|f| f.error.is_some())
    }

    pub fn is_valid(&self) -> bool {
        self.first_error().is_none() && self.other_errors.is_empty()
    }
}

/// Draws the fields, then the focused field's help and full error below them.
pub fn render(form: &Form, frame: &mut Frame, area: Rect, theme: &Theme) {
    let rows = form.fields.len() as u16;
    let [fields_area, _, detail_area] = Layout::vertical([Constraint::Length(rows), Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let label_width = if area.width >= 100 { 24 } else { 23 };
    let value_width = if area.width >= 100 { 36 } else { 24 };
    let lines: Vec<Line> = form
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| field_line(f, i == form.focus, label_width, value_width, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), fields_area);
    frame.render_widget(Paragraph::new(detail_lines(form, theme)).wrap(Wrap { trim: false }), detail_area);
}

fn field_line<'a>(f: &'a Field, focused: bool, label_width: usize, value_width: usize, theme: &Theme) -> Line<'a> {
    let marker = if focused { "▶ " } else { "  " };
    let mut value = if f.typed || f.choices.is_empty() { f.mask.apply(&f.value) } else { format!("‹ {} ›", f.value) };
    if let Some(note) = f.note() {
        value.push_str(&format!(" ({note})"));
    }
    let cursor = if focused && f.typed { "▏" } else { "" };
    let shown = fit(&format!("{value}{cursor}"), value_width);
    let value_style = if focused { theme.selected() } else { ratatui::style::Style::new() };
    let mut spans = vec![
        Span::styled(marker, theme.accent()),
        Span::styled(format!("{:<label_width$}", f.label), theme.title()),
        Span::styled(format!("{shown:<value_width$}"), value_style),
        Span::raw(" "),
    ];
    match &f.error {
        Some(e) => spans.push(Span::styled(format!("✗ {e}"), theme.err())),
        None if !f.value.is_empty() => spans.push(Span::styled("✓", theme.ok())),
        None => {}
    }
    Line::from(spans)
}

fn detail_lines<'a>(form: &'a Form, theme: &Theme) -> Vec<Line<'a>> {
    let f = form.focused();
    let mut lines = vec![Line::from(vec![Span::styled(format!("{}: ", f.label), theme.title()), Span::raw(f.help)])];
    if let Some(detail) = &f.detail {
        lines.push(Line::styled(format!("✗ {detail}"), theme.err()));
    }
    for e in &form.other_errors {
        lines.push(Line::styled(format!("✗ {e}"), theme.err()));
    }
    lines
}

/// Cuts text to `width` characters, keeping the end (where the typing is).
fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    let tail: String = text.chars().skip(n - width + 1).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        Form::new(vec![
            Field::text("Name", "", "cp1"),
            Field::pick("Version", "", "b", vec![Choice::plain("a"), Choice::plain("b")]),
        ])
    }

    #[test]
    fn typing_edits_text_fields_only() {
        let mut f = form();
        assert!(f.type_char('x'));
        assert_eq!(f.value(0), "cp1x");
        f.next();
        assert!(!f.type_char('x'));
        assert!(f.cycle(true));
        assert_eq!(f.value(1), "a");
        assert!(f.cycle(false));
        assert_eq!(f.value(1), "b");
        f.next();
        assert_eq!(f.focus, 0, "focus wraps around");
    }

    #[test]
    fn secrets_are_typed_but_not_shown() {
        assert_eq!(Mask::AfterDot.apply("abcdef.0123456789abcdef"), "abcdef.••••••••••••••••");
        assert_eq!(Mask::AfterDot.apply("abcde"), "abcde", "the id alone, while typing");
        assert_eq!(Mask::Whole.apply("3f5e"), "••••");
        assert_eq!(Mask::Clear.apply("10.0.0.1"), "10.0.0.1");
    }

    #[test]
    fn long_values_keep_their_end_visible() {
        assert_eq!(fit("abcdef", 4), "…def");
        assert_eq!(fit("abc", 4), "abc");
    }
}
