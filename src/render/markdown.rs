//! Markdown tables, for the terminal and for `report.md`.

/// `text` with its first letter in upper case ("Bytes per second").
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A GitHub-flavoured Markdown table; `align` holds `l` or `r` per column.
pub fn table(header: &[&str], align: &str, rows: &[Vec<String>]) -> String {
    let mut s = format!("| {} |\n|", header.join(" | "));
    for a in align.chars() {
        s.push_str(if a == 'r' { "---:|" } else { "---|" });
    }
    s.push('\n');
    for row in rows {
        s.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    s
}
