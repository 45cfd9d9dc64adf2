//! The event loop: one `select!` over terminal input, messages from the
//! driver (engine events, task results) and a clock that ticks only while
//! phases run or the CSR screen shows ages. The screen is redrawn only after
//! something changed, so an idle TUI sleeps in the kernel.

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use crossterm::terminal::{disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use futures::StreamExt;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::Terminal;
use std::io::{self, Write};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

use super::app::{prepare, update, App, Cmd, Msg, Screen};
use super::csr::CsrMsg;
use super::driver::Driver;
use super::view;

/// How often running phases' timers move.
const TICK: Duration = Duration::from_secs(1);

/// Puts the terminal back as it was. Also runs from the panic hook, so a
/// crash never leaves the user's shell in raw mode on the alternate screen.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
}

/// Restores the terminal when dropped, whatever way the loop ends.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

/// Runs the TUI until the user leaves; returns the final state. `first`:
/// the commands of the opening screen (the reset plan, the CSR screen's watch).
pub async fn run(mut app: App, first: Vec<Cmd>, make_driver: impl FnOnce(mpsc::UnboundedSender<Msg>, Instant) -> Driver) -> io::Result<App> {
    install_panic_hook();
    enable_raw_mode()?;
    let _guard = TerminalGuard;
    execute!(io::stdout(), EnterAlternateScreen, cursor::Hide)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let driver = make_driver(tx, started);
    for cmd in first {
        driver.execute(cmd);
    }
    event_loop(&mut terminal, &mut app, &driver, rx, started).await?;
    Ok(app)
}

async fn event_loop<B: Backend + Write>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    driver: &Driver,
    mut rx: mpsc::UnboundedReceiver<Msg>,
    started: Instant,
) -> io::Result<()> {
    let mut input = EventStream::new();
    let mut clock = tokio::time::interval(TICK);
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    prepare(app);
    terminal.draw(|f| view::draw(f, app))?;
    while !app.quit {
        let msg = tokio::select! {
            term = input.next() => match term {
                Some(Ok(event)) => match to_msg(event) { Some(m) => m, None => continue },
                Some(Err(e)) => return Err(e),
                None => break,
            },
            Some(msg) = rx.recv() => msg,
            _ = clock.tick(), if app.ticking() => tick(app, started),
        };
        dispatch(terminal, app, driver, msg)?;
        // Apply everything already queued before drawing: a burst of engine
        // events costs one frame, not one frame each.
        while let Ok(msg) = rx.try_recv() {
            dispatch(terminal, app, driver, msg)?;
        }
        prepare(app);
        terminal.draw(|f| view::draw(f, app))?;
    }
    Ok(())
}

fn dispatch<B: Backend + Write>(terminal: &mut Terminal<B>, app: &mut App, driver: &Driver, msg: Msg) -> io::Result<()> {
    for cmd in update(app, msg) {
        if let Some(escape) = driver.execute(cmd) {
            // OSC 52 goes to the terminal itself, between two frames.
            let out = terminal.backend_mut();
            out.write_all(escape.as_bytes())?;
            Write::flush(out)?;
        }
    }
    Ok(())
}

/// The clock's message: time since start for running phases, the wall clock for the CSR screen's ages.
fn tick(app: &App, started: Instant) -> Msg {
    if app.screen == Screen::Csr {
        Msg::Csr(CsrMsg::Clock(chrono::Utc::now()))
    } else {
        Msg::Tick(started.elapsed())
    }
}

fn to_msg(event: TermEvent) -> Option<Msg> {
    match event {
        TermEvent::Key(key) if key.kind == KeyEventKind::Press => Some(Msg::Key(key)),
        TermEvent::Resize(..) => Some(Msg::Resize),
        _ => None,
    }
}
