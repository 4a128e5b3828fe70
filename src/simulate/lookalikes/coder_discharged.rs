//! `coder_discharged`: at month-end close a coder prints a batch of 20 to
//! 60 discharged charts (stays and ED visits that ended two to 45 days
//! before) in one afternoon, on top of the ordinary coding work that
//! `him_billing_volume` already covers. Prints in bulk look like
//! exfiltration to a volume rule; the charts are all discharged, in the
//! coding queue. One row per coder.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::seq::SliceRandom;
use rand::Rng;

use crate::simulate::encounters::EncKind;
use crate::simulate::event::{Action, Category, DAY};
use crate::simulate::planner::{Planner, Rows};
use crate::simulate::schedule::Shift;
use crate::simulate::world::Role;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "coder_discharged";

/// Plans up to `per` of them; the rows (user, patient or `None`, first and last access).
pub(crate) fn plan(pl: &mut Planner, per: usize) -> Rows {
    let w0 = pl.w0();
    let close = month_end_days(pl.world.start, pl.world.days);
    let mut coders: Vec<u32> = (0..pl.world.users.len() as u32)
        .filter(|&u| pl.world.users[u as usize].role == Role::HimCoder && !pl.used[u as usize] && pl.employed(u))
        .collect();
    coders.shuffle(pl.rng);
    let mut rows = Vec::new();
    for u in coders {
        if rows.len() >= per {
            break;
        }
        let days: Vec<i64> = close.iter().copied().filter(|&d| pl.sched.get(d, u).shift != Shift::Off).collect();
        if days.is_empty() {
            continue;
        }
        let unit = pl.world.users[u as usize].base_unit;
        let ws = pl.ws_for(u, unit);
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for d in days {
            let d0 = w0 + d * DAY;
            let mut charts: Vec<u32> = pl
                .encs
                .iter()
                .filter(|e| {
                    e.kind != EncKind::Outpatient && e.exported && e.end >= d0 - 45 * DAY && e.end <= d0 - 2 * DAY
                })
                .map(|e| e.patient)
                .collect();
            charts.sort_unstable();
            charts.dedup();
            charts.shuffle(pl.rng);
            let k = pl.rng.gen_range(20..61).min(charts.len());
            let mut t = d0 + pl.rng.gen_range(13 * 3600..14 * 3600);
            for &p in &charts[..k] {
                t += pl.rng.gen_range(20..120);
                pl.care_row(t, u, p, ws, unit, Action::View, Category::Notes);
                lo = lo.min(t);
                t += pl.rng.gen_range(5..30);
                let cat = if pl.rng.gen_bool(0.7) { Category::Notes } else { Category::Billing };
                pl.care_row(t, u, p, ws, unit, Action::Print, cat);
                hi = hi.max(t);
            }
        }
        if lo <= hi {
            pl.used[u as usize] = true;
            rows.push((u, None, lo, hi));
        }
    }
    rows
}

/// Whether a date falls on a weekday.
fn weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Days (indices) of month-end close in the window: each month's last two
/// weekdays; the window's last two weekdays when no month ends in it.
pub(crate) fn month_end_days(start: NaiveDate, days: u32) -> Vec<i64> {
    let days = days as i64;
    let mut out = Vec::new();
    for d in 0..days {
        let date = start + Duration::days(d);
        if !weekday(date) {
            continue;
        }
        let mut later = 0;
        let mut x = date + Duration::days(1);
        while x.month() == date.month() {
            later += u32::from(weekday(x));
            x += Duration::days(1);
        }
        if later <= 1 {
            out.push(d);
        }
    }
    if out.is_empty() {
        out = (0..days).rev().filter(|&d| weekday(start + Duration::days(d))).take(2).collect();
        out.reverse();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_end_is_the_last_two_weekdays_of_a_month() {
        // October 2026 ends on a Saturday: Thursday 29 and Friday 30 close it.
        let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        assert_eq!(month_end_days(start, 30), vec![28, 29]);
        // A window with no month end closes on its own last two weekdays
        // (Mon 5 .. Sun 11 October: Thursday 8 and Friday 9).
        let start = NaiveDate::from_ymd_opt(2026, 10, 5).unwrap();
        assert_eq!(month_end_days(start, 7), vec![3, 4]);
        // Two month ends in a 60-day window.
        let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        // November 2026 ends on a Monday: Friday 27 and Monday 30.
        assert_eq!(month_end_days(start, 61), vec![28, 29, 57, 60]);
    }
}
