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
        format!("{s}.series.parquet"),
        format!("{s}.sizes.parquet"),
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
        stderr.contains("aggregate up to date, analyze up to date, train up to date"),
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
        .contains("aggregate done, analyze done, train done"));
}

#[test]
fn packets_road_gives_the_same_results_and_a_series_file_goes_straight_to_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    pipeline(&one).arg("-q").assert().success();
    let a = pipeline(&two).arg("--packets").assert().success();
    assert!(String::from_utf8_lossy(&a.get_output().stderr)
        .contains("preprocess done, analyze done, train done"));
    let s = "lan-broadcast-28min-ns";
    assert!(two.join(format!("{s}.parquet")).exists());
    assert!(
        !one.join(format!("{s}.parquet")).exists(),
        "no per-packet table by default"
    );
    for f in [
        "bps.csv",
        "describe.csv",
        "acf.csv",
        "mse_results.e1.b32.csv",
        "time_series.png",
    ] {
        let name = format!("{s}.{f}");
        assert_eq!(
            std::fs::read(one.join(&name)).unwrap(),
            std::fs::read(two.join(&name)).unwrap(),
            "{name} differs between the one-pass and the per-packet road"
        );
    }

    let out = dir.path().join("csv");
    let a = ntp()
        .arg("pipeline")
        .arg(fixture("series/nab-ec2-network-in-257a54.csv"))
        .arg("-o")
        .arg(&out)
        .args(["--look-back", "12", "--epochs", "1", "--dpi", "40"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains("nab-ec2-network-in-257a54: analyze done, train done"),
        "{stderr}"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("Series: `"), "{report}");
    assert!(report.contains("value per second"), "{report}");
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
