//! The watch's updates turned into the screen's messages, on the driver's
//! task: each new request is decoded and its signature verified there, off
//! the render loop, once per object (uid); the loop only judges and files it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::CsrMsg;
use crate::csr::decode::{self, DecodeError, Decoded};
use crate::csr::live::Update;
use crate::csr::Request;

/// The decodings of the requests the watch has shown, by uid (a request's
/// `spec.request` never changes, so an update of the same object reuses them).
#[derive(Default)]
pub struct Feed {
    by_uid: HashMap<String, Arc<Result<Decoded, DecodeError>>>,
    uid_of: HashMap<String, String>,
    /// During a watch restart: the uids listed so far (the others are dropped at the end).
    relisted: Option<HashSet<String>>,
}

impl Feed {
    pub fn message(&mut self, update: Update, at: DateTime<Utc>) -> CsrMsg {
        match update {
            Update::CsrApplied(object) => {
                let uid = object.metadata.uid.clone().unwrap_or_default();
                let decoded = self.by_uid.entry(uid.clone()).or_insert_with(|| Arc::new(decode::decode(&object.spec.request.0))).clone();
                let request = Request::with_decoded(object, decoded);
                self.uid_of.insert(request.name.clone(), uid.clone());
                if let Some(seen) = &mut self.relisted {
                    seen.insert(uid);
                }
                return CsrMsg::Decoded { request: Box::new(request), at };
            }
            Update::CsrDeleted(ref name) => {
                if let Some(uid) = self.uid_of.remove(name) {
                    self.by_uid.remove(&uid);
                }
            }
            Update::CsrRestarted => self.relisted = Some(HashSet::new()),
            Update::CsrSynced => {
                if let Some(seen) = self.relisted.take() {
                    self.by_uid.retain(|uid, _| seen.contains(uid));
                    self.uid_of.retain(|_, uid| seen.contains(uid));
                }
            }
            _ => {}
        }
        CsrMsg::Watch { update: Box::new(update), at }
    }

    /// Requests whose decoding is kept.
    pub fn len(&self) -> usize {
        self.by_uid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_uid.is_empty()
    }
}
