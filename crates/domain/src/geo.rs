//! Where a request is about.

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};

/// WGS-84 latitude and longitude in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

impl Coordinates {
    pub fn new(latitude: f64, longitude: f64) -> Result<Self, FieldError> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(FieldError::new("latitude", "must be between -90 and 90 degrees"));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(FieldError::new("longitude", "must be between -180 and 180 degrees"));
        }
        Ok(Self { latitude, longitude })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_ranges() {
        assert!(Coordinates::new(23.02, 113.75).is_ok());
        assert_eq!(Coordinates::new(91.0, 0.0).unwrap_err().field, "latitude");
        assert_eq!(Coordinates::new(0.0, f64::NAN).unwrap_err().field, "longitude");
    }
}
