//! `comparison.html` of `pipelines/multi_model.toml` in a real headless Chromium at 1200 px,
//! at phone width (390 px) and in print emulation (the page's `@media print` rules applied at
//! an A4 page's content width): no table overflows its container, the page never scrolls
//! sideways, the gate column and the failing criterion are on screen, chart text is ≥ 11 px,
//! and the recommendation is on the first screen. Screenshots and a printed PDF go to
//! `target/browser-report/` (CI keeps them as artifacts).
//!
//! Without a browser (a laptop's plain `cargo test`) the test says so and passes; CI installs
//! Debian's `chromium` and sets `NETHICAL_REQUIRE_BROWSER=1`, which turns a missing browser
//! into a failure. `NETHICAL_CHROMIUM` names the binary when it is not on the `PATH`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::Test;

const HARNESS: &str = include_str!("browser/harness.js");

/// Width of an A4 page's content at 12 mm margins (the page's `@page` rule), in CSS px.
const A4_CONTENT_PX: u32 = 703;

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NETHICAL_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser", "google-chrome"].map(|b| dir.join(b)))
        .find(|p| p.is_file())
}

/// Runs Chromium headless on `url` with `args`, killed after two minutes; its stdout (through
/// a file: a pipe left unread while waiting would fill up and stall it).
fn chromium(bin: &Path, profile: &Path, args: &[String], url: &str) -> String {
    let stdout = profile.with_extension("stdout");
    let mut child = Command::new(bin)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"])
        // No network: the page must need none.
        .arg("--proxy-server=127.0.0.1:9")
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(fs::File::create(&stdout).expect("chromium stdout"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium {args:?} took over two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    String::from_utf8_lossy(&fs::read(&stdout).expect("chromium stdout")).into_owned()
}

/// The outer page: the report in an iframe of `width` × `height` and the measuring script.
fn harness(page: &str, width: u32, height: u32) -> String {
    // A JSON string is a JavaScript string literal; `<\/` keeps `</script>` from ending it.
    let literal = serde_json::to_string(page).expect("json").replace("</", "<\\/");
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{{margin:0}}iframe{{border:0;display:block}}</style></head><body>\
<iframe id=\"page\" width=\"{width}\" height=\"{height}\"></iframe><script>var PAGE = {literal};\n{HARNESS}</script></body></html>"
    )
}

#[test]
fn the_report_reads_in_a_real_browser_on_desktop_phone_and_paper() {
    let Some(bin) = find_chromium() else {
        let msg = "no chromium binary on PATH (or NETHICAL_CHROMIUM): browser test skipped";
        assert!(std::env::var_os("NETHICAL_REQUIRE_BROWSER").is_none(), "{msg}, but NETHICAL_REQUIRE_BROWSER is set");
        eprintln!("{msg}");
        return;
    };
    let t = Test::new();
    let manifest = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/multi_model.toml"))
        .expect("pipelines/multi_model.toml");
    let m = t.manifest("multi_model", &manifest);
    t.run(&["run", m.to_str().expect("utf-8")]).ok();
    let report = t.latest("multi_model").join("report/comparison.html");
    let page = fs::read_to_string(&report).expect("comparison.html");
    let out = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from)
        .join("browser-report");
    fs::create_dir_all(&out).expect("target/browser-report");
    let profile = t.path().join("chromium-profile");
    // Print emulation: the print rules applied on screen, at the width they lay out on A4.
    let printed = page.replace("@media print{", "@media all{");
    assert_ne!(printed, page, "the page has print rules");
    for (view, html, width, first_screen) in
        [("desktop", &page, 1200, 900), ("phone", &page, 390, 844), ("print", &printed, A4_CONTENT_PX, 1000)]
    {
        let measure = t.path().join(format!("{view}.html"));
        fs::write(&measure, harness(html, width, first_screen)).expect("harness");
        let url = format!("file://{}", measure.display());
        let window = format!("--window-size={},{}", width.max(500), first_screen + 20);
        let dom = chromium(&bin, &profile, &[window, "--virtual-time-budget=10000".into(), "--dump-dom".into()], &url);
        let json = dom
            .split("<pre id=\"harness-result\">")
            .nth(1)
            .and_then(|s| s.split("</pre>").next())
            .unwrap_or_else(|| panic!("{view}: the harness wrote no result; the DOM was:\n{dom}"))
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        let r: serde_json::Value =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{view}: the harness wrote `{json}`: {e}"));
        eprintln!("{view}: {r}");
        assert_eq!(r["width"], width, "{view}: the page's viewport");
        assert!(r["tables"].as_u64().is_some_and(|n| n >= 4), "{view}: {r}");
        assert_eq!(r["overflowing"], serde_json::json!([]), "{view}: a table overflows its container");
        assert_eq!(r["page_overflow"], false, "{view}: the page scrolls sideways");
        assert_eq!(r["gate_cells"], 5, "{view}: one gate cell per cohort");
        assert_eq!(r["gate_visible"], 5, "{view}: every gate cell is on screen");
        let failing: Vec<&str> =
            r["failing_visible"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
        assert!(
            failing.iter().any(|f| f.starts_with("FAIL: accuracy 0.8") && f.contains("< 0.850 (short by 0.0")),
            "{view}: the failing criterion and its numbers are visible: {failing:?}"
        );
        assert!(r["svg_texts"].as_u64().is_some_and(|n| n > 50), "{view}: {r}");
        assert_eq!(r["small_text"], serde_json::json!([]), "{view}: chart text under 11 px");
        assert_eq!(r["recommend_on_first_screen"], true, "{view}: the recommendation is on the first screen");
        let shot = out.join(format!("{view}.png"));
        let window = format!("--window-size={},2600", width.max(500));
        fs::write(&measure, harness(html, width, 2600)).expect("harness");
        chromium(&bin, &profile, &[window, format!("--screenshot={}", shot.display())], &url);
        assert!(fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000), "{view}: a screenshot at {}", shot.display());
    }
    // The check can fail: a page with a table wider than the phone is caught.
    let wide = page.replacen(
        "<section id=\"decision\">",
        "<table id=\"too-wide\"><tr><td style=\"white-space:nowrap\">an unbreakable cell wider than any phone is, by design of this control</td></tr></table><section id=\"decision\">",
        1,
    );
    let control = t.path().join("control.html");
    fs::write(&control, harness(&wide, 390, 844)).expect("harness");
    let dom = chromium(
        &bin,
        &profile,
        &["--window-size=500,864".into(), "--virtual-time-budget=10000".into(), "--dump-dom".into()],
        &format!("file://{}", control.display()),
    );
    assert!(dom.contains("too-wide: right edge"), "the harness misses an overflowing table: {dom}");
    let pdf = out.join("comparison.pdf");
    chromium(
        &bin,
        &profile,
        &[format!("--print-to-pdf={}", pdf.display()), "--no-pdf-header-footer".into()],
        &format!("file://{}", report.display()),
    );
    assert!(fs::read(&pdf).is_ok_and(|b| b.starts_with(b"%PDF")), "a printed PDF at {}", pdf.display());
    eprintln!("screenshots and comparison.pdf in {}", out.display());
}
