//! The wall clock as Marathon writes time: the one place marathon reads it.

pub use corral_kit::wall_clock as now;
