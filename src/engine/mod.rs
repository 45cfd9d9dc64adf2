//! The phase engine. It knows nothing of terminals: it runs phases, writes
//! through the gate, records the journal and tells the world through events.

pub mod event;
pub mod gate;
pub mod journal;
pub mod phase;
pub mod runner;
pub mod sink;

pub use event::{Change, Envelope, Event, RunStatus};
pub use gate::{FileClass, WriteGate};
pub use phase::{Context, Decider, NoDecisions, Phase, PhaseCtx, PhaseError, Settings};
pub use runner::{run, RunOptions, RunReport};
pub use sink::EventSink;
