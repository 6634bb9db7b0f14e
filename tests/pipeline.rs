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
        format!("{s}.top.parquet"),
        format!("{s}.detect.csv"),
        format!("{s}.events.csv"),
        format!("{s}.detect.png"),
        "report.md".to_string(),
    ];
    let files = listing(&out);
    for f in &expected {
        assert!(files.contains(f), "{f} missing from {files:?}");
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for f in expected
        .iter()
        .filter(|f| f.ends_with(".png") && !f.ends_with("detect.png"))
    {
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
        stderr.contains(
            "aggregate up to date, analyze up to date, detect up to date, train up to date"
        ),
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
        .contains("aggregate done, analyze done, detect done, train done"));
}

#[test]
fn packets_road_gives_the_same_results_and_a_series_file_goes_straight_to_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    pipeline(&one).arg("-q").assert().success();
    let a = pipeline(&two).arg("--packets").assert().success();
    assert!(String::from_utf8_lossy(&a.get_output().stderr)
        .contains("preprocess done, analyze done, detect done, train done"));
    let s = "lan-broadcast-28min-ns";
    assert!(two.join(format!("{s}.parquet")).exists());
    assert!(
        !one.join(format!("{s}.parquet")).exists(),
        "no per-packet table by default"
    );
    // (The figures differ: a series table's adds the entropy panel the per-packet road
    // does not compute; `features` checks those columns against the per-packet table.)
    for f in [
        "bps.csv",
        "describe.csv",
        "acf.csv",
        "mse_results.e1.b32.csv",
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
        stderr.contains("nab-ec2-network-in-257a54: analyze done, detect done, train done"),
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
    let a = ntp().arg("man").assert().success();
    let page = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(page.contains(".TH ntp 1"), "a man page: {page}");
    for cmd in COMMANDS {
        assert!(page.contains(cmd), "the man page lacks {cmd}");
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

/// Whitespace folded to single spaces (help text is wrapped to the terminal's width).
fn folded(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The README's command table: (command, its one-liner), in table order.
fn readme_commands() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    readme
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix("`ntp ")?.strip_suffix('`')?;
            Some((name.to_string(), cells.get(2)?.to_string()))
        })
        .collect()
}

/// The subcommands `ntp --help` lists, in its order (`help` aside).
fn help_commands() -> Vec<String> {
    let a = ntp().arg("--help").assert().success();
    let help = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn readme_command_table_matches_help() {
    let table = readme_commands();
    let names: Vec<String> = table.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(
        names,
        help_commands(),
        "README command table vs `ntp --help`"
    );
    for (name, line) in &table {
        let a = ntp().args([name.as_str(), "--help"]).assert().success();
        let help = folded(&String::from_utf8_lossy(&a.get_output().stdout));
        assert!(
            // clap drops the period that ends a one-sentence summary.
            help.starts_with(folded(line).trim_end_matches('.')),
            "README says of `ntp {name}`: {line:?}\nbut `ntp {name} --help` begins: {:?}",
            &help[..help.len().min(200)]
        );
    }
}

/// The default pipeline on the bundled sample writes, byte for byte, the committed
/// `results/sample/` (every file but `run.json`, which records timings and paths). A change
/// meant to move a number regenerates `results/sample/` in the same commit.
#[test]
fn bundled_sample_outputs_are_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    ntp()
        .current_dir(root)
        .args(["pipeline", "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    let sample = root.join("results/sample");
    let mut compared = 0;
    for entry in std::fs::read_dir(&sample).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".run.json") {
            continue;
        }
        let new = std::fs::read(out.join(&name)).unwrap_or_default();
        assert!(
            new == std::fs::read(&path).unwrap(),
            "{name} differs from results/sample/{name}"
        );
        compared += 1;
    }
    assert!(compared >= 20, "only {compared} files compared");
}
