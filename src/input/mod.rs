//! Inputs: files, glob patterns and standard input, opened with the right decompressor and cut
//! into newline-aligned [`chunk::Chunk`]s.

pub mod chunk;
pub mod decompress;

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

/// One source of log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
    /// Bytes already in memory (for library callers and tests), with a name for messages.
    Memory {
        name: String,
        data: Vec<u8>,
    },
}

impl Input {
    /// The name used in messages and reports: the path as given, or `-`.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::File(path) => path.display().to_string(),
            Input::Memory { name, .. } => name.clone(),
        }
    }

    /// Opens the input and wraps it in the decoder its magic bytes call for.
    pub fn open(&self) -> io::Result<(decompress::Compression, Box<dyn Read + Send>)> {
        match self {
            Input::Stdin => decompress::decoder(io::stdin()),
            Input::File(path) => decompress::decoder(File::open(path)?),
            Input::Memory { data, .. } => decompress::decoder(io::Cursor::new(data.clone())),
        }
    }
}

/// An argument that named nothing readable.
#[derive(Debug, thiserror::Error)]
pub enum ExpandInputError {
    #[error("{pattern}: invalid glob pattern: {source}")]
    BadPattern {
        pattern: String,
        source: glob::PatternError,
    },
    #[error("{pattern}: no file matches")]
    NoMatch { pattern: String },
}

/// Turns command-line arguments into inputs: `-` is stdin, an existing path is itself, and
/// anything else with `*`, `?` or `[` is a glob pattern (for callers whose shell did not expand
/// it, like cron lines in quotes). No arguments means stdin.
pub fn expand(args: &[String]) -> Result<Vec<Input>, ExpandInputError> {
    if args.is_empty() {
        return Ok(vec![Input::Stdin]);
    }
    let mut inputs = Vec::new();
    for arg in args {
        let path = PathBuf::from(arg);
        if arg == "-" {
            inputs.push(Input::Stdin);
        } else if path.exists() || !arg.contains(['*', '?', '[']) {
            inputs.push(Input::File(path));
        } else {
            let mut matched: Vec<PathBuf> = glob::glob(arg)
                .map_err(|source| ExpandInputError::BadPattern {
                    pattern: arg.clone(),
                    source,
                })?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if matched.is_empty() {
                return Err(ExpandInputError::NoMatch {
                    pattern: arg.clone(),
                });
            }
            matched.sort();
            inputs.extend(matched.into_iter().map(Input::File));
        }
    }
    Ok(inputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_expand_sorted_and_plain_names_pass_through() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.log", "a.log", "c.txt"] {
            std::fs::write(dir.path().join(name), "x\n").unwrap();
        }
        let pattern = format!("{}/*.log", dir.path().display());
        let got = expand(&[pattern.clone(), "-".into(), "missing.log".into()]).unwrap();
        assert_eq!(
            got,
            vec![
                Input::File(dir.path().join("a.log")),
                Input::File(dir.path().join("b.log")),
                Input::Stdin,
                Input::File("missing.log".into()),
            ]
        );
        let none = format!("{}/*.gz", dir.path().display());
        assert!(matches!(
            expand(&[none]),
            Err(ExpandInputError::NoMatch { .. })
        ));
        assert_eq!(expand(&[]).unwrap(), vec![Input::Stdin]);
    }
}
