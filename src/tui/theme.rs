//! Colours, or none: with NO_COLOR set (any non-empty value, no-color.org)
//! every style falls back to bold, dim and reverse, so nothing is said by
//! colour alone.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme { color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) }
    }

    pub fn colored() -> Theme {
        Theme { color: true }
    }

    pub fn monochrome() -> Theme {
        Theme { color: false }
    }

    fn fg(&self, color: Color, fallback: Modifier) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new().add_modifier(fallback)
        }
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green, Modifier::empty())
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow, Modifier::BOLD)
    }

    pub fn err(&self) -> Style {
        self.fg(Color::Red, Modifier::BOLD)
    }

    pub fn accent(&self) -> Style {
        self.fg(Color::Cyan, Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        self.fg(Color::DarkGray, Modifier::DIM)
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The focused row or field: reverse video reads the same with and without colour.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan, Modifier::BOLD).add_modifier(Modifier::BOLD)
    }
}
