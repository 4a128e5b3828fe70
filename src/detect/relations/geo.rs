//! Distances between homes.

/// Great-circle distance in metres between two (lat, lon) points in degrees.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        assert!(distance_m((41.8781, -87.6298), (41.8781, -87.6298)) < 1e-6);
        // One thousandth of a degree of latitude is about 111 m.
        let d = distance_m((41.0, -87.0), (41.001, -87.0));
        assert!((d - 111.2).abs() < 0.5, "{d}");
    }
}
