//! Keys made ahead, on every core: RSA key generation dominates the time of
//! the certs and kubeconfig phases, and each phase needs one key at a time.

use std::sync::mpsc::{channel, Receiver};
use std::sync::Mutex;

use super::{generate_key, KeyAlgorithm, KeyPair, PkiError};

/// A pool that starts generating `count` keys in the background when made.
pub struct KeyPool {
    algorithm: KeyAlgorithm,
    ready: Mutex<Receiver<Result<KeyPair, PkiError>>>,
}

impl KeyPool {
    pub fn start(algorithm: KeyAlgorithm, count: usize) -> KeyPool {
        let (tx, rx) = channel();
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(count.max(1));
        for worker in 0..workers {
            let tx = tx.clone();
            // Spread `count` over the workers; the first ones take the remainder.
            let share = count / workers + usize::from(worker < count % workers);
            std::thread::spawn(move || {
                for _ in 0..share {
                    if tx.send(generate_key(algorithm)).is_err() {
                        return; // the run ended; nobody wants more keys
                    }
                }
            });
        }
        KeyPool { algorithm, ready: Mutex::new(rx) }
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The next key: from the pool while it lasts, then made on the spot.
    pub fn take(&self) -> Result<KeyPair, PkiError> {
        let received = self.ready.lock().expect("key pool lock").recv();
        match received {
            Ok(key) => key,
            Err(_) => generate_key(self.algorithm),
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
}
