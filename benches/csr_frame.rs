//! One frame of the CSR screen at 120x40 with 5,000 requests (from 50
//! nodes, real signed PEMs): the list window and the detail pane of the
//! request under the cursor, prepared and drawn into ratatui's TestBackend
//! as the event loop does before each frame. Measured as
//! benches/tui_frame.rs measures the progress screen. Run with
//! `cargo bench --bench csr_frame`; the budget is 4 ms per frame
//! (docs/performance.md, "CSR approval").

#[path = "support/frames.rs"]
mod frames;

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kubelift::config::{HostDefaults, InitSettings, JoinSettings};
use kubelift::csr::live::Update;
use kubelift::csr::request::fleet;
use kubelift::csr::Policy;
use kubelift::tui::app::{prepare, App, Screen, Session};
use kubelift::tui::csr::{update, CsrMsg, CsrScreen, Feed};
use kubelift::tui::host::HostFacts;
use kubelift::tui::theme::Theme;
use kubelift::tui::view;

const REQUESTS: usize = 5000;

fn csr_app() -> App {
    let host = HostFacts { defaults: HostDefaults { hostname: "cp1".into(), default_address: Some("10.0.0.10".parse().unwrap()), cri_sockets: vec![] }, addresses: vec![] };
    let session = Session { dry_run: false, root: "/".into(), log_file: None, host, base: InitSettings::empty(), join_base: JoinSettings::empty() };
    let mut app = App::new(session, Theme::colored());
    let now = chrono::Utc::now();
    let (objects, nodes) = fleet(REQUESTS, 50, now).expect("requests build");
    let mut screen = CsrScreen::new(Policy::default(), false);
    update(&mut screen, CsrMsg::Connected { kubeconfig: PathBuf::from("/etc/kubernetes/admin.conf"), server: "https://10.0.0.10:6443".into() });
    let mut updates = vec![Update::NodeRestarted];
    updates.extend(nodes.into_iter().map(Update::NodeApplied));
    updates.push(Update::NodesSynced);
    updates.push(Update::CsrRestarted);
    updates.extend(objects.into_iter().map(Update::CsrApplied));
    updates.push(Update::CsrSynced);
    // The first listing as the driver delivers it: decoded and verified on
    // the driver's task (the Feed), then judged, filed and sorted on the UI loop.
    let started = Instant::now();
    let mut feed = Feed::default();
    let messages: Vec<CsrMsg> = updates.into_iter().map(|u| feed.message(u, now)).collect();
    let decoding = started.elapsed();
    let started = Instant::now();
    for msg in messages {
        update(&mut screen, msg);
    }
    screen.prepare();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("csr_frame: the first listing of {REQUESTS} requests: decode + verify off the loop {:.1} ms, then judge + file + sort on the loop {:.1} ms", ms(decoding), ms(started.elapsed()));
    // Somewhere in the middle of the list, on a failing request (the longest detail pane).
    screen.list.move_cursor(2509);
    app.csr = screen;
    app.screen = Screen::Csr;
    prepare(&mut app);
    assert_eq!(app.csr.list.tally().total, REQUESTS);
    assert!(app.csr.show_details && app.csr.list.at_cursor().is_some(), "the detail pane is drawn");
    app
}

/// One frame as the event loop makes it: `prepare` (the order, the cursor's anchor), then the drawing.
fn frame(terminal: &mut Terminal<TestBackend>, app: &mut App) {
    prepare(app);
    terminal.draw(|f| view::draw(f, app)).unwrap();
}

fn main() {
    let mut app = csr_app();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    for _ in 0..100 {
        frame(&mut terminal, &mut app);
    }
    frames::measure(&format!("csr_frame {REQUESTS} requests, list + detail 120x40"), 3000, Duration::from_millis(4), || {
        frame(&mut terminal, &mut app);
    });
}
