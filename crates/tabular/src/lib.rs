//! Spreadsheets as rows of text: read a `.csv` (UTF-8, with or without a
//! byte-order mark) or the first sheet of an `.xlsx`, write either. Imports
//! and exports of articles (and later of work orders and reports) share it.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {message}")]
    Write { path: String, message: String },
    #[error("{0}: unsupported file type; use .csv or .xlsx")]
    Format(String),
}

/// A sheet: the header, then the data rows with their line numbers (the
/// header is line 1), blank rows skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Csv,
    Xlsx,
}

fn kind(path: &Path) -> Result<Kind, TableError> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Ok(Kind::Csv),
        Some("xlsx") => Ok(Kind::Xlsx),
        _ => Err(TableError::Format(path.display().to_string())),
    }
}

pub fn read(path: &Path) -> Result<Table, TableError> {
    let fail = |message: String| TableError::Read { path: path.display().to_string(), message };
    let lines: Vec<Vec<String>> = match kind(path)? {
        Kind::Csv => {
            let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
            let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
                .map_err(|e| fail(format!("not UTF-8 text ({e}); save the file as CSV UTF-8")))?;
            csv_lines(text).map_err(fail)?
        }
        Kind::Xlsx => {
            use calamine::{Reader, Xlsx, open_workbook};
            let mut book: Xlsx<_> = open_workbook(path).map_err(|e: calamine::XlsxError| fail(e.to_string()))?;
            let range =
                book.worksheet_range_at(0).ok_or_else(|| fail("the workbook has no sheet".into()))?.map_err(|e| fail(e.to_string()))?;
            range.rows().map(|row| row.iter().map(|cell| cell.to_string()).collect()).collect()
        }
    };
    table(lines).map_err(fail)
}

/// A table from CSV text (for data built into the binary).
pub fn parse_csv(text: &str) -> Result<Table, TableError> {
    let fail = |message: String| TableError::Read { path: "(built-in CSV)".into(), message };
    table(csv_lines(text).map_err(fail)?).map_err(fail)
}

fn csv_lines(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    reader.records().map(|r| r.map(|r| r.iter().map(str::to_owned).collect()).map_err(|e| e.to_string())).collect()
}

fn table(mut lines: Vec<Vec<String>>) -> Result<Table, String> {
    if lines.is_empty() {
        return Err("the file is empty; the first row must name the columns".into());
    }
    let header: Vec<String> = lines.remove(0).into_iter().map(|h| h.trim().to_owned()).collect();
    let width = header.len();
    let rows = lines
        .into_iter()
        .enumerate()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, mut cells)| {
            cells.resize(width.max(cells.len()), String::new());
            (i + 2, cells)
        })
        .collect();
    Ok(Table { header, rows })
}

/// Writes a header and rows; an `.xlsx` gets a bold, frozen header row and
/// sensible column widths.
pub fn write(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<(), TableError> {
    let fail = |message: String| TableError::Write { path: path.display().to_string(), message };
    match kind(path)? {
        Kind::Csv => {
            let mut writer = csv::Writer::from_path(path).map_err(|e| fail(e.to_string()))?;
            writer.write_record(header).map_err(|e| fail(e.to_string()))?;
            for row in rows {
                writer.write_record(row).map_err(|e| fail(e.to_string()))?;
            }
            writer.flush().map_err(|e| fail(e.to_string()))
        }
        Kind::Xlsx => {
            use rust_xlsxwriter::{Format, Workbook};
            let mut book = Workbook::new();
            let sheet = book.add_worksheet();
            let bold = Format::new().set_bold();
            for (c, name) in header.iter().enumerate() {
                sheet.write_string_with_format(0, c as u16, *name, &bold).map_err(|e| fail(e.to_string()))?;
                let widest = rows.iter().filter_map(|r| r.get(c)).map(|v| v.chars().count()).max().unwrap_or(0).max(name.len());
                sheet.set_column_width(c as u16, (widest as f64 * 1.6).clamp(8.0, 60.0)).map_err(|e| fail(e.to_string()))?;
            }
            sheet.set_freeze_panes(1, 0).map_err(|e| fail(e.to_string()))?;
            for (r, row) in rows.iter().enumerate() {
                for (c, value) in row.iter().enumerate() {
                    sheet.write_string((r + 1) as u32, c as u16, value).map_err(|e| fail(e.to_string()))?;
                }
            }
            book.save(path).map_err(|e| fail(e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Vec<String>> {
        vec![vec!["社保卡补办".into(), "带身份证，\n到网点办理".into()], vec!["公积金提取".into(), "".into()]]
    }

    #[test]
    fn csv_and_xlsx_round_trip_chinese_text_and_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.csv", "a.xlsx"] {
            let path = dir.path().join(name);
            write(&path, &["title", "body"], &sample()).unwrap();
            let table = read(&path).unwrap();
            assert_eq!(table.header, ["title", "body"]);
            assert_eq!(table.rows, vec![(2, sample()[0].clone()), (3, sample()[1].clone())], "{name}");
        }
    }

    #[test]
    fn bad_files_are_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let txt = dir.path().join("a.txt");
        assert!(read(&txt).unwrap_err().to_string().contains("use .csv or .xlsx"));
        let empty = dir.path().join("e.csv");
        std::fs::write(&empty, "").unwrap();
        assert!(read(&empty).unwrap_err().to_string().contains("empty"));
        let latin = dir.path().join("l.csv");
        std::fs::write(&latin, b"title\n\xB0\xA1\n").unwrap();
        assert!(read(&latin).unwrap_err().to_string().contains("UTF-8"));
    }
}
