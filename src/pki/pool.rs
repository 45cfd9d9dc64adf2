//! Keys made ahead, on every core: RSA key generation dominates the time of
//! the certs and kubeconfig phases, and each phase needs one key at a time.
//!
//! Phases *reserve* the keys they will need as soon as the run knows it
//! will run them (before the first phase starts), and *take* them when they
//! run; generation overlaps with everything before. Workers share one queue
//! of pending keys, so a slow RSA key on one core does not leave the other
//! idle (generation time varies several-fold from key to key). Workers live
//! as long as the pool and wait when there is nothing to make: a thread's
//! first use of the crypto library's random generator costs a seeding, so
//! a few long-lived threads beat a thread per reservation.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};

use super::{generate_key, KeyAlgorithm, KeyPair, PkiError};

/// What the workers and `take` agree on, under one lock so that no reserved
/// key is ever left without a worker or a waiter.
#[derive(Default)]
struct Ledger {
    /// Reserved, not started.
    pending: usize,
    /// Reserved and not yet taken: pending, being made, or ready in the channel.
    promised: usize,
    /// Worker threads alive.
    workers: usize,
    /// Set when the pool is dropped: idle workers end.
    closed: bool,
}

/// The ledger and the signal workers wait on for new reservations.
#[derive(Default)]
struct Shared {
    ledger: Mutex<Ledger>,
    work: Condvar,
}

/// A pool of keys of one algorithm.
pub struct KeyPool {
    algorithm: KeyAlgorithm,
    max_workers: usize,
    shared: Arc<Shared>,
    sender: Sender<Result<KeyPair, PkiError>>,
    ready: Mutex<Receiver<Result<KeyPair, PkiError>>>,
}

impl KeyPool {
    /// An empty pool; nothing is generated until keys are reserved.
    pub fn new(algorithm: KeyAlgorithm) -> KeyPool {
        let (sender, ready) = channel();
        let max_workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        KeyPool { algorithm, max_workers, shared: Arc::default(), sender, ready: Mutex::new(ready) }
    }

    /// A pool that starts generating `count` keys now.
    pub fn start(algorithm: KeyAlgorithm, count: usize) -> KeyPool {
        let pool = KeyPool::new(algorithm);
        pool.reserve(count);
        pool
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// Queues `count` more keys, on up to one worker per core.
    pub fn reserve(&self, count: usize) {
        let mut ledger = self.shared.ledger.lock().expect("key pool lock");
        ledger.pending += count;
        ledger.promised += count;
        while ledger.workers < self.max_workers.min(ledger.pending) {
            ledger.workers += 1;
            let (shared, sender, algorithm) = (self.shared.clone(), self.sender.clone(), self.algorithm);
            std::thread::spawn(move || work(&shared, &sender, algorithm));
        }
        self.shared.work.notify_all();
    }

    /// The next key: one that is ready; else, if a reserved one has not been
    /// started yet, that one made here (the caller would only wait idle for
    /// a worker to get to it); else one being made, waited for; else one
    /// made on the spot.
    pub fn take(&self) -> Result<KeyPair, PkiError> {
        let ready = self.ready.lock().expect("key pool lock");
        if let Ok(key) = ready.try_recv() {
            self.shared.ledger.lock().expect("key pool lock").promised -= 1;
            return key;
        }
        let wait = {
            let mut ledger = self.shared.ledger.lock().expect("key pool lock");
            if ledger.pending > 0 {
                ledger.pending -= 1;
                ledger.promised -= 1;
                false
            } else if ledger.promised > 0 {
                ledger.promised -= 1;
                true
            } else {
                false
            }
        };
        if wait {
            if let Ok(key) = ready.recv() {
                return key;
            }
        }
        drop(ready);
        generate_key(self.algorithm)
    }
}

impl Drop for KeyPool {
    fn drop(&mut self) {
        self.shared.ledger.lock().expect("key pool lock").closed = true;
        self.shared.work.notify_all();
    }
}

/// One worker: make pending keys, wait for more, end when the pool is dropped.
fn work(shared: &Shared, sender: &Sender<Result<KeyPair, PkiError>>, algorithm: KeyAlgorithm) {
    loop {
        {
            let mut l = shared.ledger.lock().expect("key pool lock");
            while l.pending == 0 && !l.closed {
                l = shared.work.wait(l).expect("key pool lock");
            }
            if l.pending == 0 {
                l.workers -= 1;
                return;
            }
            l.pending -= 1;
        }
        if sender.send(generate_key(algorithm)).is_err() {
            return; // the pool is gone; nobody wants more keys
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_more_keys_than_it_made() {
        let pool = KeyPool::start(KeyAlgorithm::EcdsaP256, 2);
        let keys: Vec<_> = (0..3).map(|_| pool.take().unwrap()).collect();
        assert!(keys.iter().all(|k| k.algorithm() == KeyAlgorithm::EcdsaP256));
        assert_ne!(keys[0].public_key_der(), keys[1].public_key_der());
    }

    #[test]
    fn reservations_add_up_and_workers_end() {
        let pool = KeyPool::new(KeyAlgorithm::EcdsaP256);
        assert_eq!(pool.shared.ledger.lock().unwrap().workers, 0, "nothing starts before a reservation");
        for _ in 0..5 {
            pool.reserve(1);
        }
        let keys: Vec<_> = (0..5).map(|_| pool.take().unwrap()).collect();
        assert_eq!(keys.len(), 5);
        {
            let ledger = pool.shared.ledger.lock().unwrap();
            assert_eq!((ledger.pending, ledger.promised), (0, 0));
            assert!(ledger.workers <= pool.max_workers, "one worker per core at most");
        }
        // Idle workers wait for more, and end with the pool.
        pool.reserve(1);
        pool.take().unwrap();
        let shared = pool.shared.clone();
        drop(pool);
        for _ in 0..400 {
            if shared.ledger.lock().unwrap().workers == 0 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("workers outlived the pool");
    }
}
