//! A latency-by-percentile plot as plain SVG text (the HdrHistogram plotter's
//! layout: x = percentile on a log scale of `1/(1-p)`, y = latency in ms).

use std::fmt::Write as _;

const W: f64 = 800.0;
const H: f64 = 480.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
/// The x axis ends at 99.9999 % (1/(1-p) = 10^6).
const MAX_DECADES: f64 = 6.0;

/// Escapes text for an SVG text node.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The x position (0..=1 of the plot width) of quantile `q`.
fn x_of(q: f64) -> f64 {
    let q = q.clamp(0.0, 1.0 - 10f64.powf(-MAX_DECADES));
    ((1.0 / (1.0 - q)).log10() / MAX_DECADES).clamp(0.0, 1.0)
}

/// A "nice" axis maximum at or above `v` (1, 2 or 5 × 10^k).
fn nice_ceiling(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= v {
            return m * p;
        }
    }
    10.0 * p
}

/// Renders `points` (`(quantile 0..=1, latency ms)`, ascending) as an SVG
/// document titled `title`.
pub fn latency_plot(title: &str, points: &[(f64, f64)]) -> String {
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let ymax = nice_ceiling(points.iter().map(|p| p.1).fold(0.0, f64::max));
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">{}</text>"#,
        W / 2.0,
        escape(title)
    );
    // Grid and labels: x at 0, 90, 99, … %; y at 5 steps.
    for d in 0..=(MAX_DECADES as u32) {
        let x = LEFT + pw * f64::from(d) / MAX_DECADES;
        let label = if d == 0 {
            "0%".to_owned()
        } else {
            let p = 100.0 - 100.0 / 10f64.powi(d as i32);
            format!("{}%", trim(p))
        };
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{label}</text>"##,
            TOP + ph,
            TOP + ph + 18.0
        );
    }
    for k in 0..=5 {
        let v = ymax * f64::from(k) / 5.0;
        let y = TOP + ph - ph * f64::from(k) / 5.0;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + pw,
            LEFT - 6.0,
            y + 4.0,
            trim(v)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">percentile</text>"#,
        LEFT + pw / 2.0,
        H - 10.0
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">latency (ms)</text>"#,
        TOP + ph / 2.0,
        TOP + ph / 2.0
    );
    if !points.is_empty() {
        let mut d = String::new();
        for (k, (q, ms)) in points.iter().enumerate() {
            let x = LEFT + pw * x_of(*q);
            let y = TOP + ph - ph * (ms / ymax).clamp(0.0, 1.0);
            let _ = write!(d, "{}{x:.1},{y:.1} ", if k == 0 { "M" } else { "L" });
        }
        let _ = writeln!(
            s,
            r##"<path d="{}" fill="none" stroke="#1f77b4" stroke-width="2"/>"##,
            d.trim_end()
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A number without trailing zeros (`99.9`, `5`, `0.25`).
fn trim(v: f64) -> String {
    let t = format!("{v:.4}");
    let t = t.trim_end_matches('0').trim_end_matches('.');
    t.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plot_is_wellformed_svg_with_a_path() {
        let pts = [
            (0.0, 1.0),
            (0.5, 2.0),
            (0.9, 3.0),
            (0.99, 8.0),
            (0.999, 12.5),
            (1.0, 14.0),
        ];
        let svg = latency_plot("inproc <100/s> & co", &pts);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("inproc &lt;100/s&gt; &amp; co"));
        assert!(svg.contains("<path d=\"M70.0,"));
        assert_eq!(svg.matches(" L").count(), pts.len() - 1);
        for label in ["0%", "90%", "99%", "99.9%", "99.9999%", "latency (ms)"] {
            assert!(svg.contains(&format!(">{label}<")), "{label}");
        }
        // y axis tops at the nice ceiling of 14 ms = 20.
        assert!(svg.contains(">20<"));
        // Every '<' opens a tag that is closed (crude balance check).
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }

    #[test]
    fn axis_helpers() {
        assert_eq!(nice_ceiling(14.0), 20.0);
        assert_eq!(nice_ceiling(0.3), 0.5);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert!((x_of(0.99) - 2.0 / 6.0).abs() < 1e-9);
        assert!((x_of(1.0) - 1.0).abs() < 1e-6);
        assert_eq!(trim(99.9), "99.9");
        assert!(empty_plot_has_no_path());
    }

    fn empty_plot_has_no_path() -> bool {
        !latency_plot("x", &[]).contains("<path")
    }
}
