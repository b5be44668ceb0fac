//! The binary form in which `load` hands its parts to the stages that read them: NumPy `.npy`
//! files, which `np.load` reads directly and which can be memory-mapped, so a stage reads an
//! 800,000-row part at the speed of a memory copy instead of parsing text.
//!
//! One part (`train`, `validation`, `calibration`) is two or three files:
//! - `<part>.npy`: `float64`, rows × the numeric columns in schema order, in Fortran
//!   (column-major) order so that each column is contiguous; a missing value is NaN (present
//!   values are finite, so NaN is never a value).
//! - `<part>_rows.npy`: `uint64`, the row ids.
//! - `<part>_text.npy`: `int32`, rows × the text columns, each cell a code into the column's
//!   values in the [`Codebook`] (`categories.json`), `-1` when missing; only when there are
//!   text columns.
//!
//! The column names and kinds are in the `load` instance's `dataset.json`, the codebook is
//! shared by the parts, so a code means the same value in every part.

use std::collections::HashMap;

use std::io::{self, Read, Write};

use ndarray::{Array1, Array2, ArrayView2};
use ndarray_npy::npy::header::{Header, Layout};
use ndarray_npy::{ReadNpyExt, ReadableElement, ViewElement, ViewNpyError, ViewNpyExt, WritableElement};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::DataError;
use super::table::{Column, ColumnKind, Table, Values};

/// A part's numeric stream. When its bytes are a plain file's that nothing needs to see pass
/// (no digest is being computed), a large matrix is copied out of the file on all cores with
/// positional reads instead of through the stream on one: at 1,000,000 rows the copy of a
/// training part from the page cache is tens of milliseconds of one core.
pub trait NumericStream: Read {
    /// The file and the offset of the stream's next byte, when positional reads may take the
    /// bytes ahead; [`NumericStream::skip`] then moves the stream past them.
    fn positional(&self) -> Option<(&std::fs::File, u64)> {
        None
    }

    /// Moves past `bytes` bytes that positional reads took.
    fn skip(&mut self, bytes: u64) -> io::Result<()> {
        io::copy(&mut (&mut *self).take(bytes), &mut io::sink()).map(|_| ())
    }
}

impl NumericStream for &[u8] {}

/// The code of a missing text value.
const MISSING: i32 = -1;

/// Every text column's values, in code order: code `i` of a column is its `values[i]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Codebook {
    /// One entry per text column, in schema order.
    pub columns: Vec<CodebookColumn>,
}

/// One text column's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodebookColumn {
    /// The column's name.
    pub column: String,
    /// Its distinct values, in order of first appearance.
    pub values: Vec<String>,
}

impl Codebook {
    /// The codebook of every text column of `table`, values in order of first appearance (so
    /// it depends only on the table's rows and their order).
    pub fn of(table: &Table) -> Result<Self, DataError> {
        let mut columns = Vec::new();
        for column in table.columns() {
            if let Values::Text(values) = &column.values {
                columns.push(CodebookColumn::of(&column.name, values.iter().map(Option::as_deref))?);
            }
        }
        Ok(Self { columns })
    }

    /// Whether the codebook has no text column.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
}

impl CodebookColumn {
    /// The codebook of column `name` with `values` (`None` is missing), in order of first
    /// appearance.
    pub fn of<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Result<Self, DataError> {
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut distinct = Vec::new();
        for value in values.flatten() {
            if seen.insert(value) {
                distinct.push(value.to_owned());
            }
        }
        if i32::try_from(distinct.len()).is_err() {
            return Err(DataError::Npy {
                file: "categories.json".to_owned(),
                message: format!("text column `{name}` has more than 2^31 distinct values"),
            });
        }
        Ok(Self { column: name.to_owned(), values: distinct })
    }
}

/// The bytes of one part's files.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyPart {
    /// `<part>.npy`: the numeric columns.
    pub numeric: Vec<u8>,
    /// `<part>_rows.npy`: the row ids.
    pub rows: Vec<u8>,
    /// `<part>_text.npy`: the text columns' codes, when there are text columns.
    pub text: Option<Vec<u8>>,
}

/// The file names of part `part` (`train`, …): numeric, rows, text.
pub fn part_files(part: &str) -> [String; 3] {
    [format!("{part}.npy"), format!("{part}_rows.npy"), format!("{part}_text.npy")]
}

fn npy_error(file: &str, error: impl std::fmt::Display) -> DataError {
    DataError::Npy { file: file.to_owned(), message: error.to_string() }
}

/// Writes an `.npy` header for `rows × columns` values of `T` laid out column by column (Fortran
/// order), or for `rows` values when `columns` is `None`.
fn write_header<T: WritableElement>(w: &mut impl Write, rows: usize, columns: Option<usize>) -> io::Result<()> {
    let header = Header {
        type_descriptor: T::type_descriptor(),
        // NumPy's rule: an array that is C-contiguous too (one row or one column: the same
        // bytes either way) is written in C order.
        layout: if columns.is_some_and(|c| c > 1 && rows > 1) { Layout::Fortran } else { Layout::Standard },
        shape: std::iter::once(rows).chain(columns).collect(),
    };
    header.write(w).map_err(io::Error::other)
}

/// Size of the buffer through which values are written as little-endian bytes.
const WRITE_CHUNK: usize = 8192;

/// Writes values as little-endian bytes, a chunk at a time, so that no copy of a whole column
/// is made.
fn write_le<const N: usize, T: Copy>(w: &mut impl Write, values: &[T], bytes: impl Fn(T) -> [u8; N]) -> io::Result<()> {
    let mut buffer = Vec::with_capacity(WRITE_CHUNK * N);
    for chunk in values.chunks(WRITE_CHUNK) {
        buffer.clear();
        buffer.extend(chunk.iter().flat_map(|&v| bytes(v)));
        w.write_all(&buffer)?;
    }
    Ok(())
}

impl Table {
    /// Writes `<part>.npy`: the numeric columns, column-major, NaN for missing values.
    pub fn write_numeric_npy(&self, mut w: impl Write) -> io::Result<()> {
        let columns: Vec<&[f64]> = self
            .columns()
            .iter()
            .filter_map(|c| match &c.values {
                Values::Numeric(v) => Some(v.as_slice()),
                Values::Text(_) => None,
            })
            .collect();
        write_header::<f64>(&mut w, self.n_rows(), Some(columns.len()))?;
        for column in columns {
            write_le(&mut w, column, f64::to_le_bytes)?;
        }
        w.flush()
    }

    /// Writes `<part>_rows.npy`: the row ids.
    pub fn write_rows_npy(&self, mut w: impl Write) -> io::Result<()> {
        write_header::<u64>(&mut w, self.n_rows(), None)?;
        write_le(&mut w, self.row_ids(), u64::to_le_bytes)?;
        w.flush()
    }

    /// Whether the table has text columns (and so a `<part>_text.npy`).
    pub fn has_text(&self) -> bool {
        self.columns().iter().any(|c| c.values.kind() == ColumnKind::Text)
    }

    /// Writes `<part>_text.npy`: the text columns coded with `codebook` (which must hold every
    /// text value of the table: build it with [`Codebook::of`] on the table the parts come
    /// from), column-major, −1 for missing values.
    pub fn write_text_npy(&self, codebook: &Codebook, mut w: impl Write) -> io::Result<()> {
        let text: Vec<&Column> = self.columns().iter().filter(|c| c.values.kind() == ColumnKind::Text).collect();
        write_header::<i32>(&mut w, self.n_rows(), Some(text.len()))?;
        for column in text {
            let Values::Text(values) = &column.values else { continue };
            let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
            let book = codebook
                .columns
                .iter()
                .find(|c| c.column == column.name)
                .ok_or_else(|| invalid(format!("text column `{}` has no codebook", column.name)))?;
            let codes: HashMap<&str, i32> =
                book.values.iter().enumerate().map(|(i, v)| (v.as_str(), i as i32)).collect();
            let coded = values
                .iter()
                .map(|value| match value {
                    None => Ok(MISSING),
                    Some(v) => codes.get(v.as_str()).copied().ok_or_else(|| {
                        invalid(format!("value `{v}` of text column `{}` is not in its codebook", column.name))
                    }),
                })
                .collect::<io::Result<Vec<i32>>>()?;
            write_le(&mut w, &coded, i32::to_le_bytes)?;
        }
        w.flush()
    }

    /// The table's binary files in memory (see the `write_*_npy` methods), for tests.
    #[cfg(test)]
    pub(crate) fn to_npy(&self, codebook: &Codebook) -> Result<NpyPart, DataError> {
        let into_bytes = |write: &dyn Fn(&mut Vec<u8>) -> io::Result<()>, file: &str| {
            let mut bytes = Vec::new();
            write(&mut bytes).map(|()| bytes).map_err(|e| npy_error(file, e))
        };
        let numeric = into_bytes(&|b| self.write_numeric_npy(b), "numeric part")?;
        let rows = into_bytes(&|b| self.write_rows_npy(b), "row ids")?;
        let text =
            if self.has_text() { Some(into_bytes(&|b| self.write_text_npy(codebook, b), "text part")?) } else { None };
        Ok(NpyPart { numeric, rows, text })
    }

    /// Reads a part's files back into a table whose columns are `kinds`, decoding text with
    /// `codebook`. `names` name the three files in errors. The bytes are parsed as
    /// [`Table::read_npy`] parses a stream.
    pub fn from_npy(
        part: &NpyPart,
        names: &[String; 3],
        kinds: &[(String, ColumnKind)],
        codebook: &Codebook,
    ) -> Result<Self, DataError> {
        let mut text = part.text.as_deref();
        let text = text.as_mut().map(|t| t as &mut dyn Read);
        Self::read_npy(&mut &part.numeric[..], &mut &part.rows[..], text, names, kinds, codebook)
    }

    /// [`Table::from_npy`] reading the files from streams: each numeric column goes straight
    /// from the file into its own vector, with no copy of the file in memory (at 10,000,000
    /// rows the training part is 400 MB, and fresh memory costs about as much as the read).
    /// Every stream is read to its end, so a reader that checks the bytes it passes on (a
    /// cache file against its digest) has seen them all once this returns `Ok`.
    pub fn read_npy(
        numeric: &mut dyn NumericStream,
        rows: &mut dyn Read,
        text: Option<&mut dyn Read>,
        names: &[String; 3],
        kinds: &[(String, ColumnKind)],
        codebook: &Codebook,
    ) -> Result<Self, DataError> {
        let row_ids = Array1::<u64>::read_npy(rows).map_err(|e| npy_error(&names[1], e))?.to_vec();
        let mut numeric = numeric;
        let header = Header::from_reader(&mut numeric).map_err(|e| npy_error(&names[0], e))?;
        check_shape(&header.shape, row_ids.len(), kinds, ColumnKind::Numeric, &names[0])?;
        let (n_rows, n_columns) = (header.shape[0], header.shape[1]);
        let column_major = header.layout == Layout::Fortran || n_rows <= 1 || n_columns <= 1;
        let columns =
            if column_major && cfg!(target_endian = "little") && header.type_descriptor == f64::type_descriptor() {
                read_columns(numeric, n_rows, n_columns).map_err(|e| npy_error(&names[0], e))?
            } else {
                // Another byte order or type (which the reading refuses), or a row-major matrix of
                // several columns, which `write_numeric_npy` never writes: read whole, then split.
                let values = f64::read_to_end_exact_vec(&mut *numeric, &header.type_descriptor, n_rows * n_columns)
                    .map_err(|e| npy_error(&names[0], e))?;
                let column = |j: usize| -> Vec<f64> {
                    if column_major {
                        values[j * n_rows..(j + 1) * n_rows].to_vec()
                    } else {
                        values.iter().skip(j).step_by(n_columns).copied().collect()
                    }
                };
                (0..n_columns).map(column).collect()
            };
        let mut extra = [0u8; 1];
        match numeric.read(&mut extra) {
            Ok(0) => {}
            Ok(_) => return Err(npy_error(&names[0], "has bytes after its data")),
            Err(e) => return Err(npy_error(&names[0], e)),
        }
        let text = match text {
            Some(stream) => {
                let mut bytes = Vec::new();
                stream.read_to_end(&mut bytes).map_err(|e| npy_error(&names[2], e))?;
                Some(bytes)
            }
            None => None,
        };
        assemble(columns, text.as_deref(), row_ids, names, kinds, codebook)
    }
}

/// The values of a vector read from a file, in order: the array's own storage when it holds
/// exactly them (as a freshly read one does), a copy otherwise.
pub fn into_vec<A: Clone>(array: Array1<A>) -> Vec<A> {
    let len = array.len();
    if array.is_standard_layout() {
        let (values, offset) = array.into_raw_vec_and_offset();
        if offset.unwrap_or(0) == 0 && values.len() == len {
            return values;
        }
        return values.into_iter().skip(offset.unwrap_or(0)).take(len).collect();
    }
    array.to_vec()
}

/// Values per 4 KiB page.
const PAGE_VALUES: usize = 4096 / size_of::<f64>();

/// Values copied per positional read: pieces that share out well between cores, each large
/// enough that a read's fixed cost is nothing beside its copy.
const PIECE_VALUES: usize = (1 << 20) / size_of::<f64>();

/// Reads `columns` columns of `rows` little-endian `f64` from `reader`, each straight into its
/// vector: in pieces on all cores when the stream allows positional reads, through the stream
/// otherwise.
///
/// Fresh memory costs more than the copy into it (a page fault and a zeroed page per 4 KiB:
/// at 1,000,000 rows, two thirds of reading a part), so every page is touched first, on all
/// cores, and the read that follows is a plain copy.
fn read_columns(reader: &mut dyn NumericStream, rows: usize, columns: usize) -> io::Result<Vec<Vec<f64>>> {
    use std::os::unix::fs::FileExt;

    let mut out: Vec<Vec<f64>> = (0..columns).map(|_| vec![0.0; rows]).collect();
    let touch = |values: &mut [f64]| {
        for page in values.chunks_mut(PAGE_VALUES) {
            // An opaque zero: a known one could be dropped as a store into zeroed memory.
            page[0] = std::hint::black_box(0.0);
        }
    };
    let column_bytes = (rows * size_of::<f64>()) as u64;
    if let Some((file, start)) = reader.positional() {
        out.par_iter_mut()
            .enumerate()
            .flat_map(|(j, column)| {
                column.par_chunks_mut(PIECE_VALUES).enumerate().map(move |(k, piece)| (j, k, piece))
            })
            .try_for_each(|(j, k, piece)| {
                touch(piece);
                let at = start + j as u64 * column_bytes + (k * PIECE_VALUES * size_of::<f64>()) as u64;
                file.read_exact_at(bytemuck::cast_slice_mut(piece), at)
            })?;
        reader.skip(column_bytes * columns as u64)?;
        return Ok(out);
    }
    out.par_iter_mut().flat_map(|column| column.par_chunks_mut(PAGE_VALUES)).for_each(touch);
    for column in &mut out {
        reader.read_exact(bytemuck::cast_slice_mut(column.as_mut_slice()))?;
    }
    Ok(out)
}

/// Checks that a file's `shape` is the rows × the columns of `kind` that `dataset.json` lists.
fn check_shape(
    shape: &[usize],
    rows: usize,
    kinds: &[(String, ColumnKind)],
    kind: ColumnKind,
    file: &str,
) -> Result<(), DataError> {
    let columns = kinds.iter().filter(|(_, k)| *k == kind).count();
    if shape == [rows, columns] {
        return Ok(());
    }
    Err(npy_error(file, format!("has shape {shape:?}; expected {rows} rows × {columns} columns (from `dataset.json`)")))
}

/// The table of a part's numeric columns (in file order), its text file's bytes and its row ids.
fn assemble(
    numeric: Vec<Vec<f64>>,
    text: Option<&[u8]>,
    row_ids: Vec<u64>,
    names: &[String; 3],
    kinds: &[(String, ColumnKind)],
    codebook: &Codebook,
) -> Result<Table, DataError> {
    let text = match text {
        Some(bytes) => matrix::<i32>(bytes, &names[2])?,
        None => Matrix::Owned(Array2::zeros((row_ids.len(), 0))),
    };
    let text = text.view();
    check_shape(text.shape(), row_ids.len(), kinds, ColumnKind::Text, &names[2])?;
    // Each column in schema order: a numeric one moved out of its file's columns, a text one
    // named by its place in the text file; then the text decoded on all cores, errors taken in
    // column order, the one a sequential pass would meet.
    let mut numeric = numeric.into_iter();
    let mut next_text = 0;
    enum Source {
        Numeric(Vec<f64>),
        Text(usize),
    }
    let sources: Vec<Source> = kinds
        .iter()
        .map(|(_, kind)| match kind {
            ColumnKind::Numeric => Source::Numeric(numeric.next().unwrap_or_default()),
            ColumnKind::Text => {
                next_text += 1;
                Source::Text(next_text - 1)
            }
        })
        .collect();
    let columns: Vec<Result<Column, DataError>> = kinds
        .par_iter()
        .zip(sources)
        .map(|((name, _), source)| {
            let values = match source {
                Source::Numeric(values) => Values::Numeric(values),
                Source::Text(place) => {
                    let book = codebook.columns.iter().find(|c| &c.column == name).map_or(&[][..], |c| &c.values);
                    let decoded = text
                        .column(place)
                        .iter()
                        .map(|&code| match code {
                            MISSING => Ok(None),
                            code => usize::try_from(code).ok().and_then(|i| book.get(i)).cloned().map(Some).ok_or_else(
                                || {
                                    npy_error(
                                        &names[2],
                                        format!("code {code} of text column `{name}` is not in `categories.json`"),
                                    )
                                },
                            ),
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    Values::Text(decoded)
                }
            };
            Ok(Column { name: name.clone(), values })
        })
        .collect();
    let columns = columns.into_iter().collect::<Result<Vec<_>, _>>()?;
    Table::new(columns, row_ids)
}

/// A matrix read from `.npy` bytes: a view of them when they are aligned for `T` (no copy),
/// else a copy.
enum Matrix<'a, T> {
    View(ArrayView2<'a, T>),
    Owned(Array2<T>),
}

impl<T> Matrix<'_, T> {
    fn view(&self) -> ArrayView2<'_, T> {
        match self {
            Matrix::View(view) => view.view(),
            Matrix::Owned(owned) => owned.view(),
        }
    }
}

fn matrix<'a, T: ViewElement + ReadableElement>(bytes: &'a [u8], file: &str) -> Result<Matrix<'a, T>, DataError> {
    match ArrayView2::<T>::view_npy(bytes) {
        Ok(view) => Ok(Matrix::View(view)),
        Err(ViewNpyError::MisalignedData) => {
            Array2::<T>::read_npy(bytes).map(Matrix::Owned).map_err(|e| npy_error(file, e))
        }
        Err(e) => Err(npy_error(file, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table::new(
            vec![
                Column { name: "age".into(), values: Values::Numeric(vec![39.0, f64::NAN, 0.1 + 0.2]) },
                Column {
                    name: "sex".into(),
                    values: Values::Text(vec![Some("Male".into()), Some("a,b".into()), None]),
                },
                Column { name: "y_true".into(), values: Values::Numeric(vec![1.0, 0.0, 1.0]) },
            ],
            vec![0, 5, u64::MAX],
        )
        .expect("valid")
    }

    fn kinds(table: &Table) -> Vec<(String, ColumnKind)> {
        table.columns().iter().map(|c| (c.name.clone(), c.values.kind())).collect()
    }

    #[test]
    fn round_trips_missing_values_text_and_bits() -> Result<(), DataError> {
        let table = sample();
        let book = Codebook::of(&table)?;
        assert_eq!(book.columns[0].values, ["Male", "a,b"]);
        let part = table.to_npy(&book)?;
        let back = Table::from_npy(&part, &part_files("train"), &kinds(&table), &book)?;
        assert_eq!(back, table);
        Ok(())
    }

    #[test]
    fn a_part_of_a_table_decodes_with_the_whole_tables_codebook() -> Result<(), DataError> {
        let table = sample();
        let book = Codebook::of(&table)?;
        let part = table.select(&[1]);
        let back = Table::from_npy(&part.to_npy(&book)?, &part_files("validation"), &kinds(&table), &book)?;
        assert_eq!(back, part);
        Ok(())
    }

    #[test]
    fn numeric_file_is_column_major_float64_with_nan_for_missing() -> Result<(), DataError> {
        let table = sample();
        let part = table.to_npy(&Codebook::of(&table)?)?;
        // NumPy's header: magic, version 1.0, then the dict padded to a multiple of 64 bytes.
        assert_eq!(&part.numeric[..8], b"\x93NUMPY\x01\x00");
        let header_len = usize::from(u16::from_le_bytes([part.numeric[8], part.numeric[9]]));
        let header = String::from_utf8_lossy(&part.numeric[10..10 + header_len]);
        assert!(header.contains("'descr': '<f8'"), "{header}");
        assert!(header.contains("'fortran_order': True"), "{header}");
        assert!(header.contains("'shape': (3, 2)"), "{header}");
        let data: Vec<f64> = part.numeric[10 + header_len..]
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or_default()))
            .collect();
        assert_eq!(data.len(), 6);
        assert_eq!((data[0], data[2]), (39.0, 0.1 + 0.2));
        assert!(data[1].is_nan());
        assert_eq!(data[3..], [1.0, 0.0, 1.0]);
        Ok(())
    }

    /// The files NumPy 2.4.6 wrote for [`sample`] (`tests/reference/npy_reference.py`).
    fn numpy_files() -> NpyPart {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/npy");
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        NpyPart { numeric: read("train.npy"), rows: read("train_rows.npy"), text: Some(read("train_text.npy")) }
    }

    /// A file's header dict without spaces or trailing commas, and its data bytes.
    fn header_and_data(file: &[u8]) -> (String, Vec<u8>) {
        let len = usize::from(u16::from_le_bytes([file[8], file[9]]));
        let header: String =
            String::from_utf8_lossy(&file[10..10 + len]).chars().filter(|c| !c.is_whitespace()).collect();
        (header.replace(",}", "}").replace(",)", ")"), file[10 + len..].to_vec())
    }

    #[test]
    fn writes_what_numpy_writes() -> Result<(), DataError> {
        let table = sample();
        let ours = table.to_npy(&Codebook::of(&table)?)?;
        let numpy = numpy_files();
        // NumPy ends its header dict with `, }`, ndarray-npy with `}`: the same dict. The
        // data (column-major, NaN for missing, codes) is the same bytes.
        for (a, b) in [(&ours.numeric, &numpy.numeric), (&ours.rows, &numpy.rows)]
            .into_iter()
            .chain(ours.text.as_ref().zip(numpy.text.as_ref()))
        {
            assert_eq!(header_and_data(a), header_and_data(b));
            assert_eq!(a.len() % 64, b.len() % 64, "data aligned alike");
        }
        assert_eq!(header_and_data(&ours.numeric).0, "{'descr':'<f8','fortran_order':True,'shape':(3,2)}");
        Ok(())
    }

    #[test]
    fn reads_what_numpy_wrote() -> Result<(), DataError> {
        let table = sample();
        let book = Codebook::of(&table)?;
        assert_eq!(Table::from_npy(&numpy_files(), &part_files("train"), &kinds(&table), &book)?, table);
        Ok(())
    }

    #[test]
    fn an_empty_part_round_trips() -> Result<(), DataError> {
        let table = sample();
        let book = Codebook::of(&table)?;
        let empty = table.select(&[]);
        let back = Table::from_npy(&empty.to_npy(&book)?, &part_files("calibration"), &kinds(&table), &book)?;
        assert_eq!(back, empty);
        Ok(())
    }

    /// A part's bytes read as a table, whole ([`Table::from_npy`]) or streamed.
    type Reader = fn(&NpyPart, &[String; 3], &[(String, ColumnKind)], &Codebook) -> Result<Table, DataError>;

    #[test]
    fn a_file_of_the_wrong_shape_or_type_is_named() -> Result<(), DataError> {
        let table = sample();
        let book = Codebook::of(&table)?;
        let part = table.to_npy(&book)?;
        let names = part_files("train");
        let mut wrong = kinds(&table);
        wrong.push(("extra".into(), ColumnKind::Numeric));
        for read in [Table::from_npy as Reader, from_streams] {
            let error = read(&part, &names, &wrong, &book).expect_err("one column too many");
            assert_eq!(
                error.to_string(),
                "`train.npy`: has shape [3, 2]; expected 3 rows × 3 columns (from `dataset.json`)"
            );
            let swapped = NpyPart { numeric: part.rows.clone(), ..part.clone() };
            let error = read(&swapped, &names, &kinds(&table), &book).expect_err("u64 is not f64");
            assert!(error.to_string().starts_with("`train.npy`: "), "{error}");
            let mut bad_code = part.clone();
            if let Some(text) = &mut bad_code.text {
                let at = text.len() - 4;
                text[at..].copy_from_slice(&7i32.to_le_bytes());
            }
            let error = read(&bad_code, &names, &kinds(&table), &book).expect_err("code 7");
            assert_eq!(error.to_string(), "`train_text.npy`: code 7 of text column `sex` is not in `categories.json`");
            let mut longer = part.clone();
            longer.numeric.push(0);
            let mut shorter = part.clone();
            shorter.numeric.pop();
            for (damaged, what) in [(&longer, "a byte after the data"), (&shorter, "a byte short")] {
                let error = read(damaged, &names, &kinds(&table), &book).expect_err(what);
                assert!(error.to_string().starts_with("`train.npy`: "), "{what}: {error}");
            }
        }
        Ok(())
    }

    #[test]
    fn a_read_vector_is_taken_whole_and_any_other_copied_in_order() {
        let fresh = Array1::from(vec![1_u32, 2, 3, 4]);
        let storage = fresh.as_ptr();
        let taken = into_vec(fresh);
        assert_eq!((taken.as_slice(), taken.as_ptr()), (&[1, 2, 3, 4][..], storage), "no copy");
        let tail = Array1::from(vec![1_u32, 2, 3, 4]).slice_axis_move(ndarray::Axis(0), ndarray::Slice::from(1..3));
        assert_eq!(into_vec(tail), [2, 3]);
        let reversed =
            Array1::from(vec![1_u32, 2, 3]).slice_axis_move(ndarray::Axis(0), ndarray::Slice::new(0, None, -1));
        assert_eq!(into_vec(reversed), [3, 2, 1]);
        assert!(into_vec(Array1::<u64>::from(vec![])).is_empty());
    }

    /// A file read as a stream that offers positional reads, as a cached file does.
    struct PositionalFile(std::fs::File, u64);

    impl Read for PositionalFile {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1 += n as u64;
            Ok(n)
        }
    }

    impl NumericStream for PositionalFile {
        fn positional(&self) -> Option<(&std::fs::File, u64)> {
            Some((&self.0, self.1))
        }

        fn skip(&mut self, bytes: u64) -> io::Result<()> {
            use std::io::Seek;
            self.0.seek(io::SeekFrom::Current(i64::try_from(bytes).map_err(io::Error::other)?))?;
            self.1 += bytes;
            Ok(())
        }
    }

    #[test]
    fn a_file_read_in_pieces_on_all_cores_reads_what_the_stream_reads() -> Result<(), DataError> {
        // Columns of several pieces and a part piece, a single row, and no row.
        for rows in [300_007, 1, 0] {
            let values = |c: usize| -> Vec<f64> { (0..rows).map(|i| (i * 7 + c) as f64 / 3.0 - 1e5).collect() };
            let table = Table::new(
                (0..3).map(|c| Column { name: format!("x{c}"), values: Values::Numeric(values(c)) }).collect(),
                (0..rows as u64).collect(),
            )?;
            let book = Codebook::of(&table)?;
            let part = table.to_npy(&book)?;
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("train.npy");
            std::fs::write(&path, &part.numeric).expect("write");
            let names = part_files("train");
            let mut file = PositionalFile(std::fs::File::open(&path).expect("open"), 0);
            let read = Table::read_npy(&mut file, &mut &part.rows[..], None, &names, &kinds(&table), &book)?;
            assert_eq!(read, Table::from_npy(&part, &names, &kinds(&table), &book)?, "{rows} rows");
            assert_eq!(file.1, part.numeric.len() as u64, "the stream moved past the data");
            // A byte short: the positional read fails, and says where.
            if rows > 0 {
                std::fs::write(&path, &part.numeric[..part.numeric.len() - 1]).expect("write");
                let mut file = PositionalFile(std::fs::File::open(&path).expect("open"), 0);
                let error = Table::read_npy(&mut file, &mut &part.rows[..], None, &names, &kinds(&table), &book)
                    .expect_err("a byte short");
                assert!(error.to_string().starts_with("`train.npy`: "), "{error}");
            }
        }
        Ok(())
    }

    /// [`Table::read_npy`] over the bytes of `part`, checking that every stream was read to
    /// its end.
    fn from_streams(
        part: &NpyPart,
        names: &[String; 3],
        kinds: &[(String, ColumnKind)],
        book: &Codebook,
    ) -> Result<Table, DataError> {
        let (mut numeric, mut rows) = (&part.numeric[..], &part.rows[..]);
        let mut text = part.text.as_deref();
        let text_reader = text.as_mut().map(|t| t as &mut dyn Read);
        let table = Table::read_npy(&mut numeric, &mut rows, text_reader, names, kinds, book)?;
        assert!(numeric.is_empty() && rows.is_empty() && text.is_none_or(<[u8]>::is_empty), "read to the end");
        Ok(table)
    }

    #[test]
    fn streams_read_what_the_bytes_read() -> Result<(), DataError> {
        let table = sample();
        let book = Codebook::of(&table)?;
        let names = part_files("train");
        // Three rows; one row (a file NumPy calls C-ordered); none; and NumPy's own files.
        for part in [table.clone(), table.select(&[1]), table.select(&[])] {
            let files = part.to_npy(&book)?;
            assert_eq!(from_streams(&files, &names, &kinds(&table), &book)?, part);
        }
        assert_eq!(from_streams(&numpy_files(), &names, &kinds(&table), &book)?, table);
        // A row-major matrix of two columns, which `write_numeric_npy` never writes.
        let mut files = table.to_npy(&book)?;
        files.numeric.clear();
        ndarray_npy::WriteNpyExt::write_npy(
            &ndarray::array![[39.0, 1.0], [f64::NAN, 0.0], [0.1 + 0.2, 1.0]],
            &mut files.numeric,
        )
        .map_err(|e| npy_error("test", e))?;
        assert_eq!(from_streams(&files, &names, &kinds(&table), &book)?, table);
        Ok(())
    }
}
