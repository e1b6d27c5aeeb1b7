//! Messages on stderr: errors, warnings, malformed input (capped), colours
//! (only on a terminal, never with `NO_COLOR`).

use std::io::{IsTerminal, Write};

/// How many malformed records are printed one by one before summarising.
const MALFORMED_SHOWN: u64 = 20;

pub struct Reporter {
    pub color: bool,
    pub malformed: u64,
    pub errors: u64,
}

impl Default for Reporter {
    fn default() -> Self {
        Self::new()
    }
}

impl Reporter {
    pub fn new() -> Self {
        Reporter {
            color: stderr_color(),
            malformed: 0,
            errors: 0,
        }
    }

    fn line(&self, level: &str, color: &str, msg: &str) {
        let mut err = std::io::stderr().lock();
        if self.color {
            let _ = writeln!(err, "\x1b[{color}mvigil: {level}:\x1b[0m {msg}");
        } else {
            let _ = writeln!(err, "vigil: {level}: {msg}");
        }
    }

    pub fn error(&mut self, msg: &str) {
        self.errors += 1;
        self.line("error", "1;31", msg);
    }

    pub fn warning(&self, msg: &str) {
        self.line("warning", "1;33", msg);
    }

    pub fn info(&self, msg: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{msg}");
    }

    /// A record that could not be read: `file:line: reason`.
    pub fn malformed(&mut self, file: &str, line: u64, reason: &str) {
        self.malformed += 1;
        if self.malformed <= MALFORMED_SHOWN {
            self.warning(&format!("{file}:{line}: malformed event skipped: {reason}"));
        }
    }

    /// Final line about malformed records, when more were found than shown.
    pub fn finish(&self) {
        if self.malformed > MALFORMED_SHOWN {
            self.warning(&format!(
                "{} malformed events skipped in all ({} shown)",
                self.malformed, MALFORMED_SHOWN
            ));
        }
    }

    /// Renders diagnostics for a source on stderr.
    pub fn diagnostics(&mut self, diags: &diag::Diagnostics, source: &diag::SourceFile<'_>) {
        let opts = diag::RenderOptions { color: self.color };
        let mut err = std::io::stderr().lock();
        for d in diags.iter() {
            if d.is_error() {
                self.errors += 1;
            }
            let _ = write!(err, "{}", diag::render_terminal(d, source, opts));
        }
    }
}

/// Colours on stderr: a terminal and no `NO_COLOR` (https://no-color.org).
pub fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// The machine's cores (1 if unknown).
pub fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Whether stdout is a terminal (default output format).
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// A byte progress bar on stderr for reading `total` bytes, when stderr is a
/// terminal (and there is something to show).
pub fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if total == 0 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}
