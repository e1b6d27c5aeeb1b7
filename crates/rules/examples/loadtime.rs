//! Measures catalogue load time: `cargo run --release -p rules --example loadtime -- DIR...`
fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let report = rules::load(&paths);
        println!(
            "files {} live {} deprecated {} diagnostics {} in {:?}",
            report.files,
            report.live().count(),
            report.deprecated.len(),
            report.all_diagnostics().count(),
            t.elapsed()
        );
    }
    let t = std::time::Instant::now();
    let mut n = 0;
    let mut texts = Vec::new();
    for p in &paths {
        collect(p, &mut texts);
    }
    println!("read {} files in {:?}", texts.len(), t.elapsed());
    let t = std::time::Instant::now();
    for s in &texts {
        if toml::de::DeTable::parse(s.as_str()).is_ok() {
            n += 1;
        }
    }
    println!("toml parsed {n} in {:?}", t.elapsed());
}
fn collect(p: &std::path::Path, out: &mut Vec<String>) {
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            collect(&e.unwrap().path(), out);
        }
    } else if p.extension().is_some_and(|e| e == "toml") {
        out.push(std::fs::read_to_string(p).unwrap());
    }
}
