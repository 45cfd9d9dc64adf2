//! The CSR screen's update functions.
