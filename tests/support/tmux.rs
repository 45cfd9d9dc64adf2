//! A program in a real terminal: tmux runs it, keys are sent as a person
//! would press them, and the screen is read back with capture-pane.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    session: String,
}

impl Tmux {
    /// `name` keeps the sessions of tests running side by side apart.
    pub fn start(name: &str, command: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("tmux is not installed: the real-terminal test is skipped");
            return None;
        }
        let session = format!("kubelift-test-{}-{name}", std::process::id());
        let status = Command::new("tmux").args(["new-session", "-d", "-s", &session, "-x", "120", "-y", "40", command]).status().unwrap();
        assert!(status.success(), "tmux new-session");
        Some(Tmux { session })
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux").args(["capture-pane", "-p", "-t", &self.session]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// tmux key names ("Enter", "Space", "BSpace") or literal text.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().unwrap().success());
    }

    /// Waits until the screen shows `text`; fails with the screen as it is.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_up_to(text, Duration::from_secs(30))
    }

    /// Like `wait_for`, for steps that take longer (a join against a real control plane).
    pub fn wait_up_to(&self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {text:?}; the screen shows:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.session]).status();
    }
}
