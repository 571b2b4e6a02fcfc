//! The summary chart: one horizontal bar per group, our headline ratio on a
//! log scale centred on 1x (bars right of the axis: we are faster), with the
//! target as a tick. Hand-written SVG: no plotting dependency.

use super::Headline;
use std::fmt::Write as _;

const LABEL_W: f64 = 370.0;
const PLOT_W: f64 = 520.0;
const ROW_H: f64 = 22.0;
const TOP: f64 = 56.0;
/// The axis spans 1/SPAN .. SPAN (log scale); longer bars are clipped.
const SPAN: f64 = 8.0;

fn x_of(ratio: f64) -> f64 {
    let r = ratio.clamp(1.0 / SPAN, SPAN);
    LABEL_W + PLOT_W / 2.0 + r.log(SPAN) * PLOT_W / 2.0
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The SVG document for `heads`.
pub fn chart(heads: &[Headline]) -> String {
    let width = LABEL_W + PLOT_W + 90.0;
    let height = TOP + ROW_H * heads.len() as f64 + 40.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="20" font-size="14" font-weight="bold">xikernel vs peers: peer time / our time (log scale, &gt; 1 = we are faster; | = target)</text>"#,
        10
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="38" fill="gray">dark green / red: target met / missed; light: no target (against the named peer)</text>"#
    );
    let bottom = TOP + ROW_H * heads.len() as f64;
    for tick in [1.0 / 8.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0] {
        let x = x_of(tick);
        let (stroke, w) = if tick == 1.0 {
            ("#333", 1.5)
        } else {
            ("#ddd", 1.0)
        };
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{bottom}" stroke="{stroke}" stroke-width="{w}"/>"#
        );
        let label = if tick < 1.0 {
            format!("1/{}", (1.0 / tick).round())
        } else {
            format!("{tick}")
        };
        let _ = writeln!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{label}x</text>"#,
            bottom + 16.0
        );
    }
    for (i, h) in heads.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let (x0, x1) = (x_of(1.0), x_of(h.ratio));
        let (left, w) = (x0.min(x1), (x1 - x0).abs().max(1.0));
        let color = match h.met() {
            Some(true) => "#2e7d32",
            Some(false) => "#c62828",
            None if h.ratio >= 1.0 => "#81c784",
            None => "#e57373",
        };
        let label = escape(&format!("{} (vs {})", h.group, h.peer));
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
            LABEL_W - 6.0,
            y + 15.0
        );
        let _ = writeln!(
            s,
            r#"<rect x="{left:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{color}"/>"#,
            y + 4.0,
            ROW_H - 8.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}">{:.2}x</text>"#,
            LABEL_W + PLOT_W + 6.0,
            y + 15.0,
            h.ratio
        );
        if let Some(m) = h.target.and_then(|t| t.min_ratio) {
            let tx = x_of(m);
            let _ = writeln!(
                s,
                r#"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="black" stroke-width="2"/>"#,
                y + 1.0,
                y + ROW_H - 1.0
            );
        }
    }
    s.push_str("</svg>\n");
    s
}
