//! Reading a `load` instance's hand-off: its `dataset.json` (schema, source, split) and its
//! parts in the binary form of [`crate::data::table_npy`], from the cache or from a run folder.

use super::dataset_file::DatasetFile;
use super::load::{CATEGORIES_FILE, Schema};
use super::{OpenedFile, StageError};
use crate::data::table::{ColumnKind, Table};
use crate::data::table_npy::{Codebook, NpyPart, NumericStream, part_files};

/// Where a hand-off's files are read: a file by name, `None` when the instance has no such
/// file.
pub(crate) type ReadFile<'a> = dyn Fn(&str) -> Result<Option<Vec<u8>>, StageError> + Sync + 'a;

/// Where a hand-off's parts are opened as streams when they are cached outputs (see
/// [`HandOff::streaming`]): a file by name, `None` when the instance has no such file.
pub(crate) type OpenFile<'a> = dyn Fn(&str) -> Result<Option<OpenedFile<'a>>, StageError> + Sync + 'a;

/// A `load` instance's description and codebook, with which its parts are read.
pub(crate) struct HandOff<'a> {
    /// The instance's id, for errors.
    id: String,
    /// Its `dataset.json`.
    pub description: DatasetFile,
    /// The schema in it.
    pub schema: Schema,
    codebook: Codebook,
    read: &'a ReadFile<'a>,
    open: Option<&'a OpenFile<'a>>,
}

impl<'a> HandOff<'a> {
    /// Reads instance `id`'s `dataset.json` and codebook through `read`.
    pub(crate) fn open(id: &str, read: &'a ReadFile<'a>) -> Result<Self, StageError> {
        let bytes =
            read("dataset.json")?.ok_or_else(|| StageError::MissingInput(format!("`dataset.json` of `{id}`")))?;
        Self::with_description(id, DatasetFile::from_bytes(&bytes, id)?, read)
    }

    /// [`HandOff::open`] for a caller that has read `dataset.json` already.
    pub(crate) fn with_description(
        id: &str,
        description: DatasetFile,
        read: &'a ReadFile<'a>,
    ) -> Result<Self, StageError> {
        let schema = description.schema.clone();
        let codebook = match read(CATEGORIES_FILE)? {
            None => Codebook::default(),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                StageError::MissingInput(format!("`{CATEGORIES_FILE}` of `{id}` is not a codebook: {e}"))
            })?,
        };
        Ok(Self { id: id.to_owned(), description, schema, codebook, read, open: None })
    }

    /// Reads the parts through `open`, straight from the files into the table's columns,
    /// instead of reading each file whole first.
    pub(crate) fn streaming(self, open: &'a OpenFile<'a>) -> Self {
        Self { open: Some(open), ..self }
    }

    /// Part `name` (`train`, `validation`, `calibration`) as a raw table with the schema's
    /// columns.
    pub(crate) fn part(&self, name: &str) -> Result<Table, StageError> {
        self.optional_part(name)?
            .ok_or_else(|| StageError::MissingInput(format!("`{}` produced no `{}`", self.id, part_files(name)[0])))
    }

    /// Part `name`, or `None` when the instance has none (`calibration` comes only with a
    /// calibration split). Each file is read once.
    pub(crate) fn optional_part(&self, name: &str) -> Result<Option<Table>, StageError> {
        let names = part_files(name);
        if let Some(open) = self.open {
            let Some(numeric) = open(&names[0])? else { return Ok(None) };
            let rows = open(&names[1])?.ok_or_else(|| self.missing(&names[1]))?;
            let text = open(&names[2])?;
            return read_streams(numeric, rows, text, &names, &self.schema.columns(), &self.codebook).map(Some);
        }
        let Some(numeric) = (self.read)(&names[0])? else { return Ok(None) };
        let rows = (self.read)(&names[1])?.ok_or_else(|| self.missing(&names[1]))?;
        let files = NpyPart { numeric, rows, text: (self.read)(&names[2])? };
        Ok(Some(Table::from_npy(&files, &names, &self.schema.columns(), &self.codebook)?))
    }

    fn missing(&self, file: &str) -> StageError {
        StageError::MissingInput(format!("`{}` produced no `{file}`", self.id))
    }
}

/// A cached file's stream hands its bytes to positional reads when it is not being hashed.
impl NumericStream for crate::store::CheckedReader<'_> {
    fn positional(&self) -> Option<(&std::fs::File, u64)> {
        crate::store::CheckedReader::positional(self)
    }

    fn skip(&mut self, bytes: u64) -> std::io::Result<()> {
        crate::store::CheckedReader::skip(self, bytes)
    }
}

/// A part read from its opened files with [`Table::read_npy`]. Every file is read to its end
/// and checked before the table is returned, so a file that does not hold its digest's bytes
/// is the error, whatever parsing made of its bytes.
pub(crate) fn read_streams(
    mut numeric: OpenedFile<'_>,
    mut rows: OpenedFile<'_>,
    mut text: Option<OpenedFile<'_>>,
    names: &[String; 3],
    kinds: &[(String, ColumnKind)],
    codebook: &Codebook,
) -> Result<Table, StageError> {
    let text_reader = text.as_mut().map(|t| &mut t.reader as &mut dyn std::io::Read);
    let table = Table::read_npy(&mut numeric.reader, &mut rows.reader, text_reader, names, kinds, codebook);
    for file in [Some(numeric), Some(rows), text].into_iter().flatten() {
        file.finish()?;
    }
    Ok(table?)
}
