//! Finding and opening input files: plain or gzip-compressed, given one by
//! one or as folders (searched recursively, in path order).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::error::ImportError;

/// One input file and the name reports use for it.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Where it is.
    pub path: PathBuf,
    /// How reports name it (the path as given, or relative to the folder given).
    pub display: String,
}

impl InputFile {
    /// The file name without a trailing `.gz`, lowercased, to decide its kind.
    pub fn kind_name(&self) -> String {
        let name = self.path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        name.strip_suffix(".gz").map(str::to_string).unwrap_or(name)
    }
}

fn walk(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let read =
        std::fs::read_dir(dir).map_err(|e| ImportError::Open { file: dir.to_path_buf(), message: e.to_string() })?;
    let mut entries: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, extensions, out)?;
        } else {
            let base = name.strip_suffix(".gz").unwrap_or(&name);
            if extensions.iter().any(|e| base.ends_with(e)) {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// Expands the inputs: files are taken as given, folders are searched for
/// files ending in one of `extensions` (with or without `.gz`).
pub fn expand(inputs: &[PathBuf], extensions: &[&str], expected: &'static str) -> Result<Vec<InputFile>, ImportError> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            walk(input, extensions, &mut found)?;
            if found.is_empty() {
                return Err(ImportError::EmptyFolder { dir: input.clone(), expected });
            }
            out.extend(found.into_iter().map(|path| InputFile { display: path.display().to_string(), path }));
        } else if input.is_file() {
            out.push(InputFile { path: input.clone(), display: input.display().to_string() });
        } else {
            return Err(ImportError::Open { file: input.clone(), message: "no such file or folder".into() });
        }
    }
    Ok(out)
}

/// Opens a file for buffered reading, decompressing `.gz` on the fly.
pub fn open(path: &Path) -> Result<Box<dyn BufRead + Send>, ImportError> {
    let f = File::open(path).map_err(|e| ImportError::Open { file: path.to_path_buf(), message: e.to_string() })?;
    let buffered = BufReader::with_capacity(1 << 20, f);
    if path.to_string_lossy().to_ascii_lowercase().ends_with(".gz") {
        Ok(Box::new(BufReader::with_capacity(1 << 20, flate2::read::MultiGzDecoder::new(buffered))))
    } else {
        Ok(Box::new(buffered))
    }
}
