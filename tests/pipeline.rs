//! `ntp pipeline` on the bundled sample: every figure and table, report.md, a second run
//! that does nothing; help and completions.

use crate::util::*;

const FAST: &[&str] = &["--look-back", "5,10", "--epochs", "1", "--dpi", "50"];

/// `ntp pipeline -o OUT` with the fast settings, from the source tree (the bundled sample).
fn pipeline(out: &std::path::Path) -> assert_cmd::Command {
    let mut c = ntp();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("pipeline")
        .arg("-o")
        .arg(out)
        .args(FAST);
    c
}

#[test]
fn bundled_sample_gives_every_output_and_a_second_run_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let a = pipeline(&out).assert().success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("using the bundled sample"), "{stderr}");
    let s = "lan-broadcast-28min-ns";
    let expected = [
        format!("{s}.parquet"),
        format!("{s}.describe.csv"),
        format!("{s}.describe.tex"),
        format!("{s}.protocol_dist.png"),
        format!("{s}.time_series.png"),
        format!("{s}.decomposition.png"),
        format!("{s}.autocorrelation.png"),
        format!("{s}.acf.csv"),
        format!("{s}.pacf.csv"),
        format!("{s}.mse_results.e1.b32.tex"),
        format!("{s}.mse_results.e1.b32.csv"),
        format!("{s}.prediction.e1.b32.png"),
        format!("{s}.loss.e1.b32.png"),
        "report.md".to_string(),
    ];
    let files = listing(&out);
    for f in &expected {
        assert!(files.contains(f), "{f} missing from {files:?}");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for f in expected.iter().filter(|f| f.ends_with(".png")) {
        assert!(
            report.contains(&format!("]({f})")),
            "report.md does not embed {f}"
        );
    }
    assert!(report.contains("| persistence |") || report.contains("persistence"));

    let before: Vec<_> = files
        .iter()
        .map(|f| std::fs::metadata(out.join(f)).unwrap().modified().unwrap())
        .collect();
    let a = pipeline(&out).assert().success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains("preprocess up to date, analyze up to date, train up to date"),
        "{stderr}"
    );
    let after: Vec<_> = files
        .iter()
        .map(|f| std::fs::metadata(out.join(f)).unwrap().modified().unwrap())
        .collect();
    assert_eq!(before, after, "a second run rewrote files");
    assert_eq!(listing(&out), files);

    let a = pipeline(&out).arg("--force").assert().success();
    assert!(String::from_utf8_lossy(&a.get_output().stderr)
        .contains("preprocess done, analyze done, train done"));
}

#[test]
fn help_and_completions() {
    let a = ntp().arg("--help").assert().success();
    let help = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    const COMMANDS: [&str; 6] = [
        "download",
        "preprocess",
        "analyze",
        "train",
        "predict",
        "pipeline",
    ];
    for cmd in COMMANDS.iter().chain(&["completions"]) {
        assert!(help.contains(cmd), "--help lacks {cmd}");
    }
    for cmd in COMMANDS {
        let a = ntp().args([cmd, "--help"]).assert().success();
        assert!(
            String::from_utf8_lossy(&a.get_output().stdout).contains("Example"),
            "{cmd} --help has no example"
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let a = ntp().args(["completions", shell]).assert().success();
        let script = String::from_utf8_lossy(&a.get_output().stdout).to_string();
        assert!(
            script.contains("preprocess") && script.len() > 500,
            "{shell}"
        );
    }
}
