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
    reader.records().map(|r| r.map(|r| r.iter().map(restore).collect()).map_err(|e| e.to_string())).collect()
}

/// Characters that make a spreadsheet read a CSV cell as a formula.
fn formula_start(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// A CSV cell as written: one that a spreadsheet would run as a formula
/// (`=HYPERLINK(…)` typed by a citizen) gets a leading apostrophe, which
/// Excel and WPS show as text (OWASP's advice on CSV injection).
fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if needs_quote(cell) { format!("'{cell}").into() } else { cell.into() }
}

/// A formula start, or an apostrophe before one (quoted again, so reading
/// back tells the two apart).
fn needs_quote(cell: &str) -> bool {
    cell.starts_with(formula_start) || cell.strip_prefix('\'').is_some_and(|rest| rest.starts_with(formula_start))
}

/// The cell as it was before [`defuse`], so exported files import again unchanged.
fn restore(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest.to_owned(),
        _ => cell.to_owned(),
    }
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
                writer.write_record(row.iter().map(|c| defuse(c).into_owned())).map_err(|e| fail(e.to_string()))?;
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

/// CSV bytes with a UTF-8 byte-order mark, which Excel needs to read
/// Chinese text from a CSV file.
pub fn csv_bytes(header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, TableError> {
    let fail = |e: csv::Error| TableError::Write { path: "export".into(), message: e.to_string() };
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(header).map_err(fail)?;
    for row in rows {
        writer.write_record(row.iter().map(|c| defuse(c).into_owned())).map_err(fail)?;
    }
    writer.into_inner().map_err(|e| TableError::Write { path: "export".into(), message: e.to_string() })
}

/// A value of a report cell: text, a count, a rate shown as a percentage,
/// or a measure; an absent rate or measure is an empty cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    Rate(Option<f64>),
    Number(Option<f64>),
}

/// One sheet of a report: a title line, a header row and the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The tab's name (at most 31 characters, no `[]:*?/\`).
    pub name: String,
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A formatted .xlsx workbook, one sheet each: a bold title, a shaded bold
/// header frozen in place, rates as percentages, counts as integers.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, TableError> {
    use rust_xlsxwriter::{Color, Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| TableError::Write { path: "report".into(), message: e.to_string() };
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7)).set_border(rust_xlsxwriter::FormatBorder::Thin);
    let percent = Format::new().set_num_format("0.0%");
    let count = Format::new().set_num_format("0");
    let number = Format::new().set_num_format("0.0");
    for s in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(&s.name).map_err(fail)?;
        sheet.write_string_with_format(0, 0, &s.title, &title).map_err(fail)?;
        for (c, name) in s.header.iter().enumerate() {
            sheet.write_string_with_format(1, c as u16, name, &head).map_err(fail)?;
            let widest = s
                .rows
                .iter()
                .filter_map(|r| match r.get(c) {
                    Some(Cell::Text(t)) => Some(t.chars().count()),
                    _ => None,
                })
                .max()
                .unwrap_or(6)
                .max(name.chars().count());
            sheet.set_column_width(c as u16, (widest as f64 * 1.8).clamp(8.0, 50.0)).map_err(fail)?;
        }
        sheet.set_freeze_panes(2, 0).map_err(fail)?;
        for (r, row) in s.rows.iter().enumerate() {
            let r = (r + 2) as u32;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) => sheet.write_string(r, c, t).map(|_| ()),
                    Cell::Count(n) => sheet.write_number_with_format(r, c, *n as f64, &count).map(|_| ()),
                    Cell::Rate(Some(x)) => sheet.write_number_with_format(r, c, *x, &percent).map(|_| ()),
                    Cell::Number(Some(x)) => sheet.write_number_with_format(r, c, *x, &number).map(|_| ()),
                    Cell::Rate(None) | Cell::Number(None) => Ok(()),
                }
                .map_err(fail)?;
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Vec<String>> {
        vec![vec!["社保卡补办".into(), "带身份证，\n到网点办理".into()], vec!["公积金提取".into(), "".into()]]
    }

    #[test]
    fn a_workbook_has_one_formatted_sheet_per_section() {
        let sheets = vec![
            Sheet {
                name: "单位考核".into(),
                title: "2026年11月 单位考核".into(),
                header: vec!["单位".into(), "工单".into(), "按时办结率".into()],
                rows: vec![vec![Cell::Text("东城街道".into()), Cell::Count(12), Cell::Rate(Some(0.75))]],
            },
            Sheet { name: "话务".into(), title: "话务".into(), header: vec!["接通率".into()], rows: vec![vec![Cell::Rate(None)]] },
        ];
        let bytes = workbook(&sheets).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        use calamine::{DataType, Reader, open_workbook_auto};
        let mut book = open_workbook_auto(&path).unwrap();
        assert_eq!(book.sheet_names(), vec!["单位考核".to_owned(), "话务".to_owned()]);
        let range = book.worksheet_range("单位考核").unwrap();
        assert_eq!(range.get_value((0, 0)).unwrap().to_string(), "2026年11月 单位考核");
        assert_eq!(range.get_value((2, 0)).unwrap().to_string(), "东城街道");
        assert_eq!(range.get_value((2, 2)).unwrap().get_float(), Some(0.75));
        let bad = Sheet { name: "a/b".into(), ..sheets[1].clone() };
        assert!(workbook(&[bad]).is_err(), "a sheet name with / is refused, not written broken");
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
    fn cells_a_spreadsheet_would_run_are_written_as_text_and_read_back_unchanged() {
        let hostile = vec![vec![
            "=HYPERLINK(\"http://evil.example\",\"点击\")".to_owned(),
            "+86 138".to_owned(),
            "-1+1".to_owned(),
            "@SUM(A1)".to_owned(),
            "\t=1".to_owned(),
            "'=已转义".to_owned(),
            "普通文字 = 也可以".to_owned(),
        ]];
        let header = ["a", "b", "c", "d", "e", "f", "g"];
        let text = String::from_utf8(csv_bytes(&header, &hostile).unwrap()).unwrap();
        let row = text.lines().nth(1).unwrap();
        assert!(row.starts_with("\"'=HYPERLINK(") && row.contains(",'+86 138,'-1+1,'@SUM(A1),"), "{row}");
        assert!(row.contains(",普通文字 = 也可以"), "ordinary text stays as it is: {row}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.csv");
        write(&path, &header, &hostile).unwrap();
        assert_eq!(read(&path).unwrap().rows, vec![(2, hostile[0].clone())]);
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
