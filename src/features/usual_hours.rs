//! A user's usual hours of work, as a set of local hours of day.
//!
//! Learned from the user's own accesses when there are enough of them (an
//! hour is usual when it holds at least `min_share` of them), else a default
//! day window. Night-shift workers thereby have night hours as usual, so
//! "after hours" means "outside this user's hours", not "at night".

use std::fmt;

use crate::config::HoursParams;

/// Hours of day (0-23) as a bit set, and whether it was learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsualHours {
    mask: u32,
    /// Whether the hours were learned from the user's history (else default).
    pub learned: bool,
}

impl UsualHours {
    /// The hours as a bit set (bit `h` for hour `h`), what a cluster's
    /// result codec writes.
    pub fn mask(&self) -> u32 {
        self.mask
    }

    /// Hours from their [`UsualHours::mask`]; `None` when a bit past hour
    /// 23 is set.
    pub fn from_mask(mask: u32, learned: bool) -> Option<Self> {
        (mask >> 24 == 0).then_some(Self { mask, learned })
    }

    /// The default day window `[start, end)`.
    pub fn default_window(params: &HoursParams) -> Self {
        let mut mask = 0;
        for h in params.default_start_hour..params.default_end_hour {
            mask |= 1 << h;
        }
        Self { mask, learned: false }
    }

    /// Learns from a histogram of accesses by local hour of day.
    pub fn learn(histogram: &[u64; 24], params: &HoursParams) -> Self {
        let total: u64 = histogram.iter().sum();
        if total < u64::from(params.min_events) {
            return Self::default_window(params);
        }
        let threshold = (params.min_share * total as f64).max(1.0);
        let mut mask = 0;
        for (h, &n) in histogram.iter().enumerate() {
            if n as f64 >= threshold {
                mask |= 1 << h;
            }
        }
        Self { mask, learned: true }
    }

    /// Whether an hour of day is usual.
    pub fn contains(&self, hour: u8) -> bool {
        hour < 24 && self.mask & (1 << hour) != 0
    }

    /// Number of usual hours.
    pub fn count(&self) -> u32 {
        self.mask.count_ones()
    }
}

impl fmt::Display for UsualHours {
    /// Renders runs of hours, wrapping midnight: `07:00–19:00`,
    /// `19:00–07:00`, or `08:00–12:00, 13:00–17:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mask == 0 {
            return write!(f, "none");
        }
        if self.count() == 24 {
            return write!(f, "all day");
        }
        // Start scanning at an hour that is not usual, so runs do not split at midnight.
        let first_gap = (0..24).find(|&h| !self.contains(h)).unwrap_or(0);
        let mut runs = Vec::new();
        let mut h = first_gap;
        for _ in 0..24 {
            let cur = h % 24;
            if self.contains(cur) && !self.contains((cur + 23) % 24) {
                let start = cur;
                let mut len = 0;
                while self.contains((start + len) % 24) && len < 24 {
                    len += 1;
                }
                runs.push(format!("{:02}:00–{:02}:00", start, (start + len) % 24));
            }
            h += 1;
        }
        write!(f, "{}", runs.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_window_renders_as_day() {
        let u = UsualHours::default_window(&HoursParams::default());
        assert_eq!(u.to_string(), "07:00–19:00");
        assert!(u.contains(7) && !u.contains(19) && !u.contains(2));
    }

    #[test]
    fn night_shift_is_learned_and_wraps_midnight() {
        let mut hist = [0u64; 24];
        for h in [19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6] {
            hist[h] = 50;
        }
        let u = UsualHours::learn(&hist, &HoursParams::default());
        assert!(u.learned);
        assert!(u.contains(2));
        assert!(!u.contains(12));
        assert_eq!(u.to_string(), "19:00–07:00");
    }

    #[test]
    fn few_events_fall_back_to_default() {
        let mut hist = [0u64; 24];
        hist[3] = 5;
        let u = UsualHours::learn(&hist, &HoursParams::default());
        assert!(!u.learned);
        assert!(!u.contains(3));
    }
}
