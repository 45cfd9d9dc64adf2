//! One frame of the progress screen at 120x40: the state of a run halfway
//! through kubeadm's 31 init phases with a full log pane (500 lines), drawn
//! into ratatui's TestBackend. Run with `cargo bench --bench tui_frame`;
//! the budget is 2 ms per frame (docs/performance.md).

#[path = "support/frames.rs"]
mod frames;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::Duration;

use kubelift::config::{HostDefaults, InitSettings, JoinSettings};
use kubelift::engine::event::{LogLevel, PhaseResult, PhaseSummary};
use kubelift::engine::Event;
use kubelift::tui::app::{update, App, Msg, RunKind, Screen, Session};
use kubelift::tui::host::HostFacts;
use kubelift::tui::theme::Theme;
use kubelift::tui::view;

fn progress_app() -> App {
    let host = HostFacts { defaults: HostDefaults { hostname: "cp1".into(), default_address: Some("10.0.0.10".parse().unwrap()), cri_sockets: vec![] }, addresses: vec![] };
    let session = Session { dry_run: true, root: "/".into(), log_file: None, host, base: InitSettings::empty(), join_base: JoinSettings::empty() };
    let mut app = App::new(session, Theme::colored());
    app.screen = Screen::Progress;
    app.progress.start();
    let ids: Vec<String> = kubelift::phases::init().iter().map(|p| p.id().to_string()).collect();
    let mut events = vec![Event::RunStarted { workflow: "init".into(), dry_run: true, phases: ids.iter().map(|id| PhaseSummary { id: id.clone(), title: id.clone() }).collect() }];
    for id in &ids[..15] {
        events.push(Event::PhaseStarted { phase: id.clone(), title: String::new() });
        for i in 0..34 {
            events.push(Event::Log { phase: id.clone(), level: LogLevel::Info, message: format!("would write /etc/kubernetes/pki/file-{i}.crt (0644)") });
        }
        events.push(Event::PhaseFinished { phase: id.clone(), result: PhaseResult::Done, duration_ms: 42, reason: None });
    }
    events.push(Event::PhaseStarted { phase: ids[15].clone(), title: String::new() });
    for (i, event) in events.into_iter().enumerate() {
        update(&mut app, Msg::Engine { run: RunKind::Install, event, at: Duration::from_millis(i as u64) });
    }
    update(&mut app, Msg::Tick(Duration::from_secs(12)));
    assert_eq!(app.progress.log.len(), 500, "a full log pane");
    app
}

fn main() {
    let app = progress_app();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    for _ in 0..100 {
        terminal.draw(|f| view::draw(f, &app)).unwrap();
    }
    frames::measure("tui_frame progress 120x40", 3000, Duration::from_millis(2), || {
        terminal.draw(|f| view::draw(f, &app)).unwrap();
    });
}
