//! Inline SVG charts for report.html: no scripts, no fonts, no external
//! references. Every label passes through [`escape`].

use std::fmt::Write;

use super::html::escape;
use crate::time::{format_local_minute, MICROS_PER_DAY, MICROS_PER_HOUR};

const FONT: &str = "font-family=\"system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif\" font-size=\"12\"";

fn open(w: f64, h: f64, label: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" style=\"max-width:{w}px\" role=\"img\" aria-label=\"{}\" {FONT}>",
        escape(label)
    )
}

/// Horizontal bars, one per `(label, value)`, longest scaled to the width.
pub fn bar_chart(title: &str, rows: &[(String, f64)], color: &str) -> String {
    let (w, label_w, row_h) = (640.0, 190.0, 22.0);
    let h = row_h * rows.len().max(1) as f64 + 8.0;
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1e-9);
    let mut s = open(w, h, title);
    if rows.is_empty() {
        let _ = write!(s, "<text x=\"4\" y=\"18\" fill=\"#666\">none</text>");
    }
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * row_h;
        let bw = ((w - label_w - 70.0) * v / max).max(if *v > 0.0 { 1.0 } else { 0.0 });
        let _ = write!(
            s,
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\">{l}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{bw:.1}\" height=\"{bh}\" fill=\"{color}\"/><text x=\"{vx:.1}\" y=\"{ty}\">{v}</text>",
            x = label_w - 6.0,
            ty = y + 14.0,
            l = escape(label),
            bh = row_h - 6.0,
            vx = label_w + bw + 4.0,
            v = fmt_num(*v),
        );
    }
    s.push_str("</svg>");
    s
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.abs() < 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

/// One run of the trend: a label and alerts per severity (low, medium, high).
pub struct TrendPoint {
    /// The run's window, as a label.
    pub label: String,
    /// Alerts: low, medium, high.
    pub alerts: [u64; 3],
}

/// Stacked bars of alerts per run (oldest left), colored by severity.
pub fn trend_chart(points: &[TrendPoint]) -> String {
    let (w, h, left, bottom, top) = (640.0, 170.0, 36.0, 34.0, 10.0);
    let max = points.iter().map(|p| p.alerts.iter().sum::<u64>()).max().unwrap_or(0).max(1) as f64;
    let n = points.len().max(1) as f64;
    let slot = (w - left - 8.0) / n;
    let bar = (slot * 0.7).min(40.0);
    let plot_h = h - bottom - top;
    let mut s = open(w, h, "alerts per run, by severity");
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{y0}\" x2=\"{w}\" y2=\"{y0}\" stroke=\"#999\"/><text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{max}</text><text x=\"{tx}\" y=\"{y0}\" text-anchor=\"end\">0</text>",
        y0 = h - bottom,
        tx = left - 4.0,
        ty = top + 10.0,
        max = max as u64
    );
    let colors = ["#f1c40f", "#e67e22", "#c0392b"];
    let every = (points.len() / 8).max(1);
    for (i, p) in points.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let mut y = h - bottom;
        for (k, &c) in p.alerts.iter().enumerate() {
            let bh = plot_h * c as f64 / max;
            y -= bh;
            if c > 0 {
                let _ = write!(
                    s,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{}: {c} {}</title></rect>",
                    colors[k],
                    escape(&p.label),
                    ["low", "medium", "high"][k]
                );
            }
        }
        if i % every == 0 || i + 1 == points.len() {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
                x + bar / 2.0,
                h - bottom + 14.0,
                escape(&p.label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A point of a timeline: local wall-clock µs, the row (patient) and whether
/// care explains the access.
pub struct TimelinePoint {
    /// Local wall-clock microseconds.
    pub local: i64,
    /// Row index into the labels.
    pub row: usize,
    /// Whether care explains it.
    pub explained: bool,
}

/// Accesses over time: time on x (local), one row per patient on y;
/// unexplained accesses are filled red dots, explained ones hollow grey rings.
pub fn timeline(title: &str, rows: &[String], points: &[TimelinePoint]) -> String {
    let (w, left, right, top, row_h, bottom) = (760.0, 150.0, 16.0, 8.0, 16.0, 40.0);
    let h = top + row_h * rows.len().max(1) as f64 + bottom;
    let (t0, t1) = points.iter().fold((i64::MAX, i64::MIN), |(a, b), p| (a.min(p.local), b.max(p.local)));
    let (t0, t1) = if t0 > t1 { (0, 1) } else { (t0, t1) };
    // Pad to whole hours so single accesses sit inside the axis.
    let t0 = t0.div_euclid(MICROS_PER_HOUR) * MICROS_PER_HOUR;
    let t1 = (t1.div_euclid(MICROS_PER_HOUR) + 1) * MICROS_PER_HOUR;
    let span = (t1 - t0) as f64;
    let x = |t: i64| left + (w - left - right) * (t - t0) as f64 / span;
    let mut s = open(w, h, title);
    let y_axis = top + row_h * rows.len() as f64;
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        if i % 2 == 0 {
            let _ = write!(
                s,
                "<rect x=\"{left}\" y=\"{y}\" width=\"{}\" height=\"{row_h}\" fill=\"#f4f6f8\"/>",
                w - left - right
            );
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
            left - 6.0,
            y + 12.0,
            escape(r)
        );
    }
    // Ticks: days when the span is over a day and a half, else hours.
    let step = if span > 1.5 * MICROS_PER_DAY as f64 {
        let days = ((t1 - t0) / MICROS_PER_DAY).max(1);
        MICROS_PER_DAY * ((days + 7) / 8).max(1)
    } else {
        let hours = ((t1 - t0) / MICROS_PER_HOUR).max(1);
        MICROS_PER_HOUR * ((hours + 5) / 6).max(1)
    };
    let mut t = if step >= MICROS_PER_DAY { (t0.div_euclid(MICROS_PER_DAY) + 1) * MICROS_PER_DAY } else { t0 };
    while t <= t1 {
        let label = if step >= MICROS_PER_DAY {
            crate::time::format_local_date(t)
        } else {
            crate::time::format_local_month_minute(t)
        };
        let _ = write!(
            s,
            "<line x1=\"{xt:.1}\" y1=\"{top}\" x2=\"{xt:.1}\" y2=\"{y_axis}\" stroke=\"#ddd\"/><text x=\"{xt:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
            y_axis + 14.0,
            escape(&label),
            xt = x(t)
        );
        t += step;
    }
    let _ = write!(s, "<line x1=\"{left}\" y1=\"{y_axis}\" x2=\"{}\" y2=\"{y_axis}\" stroke=\"#999\"/>", w - right);
    for p in points {
        let (px, py) = (x(p.local), top + row_h * p.row as f64 + row_h / 2.0);
        let when = format_local_minute(p.local);
        if p.explained {
            let _ = write!(
                s,
                "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"4\" fill=\"none\" stroke=\"#7f8c8d\" stroke-width=\"1.5\"><title>{when} explained by care</title></circle>"
            );
        } else {
            let _ = write!(
                s,
                "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"4\" fill=\"#c0392b\"><title>{when} unexplained</title></circle>"
            );
        }
    }
    let ly = y_axis + 30.0;
    let _ = write!(
        s,
        "<circle cx=\"{left}\" cy=\"{}\" r=\"4\" fill=\"#c0392b\"/><text x=\"{}\" y=\"{ly}\">unexplained access</text><circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"none\" stroke=\"#7f8c8d\" stroke-width=\"1.5\"/><text x=\"{}\" y=\"{ly}\">explained by care</text>",
        ly - 4.0,
        left + 8.0,
        left + 150.0,
        ly - 4.0,
        left + 158.0
    );
    s.push_str("</svg>");
    s
}

/// One measure of the peer comparison.
pub struct PeerRow {
    /// What is measured.
    pub label: String,
    /// The user's value.
    pub user: f64,
    /// The peers' median.
    pub peers: f64,
    /// Whether the value is a share (shown as a percentage).
    pub share: bool,
}

/// Paired bars per measure: the user (dark) against their peers' median
/// (light), each measure scaled to the larger of the two.
pub fn peer_chart(title: &str, rows: &[PeerRow]) -> String {
    let (w, label_w, row_h) = (640.0, 170.0, 34.0);
    let h = row_h * rows.len().max(1) as f64 + 22.0;
    let mut s = open(w, h, title);
    let bar_w = w - label_w - 90.0;
    let show =
        |v: f64, share: bool| if share { format!("{:.0}%", v * 100.0) } else { fmt_num((v * 10.0).round() / 10.0) };
    for (i, r) in rows.iter().enumerate() {
        let y = 4.0 + row_h * i as f64;
        let max = r.user.max(r.peers).max(1e-9);
        let (bu, bp) = (bar_w * r.user / max, bar_w * r.peers / max);
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{l}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{bu:.1}\" height=\"12\" fill=\"#2c3e50\"/><text x=\"{ux:.1}\" y=\"{uy}\" font-size=\"11\">{uv}</text><rect x=\"{label_w}\" y=\"{py}\" width=\"{bp:.1}\" height=\"12\" fill=\"#95a5a6\"/><text x=\"{px:.1}\" y=\"{pty}\" font-size=\"11\">{pv}</text>",
            lx = label_w - 6.0,
            ty = y + 18.0,
            l = escape(&r.label),
            ux = label_w + bu + 4.0,
            uy = y + 10.0,
            uv = show(r.user, r.share),
            py = y + 14.0,
            px = label_w + bp + 4.0,
            pty = y + 24.0,
            pv = show(r.peers, r.share),
        );
    }
    let ly = h - 8.0;
    let _ = write!(
        s,
        "<rect x=\"{label_w}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"#2c3e50\"/><text x=\"{}\" y=\"{ly}\">this user</text><rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"#95a5a6\"/><text x=\"{}\" y=\"{ly}\">peer median</text>",
        ly - 9.0,
        label_w + 14.0,
        label_w + 100.0,
        ly - 9.0,
        label_w + 114.0
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_charts_are_closed() {
        let b = bar_chart("<t>", &[("<script>x</script>".into(), 3.0), ("ok".into(), 0.0)], "#333");
        assert!(b.starts_with("<svg") && b.ends_with("</svg>"));
        assert!(!b.contains("<script>") && b.contains("&lt;script&gt;"));
        let t = timeline(
            "t",
            &["\"p\" & 'q'".to_string()],
            &[
                TimelinePoint { local: 0, row: 0, explained: false },
                TimelinePoint { local: 5, row: 0, explained: true },
            ],
        );
        assert!(t.contains("&quot;p&quot; &amp; &#39;q&#39;"));
        assert_eq!(t.matches("<circle").count(), 4, "two points and two legend marks");
        let p = peer_chart("p", &[PeerRow { label: "a".into(), user: 0.5, peers: 0.1, share: true }]);
        assert!(p.contains("50%") && p.contains("10%"));
        assert!(trend_chart(&[]).ends_with("</svg>"));
    }

    #[test]
    fn a_timeline_past_chrono_s_range_is_drawn_without_panicking() {
        // Year ~270,000: chrono cannot format it; tick labels are empty.
        for local in [8_500_000_000_000_000_000i64, -8_500_000_000_000_000_000] {
            for spread in [0, 3 * MICROS_PER_DAY] {
                let points = [
                    TimelinePoint { local, row: 0, explained: false },
                    TimelinePoint { local: local + spread, row: 0, explained: true },
                ];
                assert!(timeline("t", &["p".to_string()], &points).ends_with("</svg>"));
            }
        }
    }
}
