//! The real binary in a real terminal: a tmux session whose screen a test
//! reads back with capture-pane while sending keys as a person would.

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    session: String,
}

impl Tmux {
    /// A detached 120x40 session running `command`; `None` (said on stderr) without tmux.
    pub fn start(command: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("tmux is not installed: the real-terminal test is skipped");
            return None;
        }
        let session = format!("kubelift-test-{}", std::process::id());
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

    /// Waits up to 30 s until the screen shows `text`; fails with the screen as it is.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_within(text, Duration::from_secs(30))
    }

    pub fn wait_for_within(&self, text: &str, timeout: Duration) -> String {
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
