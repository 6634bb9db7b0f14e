//! The types parquet.thrift gives the fields of a footer's structs. polars-parquet 0.55's
//! footer reader picks how to read a field by its id alone, not by the type the file
//! declares: a `row_groups` field declared as a string is read as a list whose length is
//! the string's bytes, and the list is reserved at that length (a 101 GB allocation, found
//! by the `series_parquet` fuzz target). [`super::footer`] checks each known field's type
//! against this table before polars reads the footer.

/// A struct of the footer whose fields are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    File,
    Schema,
    RowGroup,
    Column,
    ColumnMeta,
    KeyValue,
    Sorting,
    Statistics,
    LogicalType,
    /// TIME and TIMESTAMP of a logical type.
    Time,
    Integer,
    /// Any other struct: its fields are walked, not typed.
    Other,
}

/// Compact-protocol type codes (a bool field is 1 or 2: its value is the type).
pub const BOOL: u8 = 1;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const STRUCT: u8 = 12;

/// The type of field `id` of `shape` and, for a struct or a list of structs, the shape
/// inside; `None` for a field the table does not know.
pub fn expected(shape: Shape, id: i64) -> Option<(u8, Shape)> {
    use Shape::*;
    let o = Other;
    Some(match (shape, id) {
        (File, 1) => (I32, o),
        (File, 2) => (LIST, Schema),
        (File, 3) => (I64, o),
        (File, 4) => (LIST, RowGroup),
        (File, 5) => (LIST, KeyValue),
        (File, 6) => (BINARY, o),
        (File, 7) => (LIST, o),
        (Schema, 1 | 2 | 3 | 5 | 6 | 7 | 8 | 9) => (I32, o),
        (Schema, 4) => (BINARY, o),
        (Schema, 10) => (STRUCT, LogicalType),
        (LogicalType, 7 | 8) => (STRUCT, Time),
        (LogicalType, 10) => (STRUCT, Integer),
        (LogicalType, 1..=6 | 9 | 11..=14) => (STRUCT, o),
        (Time, 1) | (Integer, 2) => (BOOL, o),
        (Time, 2) => (STRUCT, o),
        (Integer, 1) => (BYTE, o),
        (RowGroup, 1) => (LIST, Column),
        (RowGroup, 2 | 3 | 5 | 6) => (I64, o),
        (RowGroup, 4) => (LIST, Sorting),
        (RowGroup, 7) => (I16, o),
        (Column, 1) => (BINARY, o),
        (Column, 2 | 4 | 6) => (I64, o),
        (Column, 3) => (STRUCT, ColumnMeta),
        (Column, 5 | 7) => (I32, o),
        (ColumnMeta, 1 | 4 | 15) => (I32, o),
        (ColumnMeta, 2 | 3 | 8 | 13) => (LIST, o),
        (ColumnMeta, 5 | 6 | 7 | 9 | 10 | 11 | 14) => (I64, o),
        (ColumnMeta, 12) => (STRUCT, Statistics),
        (ColumnMeta, 16 | 17) => (STRUCT, o),
        (Statistics, 1 | 2 | 5 | 6) => (BINARY, o),
        (Statistics, 3 | 4) => (I64, o),
        (Statistics, 7 | 8) => (BOOL, o),
        (KeyValue, 1 | 2) => (BINARY, o),
        (Sorting, 1) => (I32, o),
        (Sorting, 2 | 3) => (BOOL, o),
        _ => return None,
    })
}
