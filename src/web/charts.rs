//! Server-rendered SVG line charts (the weekly review's pictures): no
//! script, no `style` attributes (the Content-Security-Policy holds), every
//! text escaped here because the markup goes into the page with `|safe`.
//! Each chart is an `img` for assistive technology, named by its `<title>`
//! and described by the text table the page shows beside it.

use std::fmt::Write as _;

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name (the legend).
    pub name: String,
    /// One value per x label; `None` leaves a gap.
    pub values: Vec<Option<f64>>,
}

/// Colours with at least 3:1 contrast on white, told apart by the legend
/// and the table too.
const PALETTE: [&str; 8] = [
    "#1f5fbf", "#b3261e", "#1b7f3b", "#8a4baf", "#a15c00", "#006d77", "#5f6368", "#c2185b",
];

const WIDTH: f64 = 640.0;
const PLOT_HEIGHT: f64 = 180.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 28.0;
const TOP: f64 = 26.0;
const AXIS: f64 = 28.0;
const LEGEND_ROW: f64 = 18.0;

/// Escapes text for SVG (XML) content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round number at least `max` for the top of the y axis.
fn nice_top(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    // Quarters of these are round too (the grid has four steps).
    [1.0, 2.0, 4.0, 8.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|v| *v >= max)
        .unwrap_or(10.0 * magnitude)
}

fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A line chart: `title` names it, `table_id` is the id of the table that
/// holds the same figures, `unit` labels the y axis.
pub fn line_chart(
    title: &str,
    table_id: &str,
    unit: &str,
    x_labels: &[String],
    series: &[Series],
) -> String {
    let legend_rows = if series.len() > 1 {
        series.len().div_ceil(3)
    } else {
        0
    };
    let height = TOP + PLOT_HEIGHT + AXIS + LEGEND_ROW * legend_rows as f64;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0f64, |m, v| m.max(*v));
    let top = nice_top(max);
    let n = x_labels.len().max(1);
    let step = if n > 1 {
        (WIDTH - LEFT - RIGHT) / (n - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| {
        if n > 1 {
            LEFT + step * i as f64
        } else {
            (LEFT + WIDTH - RIGHT) / 2.0
        }
    };
    let y = |v: f64| TOP + PLOT_HEIGHT * (1.0 - v / top);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-labelledby="{id}-title" aria-describedby="{id}"><title id="{id}-title">{title}</title>"#,
        id = escape(table_id),
        title = escape(title),
    );
    // Grid lines and y labels.
    for k in 0..=4 {
        let v = top * f64::from(k) / 4.0;
        let gy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{gy:.1}" x2="{x2}" y2="{gy:.1}" stroke="#d0d4d9" stroke-width="1"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="11" fill="#333333">{label}</text>"##,
            x2 = WIDTH - RIGHT,
            tx = LEFT - 6.0,
            ty = gy + 4.0,
            label = number(v),
        );
    }
    let _ = write!(
        svg,
        r##"<text x="4" y="{ty}" font-size="11" fill="#333333">{unit}</text>"##,
        ty = TOP - 12.0,
        unit = escape(unit),
    );
    // X labels: at most about twelve of them.
    let every = n.div_ceil(12).max(1);
    for (i, label) in x_labels.iter().enumerate() {
        if i % every == 0 || i + 1 == n {
            let _ = write!(
                svg,
                r##"<text x="{lx:.1}" y="{ly}" text-anchor="middle" font-size="11" fill="#333333">{label}</text>"##,
                lx = x(i),
                ly = TOP + PLOT_HEIGHT + 18.0,
                label = escape(label),
            );
        }
    }
    for (s_index, s) in series.iter().enumerate() {
        let colour = PALETTE[s_index % PALETTE.len()];
        // Runs of values without gaps, each a polyline.
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, svg: &mut String| {
            if run.len() > 1 {
                let _ = write!(
                    svg,
                    r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
                    run.join(" ")
                );
            }
            run.clear();
        };
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => {
                    run.push(format!("{:.1},{:.1}", x(i), y(*v)));
                    if n <= 60 {
                        let _ = write!(
                            svg,
                            r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/>"#,
                            x(i),
                            y(*v)
                        );
                    }
                }
                None => flush(&mut run, &mut svg),
            }
        }
        flush(&mut run, &mut svg);
        if legend_rows > 0 {
            let lx = LEFT + (s_index % 3) as f64 * 190.0;
            let ly = TOP + PLOT_HEIGHT + AXIS + LEGEND_ROW * (s_index / 3) as f64 + 8.0;
            let _ = write!(
                svg,
                r##"<rect x="{lx:.1}" y="{ry:.1}" width="12" height="4" fill="{colour}"/><text x="{tx:.1}" y="{ty:.1}" font-size="11" fill="#333333">{name}</text>"##,
                ry = ly - 4.0,
                tx = lx + 16.0,
                ty = ly + 2.0,
                name = escape(&s.name),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_escapes_its_texts_and_draws_each_series() {
        let svg = line_chart(
            "Hours <on call>",
            "t1",
            "hours",
            &["a".into(), "b".into()],
            &[
                Series {
                    name: "A & B".into(),
                    values: vec![Some(1.0), Some(2.0)],
                },
                Series {
                    name: "C".into(),
                    values: vec![None, Some(3.0)],
                },
            ],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Hours &lt;on call&gt;"));
        assert!(svg.contains("A &amp; B"));
        assert_eq!(
            svg.matches("<polyline").count(),
            1,
            "a single point draws no line"
        );
        assert_eq!(svg.matches("<circle").count(), 3);
    }

    #[test]
    fn the_y_axis_ends_on_a_round_number() {
        assert_eq!(nice_top(0.0), 1.0);
        assert_eq!(nice_top(7.0), 8.0);
        assert_eq!(nice_top(3.0), 4.0);
        assert_eq!(nice_top(42.0), 80.0);
        assert_eq!(nice_top(180.0), 200.0);
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(2.5), "2.5");
    }
}
