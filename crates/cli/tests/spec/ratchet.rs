//! The known-failures ratchet: `expected-failures.txt` lists, per target and
//! file, how many assertions are allowed to fail. More failures than listed
//! is a regression; fewer is reported so the list can be tightened. A file
//! without an entry is expected to pass completely.
//!
//! Format: one `TARGET FILE COUNT` line per entry (`aarch64 simd_lane.wast 12`);
//! `#` starts a comment. `TERN_SPEC_BLESS=1` rewrites the entries of the
//! files that were run and keeps the others.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The allowed failure counts.
#[derive(Debug, Default)]
pub struct Ratchet {
    /// Where the list lives.
    path: PathBuf,
    /// `(target, file) → count`.
    entries: BTreeMap<(String, String), usize>,
}

/// How one file's failures compare with the list.
#[derive(Debug, PartialEq, Eq)]
pub enum Comparison {
    /// As many failures as allowed.
    AsExpected,
    /// More failures than allowed: the run fails.
    Regression {
        /// Allowed count.
        allowed: usize,
    },
    /// Fewer failures than allowed: the list can be tightened.
    Improvement {
        /// Allowed count.
        allowed: usize,
    },
}

const HEADER: &str = "\
# Known spec-test failures per target and file: `TARGET FILE COUNT`.
# The spec runner (crates/cli/tests/spec.rs) fails when a file has more
# failures than listed here; files not listed must pass completely.
# Regenerate with: TERN_SPEC_BLESS=1 cargo test -p tern --release --test spec
";

impl Ratchet {
    /// Reads the list at `path`; a missing file is an empty list.
    ///
    /// # Errors
    /// A malformed line, or an unreadable file.
    pub fn load(path: &Path) -> Result<Ratchet, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let mut ratchet = Ratchet::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        ratchet.path = path.to_path_buf();
        Ok(ratchet)
    }

    /// Parses the list's text.
    ///
    /// # Errors
    /// The first malformed line.
    pub fn parse(text: &str) -> Result<Ratchet, String> {
        let mut entries = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let [target, file, count] = words[..] else {
                return Err(format!(
                    "line {}: expected `TARGET FILE COUNT`, got `{line}`",
                    n + 1
                ));
            };
            let count: usize = count
                .parse()
                .map_err(|_| format!("line {}: bad count `{count}`", n + 1))?;
            entries.insert((target.to_string(), file.to_string()), count);
        }
        Ok(Ratchet {
            path: PathBuf::new(),
            entries,
        })
    }

    /// Allowed failures of `file` on `target`.
    pub fn allowed(&self, target: &str, file: &str) -> usize {
        self.entries
            .get(&(target.to_string(), file.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Compares an actual failure count with the list.
    pub fn compare(&self, target: &str, file: &str, failed: usize) -> Comparison {
        let allowed = self.allowed(target, file);
        match failed.cmp(&allowed) {
            std::cmp::Ordering::Equal => Comparison::AsExpected,
            std::cmp::Ordering::Greater => Comparison::Regression { allowed },
            std::cmp::Ordering::Less => Comparison::Improvement { allowed },
        }
    }

    /// Records the actual counts of the files that were run.
    pub fn update(&mut self, target: &str, file: &str, failed: usize) {
        let key = (target.to_string(), file.to_string());
        if failed == 0 {
            self.entries.remove(&key);
        } else {
            self.entries.insert(key, failed);
        }
    }

    /// The list's text.
    pub fn render(&self) -> String {
        let mut text = HEADER.to_string();
        for ((target, file), count) in &self.entries {
            text.push_str(&format!("{target} {file} {count}\n"));
        }
        text
    }

    /// Writes the list back to where it was loaded from.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn save(&self) -> Result<(), String> {
        std::fs::write(&self.path, self.render())
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}
