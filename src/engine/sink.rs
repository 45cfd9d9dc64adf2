//! Where events go: a channel to whichever renderer runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

use super::event::{Envelope, Event, EVENT_SCHEMA};

#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::UnboundedSender<Envelope>,
    seq: Arc<AtomicU64>,
}

impl EventSink {
    pub fn channel() -> (EventSink, mpsc::UnboundedReceiver<Envelope>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (EventSink { tx, seq: Arc::new(AtomicU64::new(0)) }, rx)
    }

    pub fn emit(&self, event: Event) {
        let envelope = Envelope {
            schema: EVENT_SCHEMA,
            seq: self.seq.fetch_add(1, Ordering::Relaxed) + 1,
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            event,
        };
        // A renderer that has gone away (the user quit the TUI) must not stop
        // the engine mid-write; the journal still records everything.
        let _ = self.tx.send(envelope);
    }
}
